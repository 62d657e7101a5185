"""Settings: defaults, then a TOML file (--config), then command-line flags.

Flag names follow go-carbon's setting names where one exists.
"""
from __future__ import annotations

import argparse
import dataclasses
import tomllib
from dataclasses import dataclass
from pathlib import Path


class ConfigError(ValueError):
    pass


@dataclass
class Settings:
    # where things live
    data_dir: str = "./tsstore-data"
    store: str = "embedded"  # "embedded" or cassandra://user:pass@h1,h2:9042/keyspace?dc=...
    schemas_file: str | None = None  # storage-schemas.conf; built-in default when absent
    aggregation_file: str | None = None  # storage-aggregation.conf; built-in default when absent
    # listeners (carbon defaults; loopback unless told otherwise)
    bind: str = "127.0.0.1"
    carbon_port: int = 2003  # plaintext TCP and UDP; 0 disables
    udp_enabled: bool = True
    pickle_port: int = 2004  # 0 disables
    http_port: int = 8080  # 0 disables
    http_workers: int = 1  # processes serving the HTTP API (set it to the number of cores)
    # ingest
    max_line_length: int = 16384  # bytes; longer lines are counted and dropped
    pickle_max_frame: int = 1 << 20  # bytes (carbon's PICKLE_RECEIVER_MAX_LENGTH)
    flush_interval: float = 10.0  # seconds between store flushes
    rollup_provisional_interval: float = 60.0  # seconds between writes of still-open coarse slots
    wal_max_bytes: int = 8 << 30  # disk budget of the WAL; past it points are refused and counted
    max_pending_points: int = 2_000_000  # unacknowledged points before sockets stop being read
    self_metrics_interval: float = 60.0  # seconds; 0 disables tsstore.<host>.* metrics
    self_metrics_prefix: str = "tsstore"
    # HTTP API limits
    max_series_per_render: int = 50_000
    max_points_per_render: int = 50_000_000
    json_infinity_as_null: bool = False  # Grafana's Go backend rejects 1e9999
    log_level: str = "info"

    @property
    def wal_dir(self) -> Path:
        return Path(self.data_dir) / "wal"

    def merged(self, overrides: dict) -> "Settings":
        known = {f.name: f for f in dataclasses.fields(self)}
        values = dataclasses.asdict(self)
        for key, value in overrides.items():
            key = key.replace("-", "_")
            if key not in known:
                raise ConfigError(f"unknown setting {key!r}; known settings: {', '.join(sorted(known))}")
            if value is not None:
                values[key] = value
        return Settings(**values)


def load_toml(path: str) -> dict:
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    # Accept a flat file or the settings under a [tsstore] table.
    return data.get("tsstore", data)


def add_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", help="TOML settings file (flags override it)")
    parser.add_argument("--data-dir", help="data directory (embedded store and WAL)")
    parser.add_argument("--store", help="'embedded' or cassandra://[user:pass@]h1,h2[:port]/keyspace[?dc=...]")
    parser.add_argument("--schemas-file", help="storage-schemas.conf (carbon format)")
    parser.add_argument("--aggregation-file", help="storage-aggregation.conf (carbon format)")
    parser.add_argument("--bind", help="address the listeners and HTTP API bind (default 127.0.0.1)")
    parser.add_argument("--carbon-port", type=int, help="plaintext TCP and UDP port (default 2003, 0 = off)")
    parser.add_argument("--pickle-port", type=int, help="pickle TCP port (default 2004, 0 = off)")
    parser.add_argument("--http-port", type=int, help="HTTP API port (default 8080, 0 = off)")
    parser.add_argument("--http-workers", type=int, help="processes serving the HTTP API (default 1; use the core count)")
    parser.add_argument("--no-udp", dest="udp_enabled", action="store_const", const=False, help="no UDP listener")
    parser.add_argument("--flush-interval", type=float, help="seconds between store flushes (default 10)")
    parser.add_argument("--wal-max-bytes", type=int, help="WAL disk budget in bytes (default 8 GiB)")
    parser.add_argument("--self-metrics-interval", type=float, help="seconds between self-metrics (0 = off)")
    parser.add_argument("--log-level", help="debug, info, warning, error")


def settings_from_args(args: argparse.Namespace) -> Settings:
    settings = Settings()
    if getattr(args, "config", None):
        settings = settings.merged(load_toml(args.config))
    flags = {f.name: getattr(args, f.name) for f in dataclasses.fields(Settings) if hasattr(args, f.name)}
    return settings.merged(flags)
