"""The ingest process's Cassandra writes, in a process of their own: the store writer.

The driver costs Python for every request: a statement built, bound and launched, a reply
read and handed back, several times per created series and per group row. In the process
that also parses, applies and answers reads, that work held the GIL and the driver's one IO
thread: a read that met a flush waited 0.2-1.1 s for a reply that another process got from
the same node in 5-10 ms. So the ingest process (CassandraStore.write_in_child) hands its two
bulk writes, series creations and flush batches, to a child process that runs its own
CassandraStore and driver session, and keeps its own session for reads and the rare writes
(deletions, events, tags forgotten).

StoreWriterProcess starts `python -m tsstore.store.cassandra.writer_child` on one end of a
socket pair, with the store's configuration and writer id in its environment;
frames are tsstore.local_socket's (length and msgpack). Requests carry an id and are served
concurrently, as the store's own calls were:
- {"op": "create", "metas": [[name, rollups text, aggregation, xFilesFactor], ...]}
- {"op": "write", "batch": {level, keys, steps, retentions, starts, ts, values (bytes),
  columns, names}} (a WriteBatch, its names spelled out)
- {"op": "forget_branches"} (a deletion pruned the tree: CassandraStore.forget_branches)
answered {"id": n, "shared": [[name, start, end], ...]} (spans the store found another
process writing too: SegmentStore.on_shared_writes) or {"id": n, "error": "..."}, raised
in the parent as StoreUnavailable, which the ingest retries (StoreRetry) as any store failure.

A child that exits fails what it had in flight (retried the same way) and is started again by
the next call. It dies with its parent (kill -9 loses nothing: the WAL holds every point whose
flush had not ended). On the parent's close it finishes what it has, closes its session, exits.
"""
from __future__ import annotations

import asyncio
import dataclasses
import itertools
import json
import logging
import os
import socket
import subprocess
import sys

import numpy as np

from tsstore.local_socket import frame, read_frame
from tsstore.model import SeriesMeta, WriteBatch
from tsstore.store.base import rollups_of_text, rollups_text
from tsstore.store.cassandra.options import CassandraConfig
from tsstore.store.errors import StoreUnavailable

log = logging.getLogger(__name__)

ENV = "TSSTORE_STORE_WRITER"  # the child's configuration: json {config, writer, fd, log_level}
START_TIMEOUT_SECONDS = 120.0  # connecting and checking the keyspace, as the parent's own open
STOP_TIMEOUT_SECONDS = 30.0


# -- the messages -------------------------------------------------------------------------
def metas_message(metas: list[SeriesMeta]) -> list:
    return [[m.name, rollups_text(m.rollups), m.aggregation, m.xff] for m in metas]


def metas_of(message: list) -> list[SeriesMeta]:
    return [SeriesMeta(name, rollups_of_text(rollups), aggregation, xff) for name, rollups, aggregation, xff in message]


_INT_COLUMNS = ("keys", "steps", "retentions", "starts", "ts")


def batch_message(batch: WriteBatch) -> dict:
    """A WriteBatch as bytes and names: its arrays' buffers, each block's name."""
    message = {name: np.ascontiguousarray(getattr(batch, name), np.int64).tobytes() for name in _INT_COLUMNS}
    values = np.ascontiguousarray(batch.values, np.float64)
    message.update(level=batch.level, values=values.tobytes(), columns=values.shape[1],
                   names=[batch.name_of(g) for g in range(len(batch))])
    return message


def batch_of(message: dict) -> WriteBatch:
    arrays = {name: np.frombuffer(message[name], np.int64) for name in _INT_COLUMNS}
    values = np.frombuffer(message["values"], np.float64).reshape(-1, message["columns"])
    return WriteBatch(message["level"], arrays["keys"], arrays["steps"], arrays["retentions"], arrays["starts"],
                      arrays["ts"], values, message["names"].__getitem__)


