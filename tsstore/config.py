"""Settings: defaults, then a TOML file (--config), then command-line flags.

Each setting is declared once, as a Settings field with its default and its help; the
command-line flags are made from those fields (add_flags), their help printing the default.
TOML uses the field names. Flag names follow go-carbon's setting names where one exists.
"""
from __future__ import annotations

import argparse
import dataclasses
import ipaddress
import math
import re
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
    bind: str = _setting("127.0.0.1", "address of the carbon listeners and the HTTP API unless --carbon-bind/--http-bind say otherwise")
    carbon_bind: str | None = _setting(None, "address of the carbon listeners (plaintext TCP+UDP, pickle); default --bind")
    http_bind: str | None = _setting(None, "address of the HTTP API; default --bind")
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
    flush_interval: float = _setting(10.0, "seconds between store flushes (reads do not wait for them)")
    rollup_provisional_interval: float = _setting(60.0, "seconds between writes of still-open coarse slots", flag=None)
    wal_max_bytes: int = _setting(8 << 30, "WAL disk budget in bytes; past it points are refused and counted")
    max_pending_points: int = _setting(2_000_000, "unacknowledged points before sockets stop being read", flag=None)
    self_metrics_interval: float = _setting(60.0, "seconds between self-metrics, 0 = off")
    self_metrics_prefix: str = _setting("tsstore", "prefix of the self-metrics (<prefix>.<instance>.*)", flag=None)
    self_metrics_instance: str | None = _setting(
        None, "this process's name in its self-metrics (<prefix>.<instance>.*), unique per process writing to one store "
              "(default <host>_<carbon port>, e.g. web01_2003)")
    # HTTP API limits
    max_series_per_render: int = _setting(50_000, "series one render may read or make", flag=None)
    max_points_per_render: int = _setting(50_000_000, "points one render may read, make or return", flag=None)
    max_expressions_per_render: int = _setting(
        50_000, "function calls and paths one render may evaluate over all its targets (a target is at least one)")
    request_timeout: float = _setting(60.0, "seconds a request may run before it is cancelled and answered 503")
    request_threads: int = _setting(4, "threads (own event loops) running HTTP requests, off the carbon loop", flag=None)
    max_request_bytes: int = _setting(16 << 20, "bytes of a request body; larger ones are answered 413", flag=None)
    find_range_filter: bool = _setting(True, "/metrics/find?from= leaves out series with no point since from "
                                             "(to within an hour; README: Series lifecycle)", flag=None)
    json_infinity_as_null: bool = _setting(False, "write null for +-inf (Grafana's Go backend rejects 1e9999)", flag=None)
    # HTTP API access (README: Security). Reads are open; writes are off unless one of the two
    # api_write_* settings is given. Lists: comma-separated in a flag, a string list in TOML.
    api_write_token_file: str | None = _setting(None, "file holding the bearer token that allows the HTTP writes "
                                                      "(POST /events, /tags/tagSeries, /tags/tagMultiSeries, /tags/delSeries, "
                                                      "/tsstore/series/delete and /rename; default: writes off)")
    api_write_networks: str | list[str] | None = _setting(None, "CIDRs whose clients may make the HTTP writes without a "
                                                                "token, e.g. 127.0.0.0/8,10.1.0.0/16 (default: none)")
    api_trusted_proxies: str | list[str] | None = _setting(None, "CIDRs of reverse proxies whose X-Forwarded-For names "
                                                                 "the client for api_write_networks (default: none)")
    api_cors_origins: str | list[str] | None = _setting(None, "origins whose web pages may read the API (CORS), e.g. "
                                                              "https://grafana.example.com, or '*'; never for writes (default: none)")
    log_level: str = _setting("info", "debug, info, warning, error")

    @property
    def carbon_address(self) -> str:
        return self.carbon_bind or self.bind

    @property
    def http_address(self) -> str:
        return self.http_bind or self.bind

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
             "rollup_provisional_interval", "wal_max_bytes", "max_pending_points", "request_timeout", "request_threads",
             "max_request_bytes")
