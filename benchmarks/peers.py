"""The Graphite stacks tsstore is compared against, as child processes on loopback free ports,
each in its own work folder and fed the same storage-schemas.conf / storage-aggregation.conf
as tsstore.

    carbon-cache  Debian graphite-carbon (twistd, --nodaemon), whisper files
    graphite-web  Debian graphite-web under gunicorn, reading carbon-cache's whisper dir
                  (tests/graphite_reference.py does the settings and the process)
    go-carbon     built by benchmarks/setup-peers, whisper files + carbonserver HTTP
    carbonapi     built by benchmarks/setup-peers, reading go-carbon's carbonserver
    victoria-metrics  VictoriaMetrics single-node, built by benchmarks/setup-peers: Graphite
                  plaintext in, its own Graphite API (/render, /metrics/find) out

Every peer is configured "at its best" for a benchmark: rate limits off, response caches off
(a cached answer would measure the cache, not the store), no self-metrics. Each start() waits
until the peer answers and raises PeerError with the end of its log when it does not.
"""
from __future__ import annotations

import os
import shutil
import socket
import struct
import subprocess
import time
from pathlib import Path

import httpx

from tests.compat.graphite_reference import GraphiteReference
from tests.helpers.servers import free_port, terminate

PEERS_DIR = Path(os.environ.get("TSSTORE_PEERS_DIR", Path.home() / ".cache" / "tsstore" / "peers"))
BIN = PEERS_DIR / "bin"


class PeerError(RuntimeError):
    pass


def built(name: str) -> tuple[Path | None, str]:
    """(binary, "") when benchmarks/setup-peers built `name`, else (None, why not)."""
    exe = BIN / name
    if exe.exists() and os.access(exe, os.X_OK):
        return exe, ""
    err = BIN / f"{name}.error"
    if err.exists():
        return None, err.read_text().strip()[:300]
    return None, f"{exe} missing (run benchmarks/setup-peers)"


def debian_available(*paths: str) -> str:
    """'' when every path exists, else the reason."""
    missing = [p for p in paths if not Path(p).exists()]
    return f"missing {', '.join(missing)} (run benchmarks/setup-peers)" if missing else ""