# -- the parent's side ------------------------------------------------------------------
class StoreWriterProcess:
    """The child process that writes for a CassandraStore (see the module's docstring)."""

    def __init__(self, config: CassandraConfig, writer: int | None):
        self.config, self.writer = config, writer
        self._proc: subprocess.Popen | None = None
        self._stream: asyncio.StreamWriter | None = None
        self._replies: asyncio.Task | None = None
        self._starting: asyncio.Future | None = None
        self._waiting: dict[int, asyncio.Future] = {}
        self._ids = itertools.count(1)
        self._closed = False
        self._home: asyncio.AbstractEventLoop | None = None  # the loop that owns the socket (start)

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def start(self) -> None:
        """Start the child in the background (calls wait for it), from the loop that will
        own the child's socket."""
        if self._home is None:
            self._home = asyncio.get_running_loop()
        if self._starting is None:
            self._starting = asyncio.ensure_future(self._start(), loop=self._home)

    async def _start(self) -> None:
        self._stop_now()  # one that broke the channel but still runs: never two writers
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        env = {**os.environ, ENV: json.dumps({"config": dataclasses.asdict(self.config), "writer": self.writer,
                                              "fd": theirs.fileno(), "log_level": logging.getLevelName(log.getEffectiveLevel())})}
        try:
            self._proc = subprocess.Popen([sys.executable, "-m", "tsstore.store.cassandra.writer_child"], env=env,
                                          pass_fds=(theirs.fileno(),))
        finally:
            theirs.close()
        reader, self._stream = await asyncio.open_unix_connection(sock=ours)
        try:
            hello = await asyncio.wait_for(read_frame(reader), START_TIMEOUT_SECONDS)
        except (asyncio.IncompleteReadError, asyncio.TimeoutError, ConnectionError) as exc:
            self._stop_now()
            raise StoreUnavailable(f"the Cassandra writer process did not start ({type(exc).__name__}; see its log "
                                   "lines above)") from exc
        if "error" in hello:
            self._stop_now()
            raise StoreUnavailable(f"the Cassandra writer process could not open the store: {hello['error']}")
        log.info("Cassandra writes go through a process of their own (pid %d)", self._proc.pid)
        self._replies = asyncio.ensure_future(self._read_replies(reader))

    async def _read_replies(self, reader: asyncio.StreamReader) -> None:
        try:
            while True:
                reply = await read_frame(reader)
                waiter = self._waiting.pop(reply.get("id"), None)
                if waiter is not None and not waiter.done():
                    waiter.set_result(reply)
        except Exception as exc:  # noqa: BLE001 - whatever broke the channel, the child is replaced
            code = self._proc.poll() if self._proc is not None else None
            if not self._closed:
                log.warning("the Cassandra writer process stopped (%s, exit code %s); its writes in flight are "
                            "tried again in a new one", type(exc).__name__, code)
            self._fail_waiting(StoreUnavailable(f"the Cassandra writer process stopped (exit code {code})"))
            self._starting = None  # the next call starts another

    def _fail_waiting(self, exc: Exception) -> None:
        waiting, self._waiting = self._waiting, {}
        for waiter in waiting.values():
            if not waiter.done():
                waiter.set_exception(exc)

    async def call(self, request: dict) -> dict:
        """Send a request; its reply, or StoreUnavailable naming what failed. From any event
        loop: an HTTP request's work runs on a loop of its own (tsstore.api.offload), and the
        child's socket and replies belong to the loop that started it."""
        if self._home is not None and asyncio.get_running_loop() is not self._home:
            return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(self._call(request), self._home))
        return await self._call(request)

    async def _call(self, request: dict) -> dict:
        if self._closed:
            raise StoreUnavailable("the Cassandra store is closed")
        self.start()
        starting = self._starting
        try:
            await asyncio.shield(starting)
        except StoreUnavailable:
            if self._starting is starting:
                self._starting = None  # the next call tries again
            raise
        rid = next(self._ids)
        waiter = asyncio.get_running_loop().create_future()
        self._waiting[rid] = waiter
        try:
            self._stream.write(frame({**request, "id": rid}))
            await self._stream.drain()
        except ConnectionError as exc:
            self._waiting.pop(rid, None)
            raise StoreUnavailable(f"the Cassandra writer process is gone: {exc}") from exc
        reply = await waiter
        if "error" in reply:
            raise StoreUnavailable(reply["error"])
        return reply

    async def close(self) -> None:
        """Let the child finish what it has and exit."""
        self._closed = True
        if self._starting is not None and not self._starting.done():
            self._starting.cancel()
            await asyncio.gather(self._starting, return_exceptions=True)
        if self._stream is not None:
            self._stream.close()
        if self._proc is not None:
            try:
                await asyncio.get_running_loop().run_in_executor(None, self._proc.wait, STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                log.warning("the Cassandra writer process did not stop in %.0f s: killed", STOP_TIMEOUT_SECONDS)
                self._stop_now()
        if self._replies is not None:
            await asyncio.gather(self._replies, return_exceptions=True)

    def _stop_now(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()
