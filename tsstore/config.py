"""Settings: defaults, then a TOML file (--config), then command-line flags.

Each setting is declared once, as a Settings field with its default and its help; the
command-line flags are made from those fields (add_flags), their help printing the default.
TOML uses the field names. Flag names follow go-carbon's setting names where one exists.
"""
from __future__ import annotations

import argparse
import dataclasses
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path


class ConfigError(ValueError):
    pass


def _setting(default, help: str, flag: str | None = ""):
    """A Settings field with its help text and its command-line flag: "" for --<name with
    dashes>, another name where it differs (--no-udp), None for a TOML-only setting."""
    return field(default=default, metadata={"help": help, "flag": flag})


@dataclass
class Settings:
    # where things live
    data_dir: str = _setting("./tsstore-data", "data directory: embedded store and WAL")
    store: str = _setting("embedded", "'embedded' or cassandra://[user:pass@]h1,h2[:port]/keyspace[?dc=...]")
    schemas_file: str | None = _setting(None, "storage-schemas.conf (carbon format; built-in default when absent)")
    aggregation_file: str | None = _setting(None, "storage-aggregation.conf (carbon format; built-in default when absent)")
    # listeners (carbon defaults; loopback unless told otherwise)
    bind: str = _setting("127.0.0.1", "address the listeners and HTTP API bind")
    carbon_port: int = _setting(2003, "plaintext TCP and UDP port, 0 = off")
    udp_enabled: bool = _setting(True, "no UDP listener", flag="--no-udp")
    pickle_port: int = _setting(2004, "pickle TCP port, 0 = off")
    http_port: int = _setting(8080, "HTTP API port, 0 = off")
    http_workers: int = _setting(1, "processes serving the HTTP API; use the core count")
    max_request_head_bytes: int = _setting(
        256 << 10, "bytes of an HTTP request line + headers; past it a long URL is answered 414, long headers 431")
    # ingest
    max_line_length: int = _setting(16384, "bytes; longer lines are counted and dropped", flag=None)
    pickle_max_frame: int = _setting(1 << 20, "bytes (carbon's PICKLE_RECEIVER_MAX_LENGTH)", flag=None)
    flush_interval: float = _setting(10.0, "seconds between store flushes")
    rollup_provisional_interval: float = _setting(60.0, "seconds between writes of still-open coarse slots", flag=None)
    wal_max_bytes: int = _setting(8 << 30, "WAL disk budget in bytes; past it points are refused and counted")
    max_pending_points: int = _setting(2_000_000, "unacknowledged points before sockets stop being read", flag=None)
    self_metrics_interval: float = _setting(60.0, "seconds between self-metrics, 0 = off")
    self_metrics_prefix: str = _setting("tsstore", "prefix of the self-metrics (<prefix>.<host>.*)", flag=None)
    # HTTP API limits
    max_series_per_render: int = _setting(50_000, "series one render may read or make", flag=None)
    max_points_per_render: int = _setting(50_000_000, "points one render may read, make or return", flag=None)
    max_expressions_per_render: int = _setting(
        50_000, "function calls and paths one render may evaluate over all its targets (a target is at least one)")
    json_infinity_as_null: bool = _setting(False, "write null for +-inf (Grafana's Go backend rejects 1e9999)", flag=None)
    log_level: str = _setting("info", "debug, info, warning, error")

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


# What each setting accepts, checked before anything starts (flags and TOML alike).
_PORTS = ("carbon_port", "pickle_port", "http_port")
_POSITIVE = ("http_workers", "max_request_head_bytes", "max_line_length", "pickle_max_frame", "flush_interval",
             "rollup_provisional_interval", "wal_max_bytes", "max_pending_points")
_ZERO_OR_MORE = ("self_metrics_interval", "max_series_per_render", "max_points_per_render",
                 "max_expressions_per_render")  # 0 = off / no limit
LOG_LEVELS = ("debug", "info", "warning", "error", "critical")
# A field's annotation -> the Python types a value may have (bool is never a number here), and its name.
_KINDS = {"int": (int, "an integer"), "float": ((int, float), "a number"), "bool": (bool, "a boolean")}


def _named(name: str) -> str:
    """How a setting is named in an error: its flag when it has one, and its TOML name."""
    f = next(f for f in dataclasses.fields(Settings) if f.name == name)
    flag = f.metadata.get("flag")
    if flag is None:
        return f"setting {name}"
    return f"{flag or '--' + name.replace('_', '-')} ({name})"


def check(settings: Settings) -> Settings:
    """Refuse a setting out of its range, naming it and what it accepts (ConfigError)."""
    for f in dataclasses.fields(Settings):
        value = getattr(settings, f.name)
        kind = _KINDS.get(f.type)
        if kind and (not isinstance(value, kind[0]) or (f.type != "bool" and isinstance(value, bool))):
            raise ConfigError(f"{_named(f.name)} must be {kind[1]}, got {value!r}")
    for name in _PORTS:
        if not 0 <= getattr(settings, name) <= 65535:
            raise ConfigError(f"{_named(name)} must be a port number from 0 to 65535 (0 = off), got {getattr(settings, name)}")
    for name in _POSITIVE:
        if not 0 < getattr(settings, name) < math.inf:
            raise ConfigError(f"{_named(name)} must be a finite number greater than 0, got {getattr(settings, name)}")
    for name in _ZERO_OR_MORE:
        if not 0 <= getattr(settings, name) < math.inf:
            raise ConfigError(f"{_named(name)} must be 0 (off) or more, got {getattr(settings, name)}")
    if settings.log_level.lower() not in LOG_LEVELS:
        raise ConfigError(f"{_named('log_level')} must be one of {', '.join(LOG_LEVELS)}, got {settings.log_level!r}")
    return settings


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


def _shown(value) -> str:
    """A default as --help prints it: 10 for 10.0, 8 GiB for 8 << 30."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int) and not isinstance(value, bool):
        for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
            if value >= size and value % size == 0:
                return f"{value // size} {unit}"
    return str(value)


_FLAG_TYPES = {"int": int, "float": float}  # field annotations (strings); anything else is str


def add_flags(parser: argparse.ArgumentParser) -> None:
    """--config, then one flag per Settings field that has one, with the field's help and
    default. A bool field's flag sets the opposite of its default. Flags left out are None,
    so they do not override the TOML file."""
    parser.add_argument("--config", help="TOML settings file (flags override it)")
    for f in dataclasses.fields(Settings):
        flag = f.metadata.get("flag")
        if flag is None:
            continue
        flag = flag or "--" + f.name.replace("_", "-")
        if f.type == "bool":
            parser.add_argument(flag, dest=f.name, action="store_const", const=not f.default, help=f.metadata["help"])
            continue
        shown = f" (default {_shown(f.default)})" if f.default is not None else ""
        parser.add_argument(flag, dest=f.name, type=_FLAG_TYPES.get(f.type, str), help=f.metadata["help"] + shown,
                            metavar=f.name.upper())


def settings_from_args(args: argparse.Namespace) -> Settings:
    settings = Settings()
    if getattr(args, "config", None):
        settings = settings.merged(load_toml(args.config))
    flags = {f.name: getattr(args, f.name) for f in dataclasses.fields(Settings) if hasattr(args, f.name)}
    return check(settings.merged(flags))