def _tail(path: Path, n: int = 3000) -> str:
    try:
        return path.read_text(errors="replace")[-n:]
    except OSError:
        return "(no log)"


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def wait_ready(name: str, proc: subprocess.Popen, log: Path, check, timeout: float) -> None:
    """Poll check() until it is true; PeerError with the log tail on exit or timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise PeerError(f"{name} exited with {proc.returncode} before it was ready; log tail:\n{_tail(log)}")
        try:
            if check():
                return
        except (OSError, httpx.HTTPError):
            pass
        time.sleep(0.2)
    raise PeerError(f"{name} not ready within {timeout:.0f}s; log tail:\n{_tail(log)}")


def _http_ok(url: str, ok=(200,)) -> bool:
    return httpx.get(url, timeout=2).status_code in ok


class _Process:
    """One child process with a log file; stop() is TERM, then KILL."""

    name = "peer"

    def __init__(self, workdir: Path):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.log_path = self.workdir / f"{self.name}.log"
        self.proc: subprocess.Popen | None = None

    def _spawn(self, cmd: list[str], env: dict | None = None) -> None:
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(cmd, stdout=self._log, stderr=subprocess.STDOUT, cwd=self.workdir, env=env,
                                     start_new_session=True)

    def _wait_ready(self, check, timeout: float) -> None:
        """wait_ready(), stopping the process when it never gets ready."""
        try:
            wait_ready(self.name, self.proc, self.log_path, check, timeout)
        except PeerError:
            self.stop(timeout=10)
            raise

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stop(self, timeout: float = 60) -> None:
        if self.proc:
            terminate(self.proc, timeout)


CARBON_CONF = """\
[cache]
STORAGE_DIR = {storage}
LOCAL_DATA_DIR = {storage}/whisper
WHITELISTS_DIR = {storage}/lists
LOG_DIR = {workdir}/log
PID_DIR = {workdir}
LINE_RECEIVER_INTERFACE = 127.0.0.1
LINE_RECEIVER_PORT = {line_port}
ENABLE_UDP_LISTENER = False
# 0 = no pickle listener
PICKLE_RECEIVER_PORT = 0
# carbon-cache always opens its cache-query port; graphite-web is not pointed at it
# (CARBONLINK_HOSTS = []), so reads come from the whisper files only.
CACHE_QUERY_INTERFACE = 127.0.0.1
CACHE_QUERY_PORT = {query_port}
# Measured at its best: no write or create throttling, no cache cap, no per-update logging.
MAX_UPDATES_PER_SECOND = inf
MAX_CREATES_PER_MINUTE = inf
MAX_CACHE_SIZE = inf
LOG_UPDATES = False
LOG_CREATES = False
LOG_CACHE_HITS = False
LOG_LISTENER_CONN_SUCCESS = False
CARBON_METRIC_INTERVAL = 0
ENABLE_LOGROTATION = False
USER =
"""


class CarbonCache(_Process):
    """Debian's carbon-cache in the foreground (twistd --nodaemon) with a generated carbon.conf."""

    name = "carbon-cache"
    EXE = "/usr/bin/carbon-cache"

    def __init__(self, workdir: Path, storage: Path, schemas: str, aggregation: str):
        super().__init__(workdir)
        self.storage = Path(storage)
        self.whisper_dir = self.storage / "whisper"
        self.line_port = free_port()
        (self.workdir / "storage-schemas.conf").write_text(schemas)
        (self.workdir / "storage-aggregation.conf").write_text(aggregation)
        (self.workdir / "carbon.conf").write_text(CARBON_CONF.format(
            storage=self.storage, workdir=self.workdir, line_port=self.line_port, query_port=free_port()))

    def start(self, timeout: float = 60) -> "CarbonCache":
        for d in (self.whisper_dir, self.storage / "lists", self.workdir / "log"):
            d.mkdir(parents=True, exist_ok=True)
        self._spawn(["/usr/bin/python3", self.EXE, "--config", str(self.workdir / "carbon.conf"),
                     "--pidfile", str(self.workdir / "carbon-cache.pid"), "--logdir", str(self.workdir / "log"),
                     "--nodaemon", "start"])
        self._wait_ready(lambda: _port_open(self.line_port), timeout)
        return self


class GraphiteWeb:
    """graphite-web over carbon-cache's whisper dir: tests/graphite_reference.GraphiteReference
    (its storage dir is the one carbon-cache writes), under gunicorn as bench_render runs it."""

    name = "graphite-web"

    def __init__(self, workdir: Path):
        self.ref = GraphiteReference(workdir)
        self.storage = self.ref.storage  # carbon-cache's STORAGE_DIR

    @property
    def url(self) -> str:
        return self.ref.url

    @property
    def pid(self) -> int:
        return self.ref.proc.pid

    def start(self, timeout: float = 120, workers: int | None = None) -> "GraphiteWeb":
        try:
            self.ref.start(timeout=timeout, workers=workers or os.cpu_count() or 2)
        except RuntimeError as exc:
            raise PeerError(str(exc)) from None
        return self

    def stop(self) -> None:
        self.ref.stop()