_ZERO_OR_MORE = ("self_metrics_interval", "max_series_per_render", "max_points_per_render",
                 "max_expressions_per_render")  # 0 = off / no limit
_STRINGS = {"bind": "an address", "carbon_bind": "an address", "http_bind": "an address", "api_write_token_file": "a path"}
_INSTANCE = re.compile(r"[A-Za-z0-9_-]+")
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
    instance = settings.self_metrics_instance
    if instance is not None and not (isinstance(instance, str) and _INSTANCE.fullmatch(instance)):
        raise ConfigError(f"{_named('self_metrics_instance')} must be letters, digits, '_' or '-' (it is one component "
                          f"of the self-metrics' names, <prefix>.<instance>.*), got {instance!r}")
    if settings.log_level.lower() not in LOG_LEVELS:
        raise ConfigError(f"{_named('log_level')} must be one of {', '.join(LOG_LEVELS)}, got {settings.log_level!r}")
    for name, what in _STRINGS.items():
        if not isinstance(getattr(settings, name), (str, type(None))):
            raise ConfigError(f"{_named(name)} must be {what} (a string), got {getattr(settings, name)!r}")
    networks(settings, "api_write_networks")
    networks(settings, "api_trusted_proxies")
    cors_origins(settings)
    write_token(settings)
    return settings


def listed(settings: Settings, name: str) -> list[str]:
    """A list setting's items: a TOML list of strings, or one string of comma-separated items."""
    value = getattr(settings, name)
    if value is None:
        return []
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{_named(name)} must be a list of strings or one comma-separated string, got {value!r}")
    return [v.strip() for v in value if v.strip()]


def networks(settings: Settings, name: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """A list setting of CIDRs (a bare address is its /32 or /128)."""
    out = []
    for item in listed(settings, name):
        try:
            out.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ConfigError(f"{_named(name)}: {item!r} is not a network: give CIDRs such as 127.0.0.0/8 or "
                              "10.1.2.3") from None
    return out


_ORIGIN = re.compile(r"[a-z][a-z0-9+.-]*://[^/\s?#]+")


def cors_origins(settings: Settings) -> list[str]:
    """The api_cors_origins items: '*' or origins as browsers send them (scheme://host[:port])."""
    origins = listed(settings, "api_cors_origins")
    for origin in origins:
        if origin != "*" and not _ORIGIN.fullmatch(origin):
            raise ConfigError(f"{_named('api_cors_origins')}: {origin!r} is not an origin: give scheme://host[:port] "
                              "with no path or trailing slash, e.g. https://grafana.example.com, or '*'")
    return [o.lower() for o in origins]  # browsers send the scheme and host in lower case


# What a bearer token may hold (RFC 6750's token68 characters) and its shortest length.
_TOKEN = re.compile(r"[A-Za-z0-9._~+/=-]+")
TOKEN_MIN_LENGTH = 16


def write_token(settings: Settings) -> str | None:
    """The bearer token in api_write_token_file (surrounding whitespace dropped), None when the
    setting is not given. Read from a file so the token shows in neither `ps` nor the TOML."""
    path = settings.api_write_token_file
    if path is None:
        return None
    fix = f"e.g. `openssl rand -hex 32 > {path} && chmod 600 {path}`"
    try:
        token = Path(path).read_text().strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{_named('api_write_token_file')}: cannot read {path}: {exc}; {fix}") from None
    if len(token) < TOKEN_MIN_LENGTH or not _TOKEN.fullmatch(token):
        raise ConfigError(f"{_named('api_write_token_file')}: {path} must hold one token of at least "
                          f"{TOKEN_MIN_LENGTH} characters from A-Z a-z 0-9 - . _ ~ + / =; {fix}")
    return token


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
