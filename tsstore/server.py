"""Run tsstore: ingest (listeners + WAL + aggregator), the HTTP API, or both, on one loop."""
from __future__ import annotations

import asyncio
import errno
import logging
import signal
import socket
import sys
import time

import uvicorn

from tsstore import gc_tuning, http_workers, malloc_tuning
from tsstore.config import Settings
from tsstore.data_dir import DataDirLock
from tsstore.http_protocol import HeadLimitedH11Protocol
from tsstore.index.paths import StoreTreeIndex
from tsstore.index.tag_index import StoreTagIndex
from tsstore.ingest.schemas import SchemaResolver, load_aggregation_text, load_schemas_text
from tsstore.memory_channel import MemoryChannelClient, MemoryChannelServer
from tsstore.store.with_memory import StoreWithMemory
from tsstore.writer_id import FILE_NAME as WRITER_ID_FILE, data_dir_writer_id

log = logging.getLogger(__name__)


def open_store(settings: Settings):
    if settings.store in ("embedded", "", None):
        from tsstore.store.embedded import EmbeddedStore

        return EmbeddedStore(settings.data_dir)
    if settings.store.startswith("cassandra://"):
        from tsstore.store.cassandra.store import CassandraStore

        return CassandraStore(settings.store)
    raise ValueError(f"unknown store {settings.store!r}: use 'embedded' or cassandra://host[,host...][:port]/keyspace")


def resolver_for(settings: Settings) -> SchemaResolver:
    return SchemaResolver(
        load_schemas_text(settings.schemas_file), load_aggregation_text(settings.aggregation_file)
    )


def check_ports_free(settings: Settings, ingest: bool, api: bool) -> None:
    """Fail before anything is created on disk when a port this process will bind is taken,
    naming the port and its flag (the real binds come later and still fail on a race)."""
    wanted = []
    carbon, http = settings.carbon_address, settings.http_address
    if ingest:
        wanted += [("carbon", carbon, settings.carbon_port, socket.SOCK_STREAM, "--carbon-port"),
                   ("pickle", carbon, settings.pickle_port, socket.SOCK_STREAM, "--pickle-port")]
        if settings.udp_enabled:
            wanted.append(("carbon UDP", carbon, settings.carbon_port, socket.SOCK_DGRAM, "--carbon-port"))
    if api and not http_workers.is_child():  # a child shares the port its main process holds
        wanted.append(("HTTP", http, settings.http_port, socket.SOCK_STREAM, "--http-port"))
    for what, host, port, kind, flag in wanted:
        if not port:
            continue
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, kind) as probe:
            if kind == socket.SOCK_STREAM:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the listeners bind
            try:
                probe.bind((host, port))
            except OSError as exc:
                hint = "; stop the process that listens there or choose another port" if exc.errno == errno.EADDRINUSE else ""
                raise OSError(exc.errno, f"{what} port {port} on {host} ({flag}): {exc.strerror}{hint}") from None