GO_CARBON_CONF = """\
[common]
user = ""
graph-prefix = "carbon.agents.{{host}}"
metric-endpoint = "local"
# go-carbon's own metrics once an hour: effectively off during a run
metric-interval = "1h0m0s"
max-cpu = {cpus}

[whisper]
data-dir = "{data}"
schemas-file = "{workdir}/storage-schemas.conf"
aggregation-file = "{workdir}/storage-aggregation.conf"
workers = {workers}
# 0 = no limit (measured at its best)
max-updates-per-second = 0
sparse-create = false
flock = true
enabled = true
hash-filenames = true
compressed = false

[cache]
# 0 = no cap on points held in memory
max-size = 0
write-strategy = "max"

[udp]
enabled = false

[tcp]
listen = "127.0.0.1:{tcp_port}"
enabled = true
buffer-size = 0

[pickle]
enabled = false

[carbonlink]
enabled = false

[grpc]
enabled = false

[tags]
enabled = false

[carbonserver]
listen = "127.0.0.1:{http_port}"
enabled = true
max-creates-per-second = 0
read-timeout = "120s"
write-timeout = "120s"
request-timeout = "120s"
# Response caches off: a cached answer would measure the cache, not the store.
query-cache-enabled = false
streaming-query-cache-enabled = false
find-cache-enabled = false
# Trie index with realtime indexing (go-carbon's documented way to make new series findable,
# served from its cache, before the next disk scan). Measured here: a scan-based index
# (scan-frequency 2s, cache-scan) never showed new series within 20 s; the realtime index
# once lost a series (listed by /metrics/find, absent from /render). A loss shows up as a
# readiness timeout in run_all's output, never as a silent wrong figure.
trigram-index = false
trie-index = true
concurrent-index = true
realtime-index = 1000000
scan-frequency = "5m0s"
cache-scan = false
# Answer 503 until the first index is built: a series received before that is never added to
# the realtime index (it would stay unreadable until the next scan), so "ready" must wait.
no-service-when-index-is-not-ready = true
max-globs = 100000
max-metrics-globbed = 100000000
max-metrics-rendered = 10000000
empty-result-ok = true
do-not-log-404s = true
graphite-web-10-strict-mode = true

[dump]
enabled = false

[pprof]
enabled = false

[[logging]]
logger = ""
file = "{workdir}/go-carbon.log"
level = "warn"
encoding = "mixed"
encoding-time = "iso8601"
encoding-duration = "seconds"
"""


class GoCarbon(_Process):
    name = "go-carbon"

    def __init__(self, workdir: Path, schemas: str, aggregation: str, exe: Path):
        super().__init__(workdir)
        self.exe = exe
        self.whisper_dir = self.workdir / "whisper"
        self.line_port, self.http_port = free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.http_port}"  # carbonserver
        (self.workdir / "storage-schemas.conf").write_text(schemas)
        (self.workdir / "storage-aggregation.conf").write_text(aggregation)
        cpus = os.cpu_count() or 2
        (self.workdir / "go-carbon.conf").write_text(GO_CARBON_CONF.format(
            cpus=cpus, workers=max(2, cpus), data=self.whisper_dir, workdir=self.workdir,
            tcp_port=self.line_port, http_port=self.http_port))

    def start(self, timeout: float = 60) -> "GoCarbon":
        self.whisper_dir.mkdir(parents=True, exist_ok=True)
        self._spawn([str(self.exe), "-config", str(self.workdir / "go-carbon.conf")])
        self._wait_ready(lambda: _port_open(self.line_port)
                         # an empty store answers find with 404 once its index is built: that means "up"
                         and _http_ok(f"{self.url}/metrics/find/?query=*&format=json", (200, 404)), timeout)
        return self


CARBONAPI_YAML = """\
listen: "127.0.0.1:{port}"
prefix: ""
expvar:
  enabled: false
  pprofEnabled: false
notFoundStatusCode: 200
concurency: 1000
# Response and backend caches off: a cached answer would measure the cache, not the store.
cache:
  type: "null"
backendCache:
  type: "null"
cpus: 0
tz: ""
graphite:
  host: ""
idleConnections: 100
pidFile: ""
upstreams:
  buckets: 10
  slowLogThreshold: "60s"
  timeouts:
    find: "60s"
    render: "120s"
    connect: "500ms"
  concurrencyLimitPerServer: 0
  keepAliveInterval: "30s"
  maxIdleConnsPerHost: 100
  backendsv2:
    backends:
      - groupName: "go-carbon"
        protocol: "carbonapi_v3_pb"
        lbMethod: "broadcast"
        maxTries: 1
        maxBatchSize: 0
        concurrencyLimit: 0
        maxIdleConnsPerHost: 100
        servers:
          - "{backend}"
logger:
  - logger: ""
    file: "stderr"
    level: "warn"
    encoding: "console"
"""


