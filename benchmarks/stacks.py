"""One interface over every system run_all.py measures: a carbon plaintext port to write to,
a Graphite HTTP API to read from, the ingesting processes to account CPU and RSS to, and
the bytes its store holds on disk.

    tsstore (embedded)            tsstore serve, SQLite store
    tsstore (cassandra)           tsstore serve --store cassandra://... (a fresh keyspace, dropped after)
    carbon-cache + graphite-web   Debian packages (benchmarks/peers.py)
    go-carbon + carbonapi         built by benchmarks/setup-peers (benchmarks/peers.py)
    VictoriaMetrics               single-node, built by benchmarks/setup-peers (benchmarks/peers.py);
                                  no storage-schemas: it keeps every point as sent

Every system gets the same storage-schemas.conf and storage-aggregation.conf
(benchmarks.bench_render.SCHEMAS / AGGREGATION).
"""
from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from benchmarks import peers
from benchmarks.bench_ingest import tsstore_acked
from benchmarks.bench_render import AGGREGATION, SCHEMAS
from tests.helpers.servers import ServerProcess

ROOT = Path(__file__).resolve().parent.parent

TSSTORE_EMBEDDED = "tsstore (embedded)"
TSSTORE_CASSANDRA = "tsstore (cassandra)"
CARBON_CACHE = "carbon-cache + graphite-web"
GO_CARBON = "go-carbon + carbonapi"
VICTORIAMETRICS = "VictoriaMetrics"


class Unavailable(Exception):
    """The system cannot run here (not built, not installed, no Cassandra): the reason is reported."""


@dataclass
class Stack:
    name: str
    carbon_port: int
    url: str                                  # Graphite HTTP API (/render, /metrics/find)
    ingest_pids: list[int]                    # the processes that receive and store points
    data_bytes: Callable[[], int | None]      # bytes of the store on disk (None: not measurable here)
    acked: Callable[[int], Callable] | None = None  # tsstore only: pass index -> wait-until-acknowledged
    # go-carbon only: {name: {ts: value}} -> all in the whisper files (it serves reads from its cache)
    persisted: Callable[[dict], bool] | None = None
    notes: list[str] = field(default_factory=list)
    _stop: list[Callable[[], None]] = field(default_factory=list)

    def stop(self) -> None:
        for fn in reversed(self._stop):
            try:
                fn()
            except Exception as exc:  # keep stopping the others
                print(f"  warning: stopping {self.name}: {exc}")
        self._stop.clear()


def _dir_bytes(path: Path, pattern: str = "**/*") -> int:
    """File sizes (not allocated blocks: go-carbon's and carbon-cache's whisper files are
    allocated differently by the filesystem, their sizes are what whisper lays out)."""
    return sum(p.stat().st_size for p in Path(path).glob(pattern) if p.is_file())


def _conf_files(work: Path) -> tuple[Path, Path]:
    work.mkdir(parents=True, exist_ok=True)
    (work / "storage-schemas.conf").write_text(SCHEMAS)
    (work / "storage-aggregation.conf").write_text(AGGREGATION)
    return work / "storage-schemas.conf", work / "storage-aggregation.conf"


def cassandra_address() -> tuple[str | None, str]:
    """(host:port, "") from TSSTORE_CASSANDRA, else from a running scripts/cassandra-local;
    (None, why) when neither answers. Asked 3 times: a shared local node may be restarting."""
    if os.environ.get("TSSTORE_CASSANDRA"):
        return os.environ["TSSTORE_CASSANDRA"], ""
    why = ""
    for attempt in range(3):
        try:
            out = subprocess.run([str(ROOT / "scripts" / "cassandra-local"), "status"], capture_output=True, text=True,
                                 timeout=60)
        except (OSError, subprocess.TimeoutExpired) as exc:
            why = f"scripts/cassandra-local status: {exc}"
        else:
            if out.returncode == 0 and out.stdout.strip():
                return out.stdout.strip().splitlines()[-1], ""
            why = f"scripts/cassandra-local status: {(out.stderr or out.stdout).strip()[-200:] or out.returncode}"
        time.sleep(5 * (attempt + 1))
    return None, (f"no Cassandra ({why}); set TSSTORE_CASSANDRA=host:port or run scripts/cassandra-local start")


def _drop_keyspace(address: str, keyspace: str) -> None:
    from cassandra.cluster import Cluster

    host, port = address.rsplit(":", 1)
    cluster = Cluster([host], port=int(port), protocol_version=5, connect_timeout=10)
    try:
        cluster.connect().execute(f"DROP KEYSPACE IF EXISTS {keyspace}", timeout=120)
    finally:
        cluster.shutdown()