class Server:
    def __init__(self, settings: Settings, ingest: bool = True, api: bool = True):
        self.settings = settings
        self.run_ingest, self.run_api = ingest, api
        self.store = None
        self.pipeline = None
        self.listeners: dict = {}
        self.ports: dict[str, int] = {}  # what each listener really bound
        self._uvicorn = None
        self._api_task = None
        self._http_children: list = []
        self._status_task = None
        self._lock: DataDirLock | None = None
        self._channel = None  # the write channel (import-whisper), while ingest runs
        self._memory_channel = None  # unflushed points for the other HTTP processes, while ingest runs
        self._app_ctx = None
        self._tree_index = None  # the path index finds use (tsstore.index.paths)
        self._tag_index = None  # the tag index tag queries use (tsstore.index.tag_index)
        self._index_tasks: list[asyncio.Task] = []
        self._queried_store: StoreWithMemory | None = None
        self.stopped = asyncio.Event()

    async def start(self) -> None:
        resolver = resolver_for(self.settings)  # bad conf files fail here, before anything binds
        check_ports_free(self.settings, self.run_ingest, self.run_api)
        if self.run_ingest:  # the WAL and the store's writes belong to one process
            self._lock = DataDirLock(self.settings.data_dir).acquire()
        try:
            await self._open(resolver)
        except BaseException:
            if self._lock is not None:  # a failed start must not keep the data dir
                self._lock.release()
            raise

    async def _open(self, resolver: SchemaResolver) -> None:
        from tsstore.ingest.pipeline import IngestPipeline
        from tsstore.ingest.listeners import bound_port, start_listeners

        self.store = open_store(self.settings)
        await self.store.open()
        if self.run_ingest:
            # the id that decides, between writers, a slot they wrote different values into
            self.store.set_writer(writer := data_dir_writer_id(self.settings.data_dir))
            log.info("writer id %d (%s/%s)", writer, self.settings.data_dir, WRITER_ID_FILE)
            if hasattr(self.store, "write_in_child"):  # Cassandra: the driver's write work off this process's GIL
                self.store.write_in_child(writer)
            self.pipeline = IngestPipeline(self.settings, self.store, resolver)
            t0 = time.monotonic()
            await self.pipeline.start()
            self.listeners = await start_listeners(self.pipeline, self.settings)
            self.ports.update({kind: bound_port(srv) for kind, srv in self.listeners.items()})
            from tsstore.write_channel import WriteChannelServer

            self._channel = await WriteChannelServer(self.store, self.settings.data_dir, self.pipeline.counters,
                                                     self._lifecycle()).start()
            self._memory_channel = await MemoryChannelServer(self.pipeline.recent_slots, self.settings.data_dir,
                                                             getattr(self.store, "pending_series", None),
                                                             self.pipeline.known_metas).start()
            log.info("ingest ready in %.1fs (WAL replayed): listening on %s %s", time.monotonic() - t0,
                     self.settings.carbon_address, self.ports)
        if self.run_api and self.settings.http_port:
            from tsstore.api.app import AppContext, create_app

            self._app_ctx = AppContext(self._queried(), self.settings, self.pipeline.counters if self.pipeline else None,
                                       lifecycle=self._lifecycle())
            app = create_app(self._app_ctx)
            # proxy_headers off: the client address api_write_networks checks is the TCP peer's
            # (tsstore.api.access reads X-Forwarded-For only from api_trusted_proxies); h11 with
            # tsstore's head limit, answering an oversized URL 414 instead of a reset
            config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False, proxy_headers=False,
                                    http=HeadLimitedH11Protocol,
                                    h11_max_incomplete_event_size=self.settings.max_request_head_bytes)
            self._uvicorn = uvicorn.Server(config)
            self._uvicorn.install_signal_handlers = lambda: None
            # Our own socket, so extra HTTP processes can share the port (SO_REUSEPORT).
            sock = http_workers.bind_shared(self.settings.http_address, self.settings.http_port)
            self._api_task = asyncio.create_task(self._uvicorn.serve(sockets=[sock]))
            while not self._uvicorn.started:
                if self._api_task.done():
                    self._api_task.result()  # raises the bind error
                await asyncio.sleep(0.02)
            self.ports["http"] = sock.getsockname()[1]
            log.info("HTTP API on http://%s:%s; writes %s", self.settings.http_address, self.ports["http"],
                     app.state.write_access.describe())
            self._http_children = http_workers.start_children(self.settings, self.ports["http"])
            if self._http_children and self.pipeline is not None:
                self._status_task = asyncio.create_task(http_workers.publish_status(self.settings, self.pipeline.counters))

    def _queried(self) -> StoreWithMemory:
        """The store as queries (and the lifecycle's selections) see it, with the in-memory
        indexes, made once; they are built beside the serving (the store's own queries answer
        until then)."""
        if self._queried_store is None:
            if self.run_api:  # an ingest-only process keeps no index: its rare lifecycle requests walk the store
                self._tree_index = StoreTreeIndex.for_store(self.store)
                self._tag_index = StoreTagIndex.for_store(self.store)
                self._index_tasks = [asyncio.create_task(index.serve()) for index in (self._tree_index, self._tag_index)
                                     if index is not None]
            memory = self._memory_source()
            ingest_metas = None  # the metadata of the series the ingest process knows: no lookup for them
            if isinstance(memory, MemoryChannelClient):
                ingest_metas = memory.ingest_metas
                if hasattr(self.store, "pending_series"):  # a store that creates behind: names not in it yet
                    if self._tree_index is not None:
                        self._tree_index.also_pending(memory.pending_names)
                    if self._tag_index is not None:
                        self._tag_index.also_pending(memory.pending_tagged_names)
            elif self.pipeline is not None:
                pipeline = self.pipeline

                async def ingest_metas(names):
                    return pipeline.known_metas(names)
            self._queried_store = StoreWithMemory(self.store, memory, self._tree_index, self._tag_index, ingest_metas)
        return self._queried_store

    def _lifecycle(self):
        """Who deletes and renames series: this process when it ingests (or nothing ingests
        from the data dir), else the ingesting process through its write channel."""
        from tsstore.lifecycle.operations import SeriesLifecycle
        from tsstore.store.activity import activity_slack
        from tsstore.write_channel import LifecycleChannel, socket_path

        slack = activity_slack(self.settings.flush_interval)
        if self.pipeline is not None:
            return SeriesLifecycle(self._queried(), self.pipeline, slack)
        if socket_path(self.settings.data_dir).exists():
            return LifecycleChannel(self.settings.data_dir)
        from tsstore.ingest.forgotten import StoppedIngest

        return SeriesLifecycle(self._queried(), StoppedIngest(self.settings.wal_dir), slack)

    def _memory_source(self):
        """Where reads find the points not yet flushed: this process's pipeline, or the
        ingest process's memory channel."""
        if self.pipeline is None:
            return MemoryChannelClient(self.settings.data_dir)
        pipeline = self.pipeline

        async def held(names, level_of, start, end):
            return pipeline.recent_slots(names, level_of, start, end)
        return held

    async def stop(self) -> bool:
        """Stop everything; False when points taken in are not all in the store (the WAL
        keeps them for the next start)."""
        clean = True
        if self._status_task is not None:
            self._status_task.cancel()
        for task in self._index_tasks:
            task.cancel()
        http_workers.stop_children(self._http_children)
        for server in self.listeners.values():
            server.close()
        if self._channel is not None:
            await self._channel.stop()
        if self._memory_channel is not None:
            await self._memory_channel.stop()
        if self._uvicorn is not None:
            self._uvicorn.should_exit = True
            await self._api_task
        if self._app_ctx is not None and self._app_ctx.threads is not None:
            self._app_ctx.threads.close()
        if self.pipeline is not None:
            clean = await self.pipeline.stop()
        if self.store is not None:
            await self.store.close()
        if self._lock is not None:
            self._lock.release()
        self.stopped.set()
        return clean