class CarbonApi(_Process):
    name = "carbonapi"

    def __init__(self, workdir: Path, backend_url: str, exe: Path):
        super().__init__(workdir)
        self.exe = exe
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        (self.workdir / "carbonapi.yaml").write_text(CARBONAPI_YAML.format(port=self.port, backend=backend_url))

    def start(self, timeout: float = 60) -> "CarbonApi":
        self._spawn([str(self.exe), "-config", str(self.workdir / "carbonapi.yaml")])
        self._wait_ready(lambda: _http_ok(f"{self.url}/metrics/find?query=*&format=json"), timeout)
        return self


class VictoriaMetrics(_Process):
    """VictoriaMetrics single-node: one process takes Graphite plaintext (-graphiteListenAddr,
    TCP and UDP) and answers the Graphite API (/render, /metrics/find; /graphite/... too) on its
    HTTP port. It has no storage-schemas: every point is kept as sent for -retentionPeriod,
    and /render aligns points to -search.graphiteStorageStep (default 10s). Unlike graphite-web,
    its /render includes a point stamped exactly at an aligned `from`.

    Defaults kept on purpose (what users get): -search.latencyOffset (30s),
    -search.graphiteStorageStep (10s), -inmemoryDataFlushInterval (5s), the concurrency limits
    (-search.maxConcurrentRequests: 2 per core, queued up to 10 s). Changed: the response cache
    is off (-search.disableCache; a cached answer would measure the cache), and the retention
    is one year, longer than anything a benchmark writes (its default is one month)."""

    name = "victoria-metrics"
    RETENTION = "1y"

    def __init__(self, workdir: Path, exe: Path):
        super().__init__(workdir)
        self.exe = exe
        self.data_dir = self.workdir / "data"
        self.line_port, self.http_port = free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.http_port}"

    def start(self, timeout: float = 60) -> "VictoriaMetrics":
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._spawn([str(self.exe), f"-storageDataPath={self.data_dir}", f"-retentionPeriod={self.RETENTION}",
                     f"-httpListenAddr=127.0.0.1:{self.http_port}", f"-graphiteListenAddr=127.0.0.1:{self.line_port}",
                     "-search.disableCache", "-loggerLevel=WARN"])
        self._wait_ready(lambda: _port_open(self.line_port) and _http_ok(f"{self.url}/health"), timeout)
        return self

    def flush(self) -> None:
        """Write the in-memory parts to the data dir now (/internal/force_flush): its size is then
        what the store holds, not what waits for the next -inmemoryDataFlushInterval."""
        httpx.get(f"{self.url}/internal/force_flush", timeout=120).raise_for_status()


def remove(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def whisper_points(path: Path) -> dict[int, float]:
    """{timestamp: value} of a whisper file's finest archive, read directly (whisper's layout:
    a 16-byte header, 12 bytes per archive, then (uint32 ts, float64 value) slots)."""
    try:
        raw = Path(path).read_bytes()
    except OSError:
        return {}
    if len(raw) < 28:
        return {}
    offset, _step, points = struct.unpack_from("!3L", raw, 16)
    return {ts: v for ts, v in struct.iter_unpack("!Ld", raw[offset: offset + points * 12]) if ts}


def on_disk(whisper_dir: Path, want: dict[str, dict[int, float]]) -> bool:
    """True when every wanted point is in the series' whisper file (not just in a cache)."""
    for name, pts in want.items():
        have = whisper_points(Path(whisper_dir, *name.split(".")).with_suffix(".wsp"))
        if any(have.get(ts) != v for ts, v in pts.items()):
            return False
    return True