def start_tsstore(work: Path, cassandra: str | None = None) -> Stack:
    """tsstore serve with its defaults; --http-workers 2 as graphite-web gets 2 gunicorn workers."""
    schemas, aggregation = _conf_files(work)
    extra = []
    name = TSSTORE_EMBEDDED
    keyspace = None
    if cassandra:
        keyspace = f"bench_{int(time.time())}"
        extra = ["--store", f"cassandra://{cassandra}/{keyspace}"]
        name = TSSTORE_CASSANDRA
    srv = ServerProcess(work / "data", "--schemas-file", str(schemas), "--aggregation-file", str(aggregation),
                        "--self-metrics-interval", "0", "--http-workers", "2", *extra)  # 2 cores, as graphite-web gets 2 gunicorn workers
    try:
        srv.start(timeout=120)
    except AssertionError as exc:
        raise Unavailable(f"tsstore did not start: {exc}") from None
    stack = Stack(name, srv.carbon_port, srv.url, [srv.proc.pid],
                  # the store's files only (the WAL is the durability log, not the store)
                  data_bytes=(lambda: _dir_bytes(work / "data", "tsstore.db*")) if not cassandra else (lambda: None),
                  acked=lambda p: tsstore_acked(srv, p))
    stack._stop.append(lambda: srv.stop(timeout=600))
    if keyspace:
        stack._stop.insert(0, lambda: _drop_keyspace(cassandra, keyspace))
        stack.notes.append(f"keyspace {keyspace} on {cassandra}, dropped after the run")
    return stack


def start_carbon_cache(work: Path) -> Stack:
    why = peers.debian_available(peers.CarbonCache.EXE, "/usr/lib/python3/dist-packages/graphite/settings.py",
                                 "/usr/bin/gunicorn")
    if why:
        raise Unavailable(f"not installed: {why}")
    web = peers.GraphiteWeb(work / "graphite-web")
    cache = peers.CarbonCache(work / "carbon-cache", web.storage, SCHEMAS, AGGREGATION)
    stack = Stack(CARBON_CACHE, cache.line_port, "", [], data_bytes=lambda: _dir_bytes(cache.whisper_dir, "**/*.wsp"))
    try:
        cache.start()
        stack._stop.append(cache.stop)
        web.start()
        stack._stop.append(web.stop)
    except peers.PeerError as exc:
        stack.stop()
        raise Unavailable(f"did not start: {exc}") from None
    stack.url = web.url
    stack.ingest_pids = [cache.pid]
    return stack


def start_go_carbon(work: Path) -> Stack:
    gc_exe, why = peers.built("go-carbon")
    if not gc_exe:
        raise Unavailable(f"not built: {why}")
    api_exe, why = peers.built("carbonapi")
    if not api_exe:
        raise Unavailable(f"not built: carbonapi: {why}")
    gc = peers.GoCarbon(work / "go-carbon", SCHEMAS, AGGREGATION, gc_exe)
    api = peers.CarbonApi(work / "carbonapi", gc.url, api_exe)
    stack = Stack(GO_CARBON, gc.line_port, api.url, [], data_bytes=lambda: _dir_bytes(gc.whisper_dir, "**/*.wsp"))
    try:
        gc.start()
        stack._stop.append(gc.stop)
        api.start()
        stack._stop.append(api.stop)
    except peers.PeerError as exc:
        stack.stop()
        raise Unavailable(f"did not start: {exc}") from None
    stack.ingest_pids = [gc.pid]
    stack.persisted = lambda want: peers.on_disk(gc.whisper_dir, want)
    stack.notes.append("go-carbon serves points from its cache as soon as it has received them, so 'readable' "
                       "comes before the whisper files are written; 'persisted' is when the marker and the 50 sampled "
                       "series are in their whisper files (write strategy 'max' writes the one-point marker last), "
                       "and its CPU and disk figures are taken then. carbon-cache is read from its whisper files only "
                       "(graphite-web has no CARBONLINK_HOSTS), so for it readable = persisted.")
    return stack


def start_victoriametrics(work: Path) -> Stack:
    exe, why = peers.built("victoria-metrics")
    if not exe:
        raise Unavailable(f"not built: {why}")
    vm = peers.VictoriaMetrics(work / "victoria-metrics", exe)

    def data_bytes() -> int:
        vm.flush()
        return _dir_bytes(vm.data_dir)

    stack = Stack(VICTORIAMETRICS, vm.line_port, vm.url, [], data_bytes=data_bytes)
    try:
        vm.start()
        stack._stop.append(vm.stop)
    except peers.PeerError as exc:
        stack.stop()
        raise Unavailable(f"did not start: {exc}") from None
    stack.ingest_pids = [vm.pid]
    stack.notes.append("VictoriaMetrics runs with its defaults for -search.latencyOffset (30s; its source applies "
                       "it to the Prometheus query API only, not to Graphite /render) and -search.graphiteStorageStep "
                       "(10s: /render aligns every series to 10 s slots). It ignores storage-schemas.conf and "
                       "storage-aggregation.conf (no rollups: a 7-day panel reads the raw points), keeps everything "
                       "for -retentionPeriod=1y, and its response cache is off. Points are readable once in its "
                       "in-memory parts and written to disk within -inmemoryDataFlushInterval (5s); its disk figure is "
                       "taken after /internal/force_flush, before background merges have compacted the parts.")
    return stack