async def run(settings: Settings, ingest: bool = True, api: bool = True) -> None:
    server = Server(settings, ingest, api)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    # before start: a SIGTERM that comes as soon as the API answers must stop it, not kill it
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await server.start()
    await stop.wait()
    log.info("stopping: flushing to the store")
    if await server.stop():
        log.info("stopped cleanly: the store has every point taken in")
    else:
        log.warning("stopped, but the store could not take the last points: they stay in the WAL and are "
                    "written at the next start")


GIL_SWITCH_SECONDS = 0.001


def run_process(settings: Settings, ingest: bool = True, api: bool = True, log_tag: str = "") -> None:
    """This process as a tsstore server until SIGTERM or SIGINT: logging (names tagged with
    `log_tag`), uvloop when it is installed, then run()."""
    logging.basicConfig(level=settings.log_level.upper(),
                        format=f"%(asctime)s %(levelname)s %(name)s{log_tag}: %(message)s")
    # A request hands over between threads (the main loop, a request thread, the store's
    # driver) several times, and each time waits for the GIL up to this interval while a
    # flush's thread holds it: 1 ms, not Python's 5, took renders during a 100k-series
    # Cassandra flush from p99 224-262 to 197-210 ms (two runs each).
    sys.setswitchinterval(GIL_SWITCH_SECONDS)
    malloc_tuning.tune_for_server()
    gc_tuning.tune_for_server(gc_tuning.CASSANDRA_YOUNG_THRESHOLD if settings.store.startswith("cassandra://")
                              else gc_tuning.YOUNG_THRESHOLD)
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(run(settings, ingest, api))
