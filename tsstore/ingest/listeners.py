"""Carbon listeners on asyncio: plaintext TCP, plaintext UDP and pickle TCP.

Each connection has its own parser (it keeps the partial last line between reads) and
shares the series registry. A bad line or frame is counted and dropped; it never closes
the connection. Reading pauses while the pipeline is overloaded (backpressure) or while a
connection has too many batches waiting for the WAL.
"""
from __future__ import annotations

import asyncio
import collections
import logging
import struct
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from tsstore.index import tags
from tsstore.ingest import pickle_decoder, points, udp_drops
from tsstore.ingest.carbon_parser import CarbonLineParser
from tsstore.ingest.counters import RateLimitedLog
from tsstore.ingest.pipeline import IngestPipeline

log = logging.getLogger(__name__)
_ratelog = RateLimitedLog(log)

# Batches of one connection waiting for the WAL before we stop reading it.
MAX_INFLIGHT_PER_CONNECTION = 4


def _report_parser(pipeline: IngestPipeline, parser, before: dict, source: str) -> None:
    pipeline.counters.merge_stats("lines.", before, parser.stats)
    while parser.recent_errors:
        reason, line = parser.recent_errors.popleft()
        _ratelog.warning(f"bad line ({reason})", "%s: dropped a line (%s): %r", source, reason, line)


class _Flow:
    """Per-connection in-flight accounting for backpressure."""

    def __init__(self, pipeline: IngestPipeline, transport):
        self.pipeline, self.transport, self.inflight = pipeline, transport, 0
        self.paused = False

    def track(self, fut: asyncio.Future) -> None:
        self.inflight += 1
        fut.add_done_callback(self._done)
        if self.inflight >= MAX_INFLIGHT_PER_CONNECTION or self.pipeline.overloaded:
            if self.pipeline.overloaded:
                self.pipeline.pause(self.transport)
            elif not self.paused:
                self.paused = True
                self.transport.pause_reading()

    def _done(self, fut: asyncio.Future) -> None:
        self.inflight -= 1
        if not fut.cancelled():
            fut.exception()  # a refusal is counted by the pipeline; retrieve it so asyncio does not warn
        if self.paused and self.inflight < MAX_INFLIGHT_PER_CONNECTION and not self.transport.is_closing():
            self.paused = False
            self.transport.resume_reading()


class _CarbonConnection(asyncio.Protocol):
    """What every TCP carbon connection has: its pipeline, flow control and peer name."""

    def __init__(self, pipeline: IngestPipeline):
        self.pipeline = pipeline
        self.flow = None
        self.peer = "?"

    def connection_made(self, transport):
        self.transport = transport
        self.flow = _Flow(self.pipeline, transport)
        self.peer = "%s:%s" % (transport.get_extra_info("peername") or ("?", "?"))[:2]
        self.pipeline.counters.add("connections.opened")


class PlaintextProtocol(_CarbonConnection):
    def __init__(self, pipeline: IngestPipeline, max_line_length: int):
        super().__init__(pipeline)
        self.parser = CarbonLineParser(pipeline.registry, max_line_length)

    def data_received(self, data: bytes) -> None:
        before = dict(self.parser.stats)
        batch = self.parser.feed(data, int(time.time()))
        _report_parser(self.pipeline, self.parser, before, self.peer)
        if len(batch):
            self.flow.track(self.pipeline.submit(batch.sids, batch.timestamps, batch.values))

    def eof_received(self):
        return False  # close; a trailing line without newline is discarded, as carbon does

    def connection_lost(self, exc) -> None:
        self.parser.reset()
        self.pipeline.counters.add("connections.closed")


class UdpProtocol(asyncio.DatagramProtocol):
    def __init__(self, pipeline: IngestPipeline, max_line_length: int):
        self.pipeline = pipeline
        self.parser = CarbonLineParser(pipeline.registry, max_line_length)

    def datagram_received(self, data: bytes, addr) -> None:
        before = dict(self.parser.stats)
        now = int(time.time())
        batch = self.parser.feed(data, now)
        tail = self.parser.finish(now)  # a datagram's last line needs no newline
        _report_parser(self.pipeline, self.parser, before, f"udp {addr[0]}")
        for b in (batch, tail):
            if len(b):
                self.pipeline.submit(b.sids, b.timestamps, b.values)


_FRAME_HEADER = struct.Struct(">I")
# Frames are decoded here, off the event loop: a 1 MB frame of small objects takes up to about
# a second of Python (the opcode check, then loads), which on the loop would hold up every
# listener and the API. Frames of one connection stay in order; past _MAX_QUEUED frames
# waiting, the connection is not read until they are decoded.
_DECODER = ThreadPoolExecutor(2, thread_name_prefix="pickle-decode")
_MAX_QUEUED = 4


class PickleProtocol(_CarbonConnection):
    """Int32-length-prefixed pickle frames of [(path, (timestamp, value)), ...]."""

    def __init__(self, pipeline: IngestPipeline, max_frame: int):
        super().__init__(pipeline)
        self.max_frame = max_frame
        self.buffer = bytearray()
        self.skip = 0  # bytes of an oversized frame still to discard
        self.queued: collections.deque[bytes] = collections.deque()
        self.decoding = False
        self.paused = False

    def data_received(self, data: bytes) -> None:
        if self.skip:
            cut = min(self.skip, len(data))
            self.skip -= cut
            data = data[cut:]
        self.buffer += data
        while len(self.buffer) >= 4:
            (size,) = _FRAME_HEADER.unpack_from(self.buffer)
            if size > self.max_frame:
                # carbon drops the connection; we drop the frame and keep the connection.
                self.pipeline.counters.add("pickle.frame_too_large")
                _ratelog.warning("pickle frame", "%s: pickle frame of %d bytes is over the %d byte limit; dropped", self.peer, size, self.max_frame)
                available = len(self.buffer) - 4
                self.skip = max(0, size - available)
                del self.buffer[: 4 + min(size, available)]
                continue
            if len(self.buffer) < 4 + size:
                break
            self.queued.append(bytes(self.buffer[4 : 4 + size]))
            del self.buffer[: 4 + size]
        if len(self.queued) > _MAX_QUEUED:  # again even if paused: the pipeline may have resumed it
            self.paused = True
            self.transport.pause_reading()
        if self.queued and not self.decoding:
            self.decoding = True
            asyncio.get_running_loop().create_task(self._decode_queued())

    async def _decode_queued(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self.queued:
                frame = self.queued.popleft()
                try:
                    decoded = await loop.run_in_executor(_DECODER, pickle_decoder.decode_frame, frame)
                except ValueError as exc:
                    self.pipeline.counters.add("pickle.bad_frames")
                    _ratelog.warning("pickle bad frame", "%s: dropped a pickle frame: %s", self.peer, exc)
                    continue
                self._frame(*decoded)
                if self.paused and len(self.queued) <= _MAX_QUEUED // 2 and not self.transport.is_closing():
                    self.paused = False
                    if self.pipeline.overloaded:  # the pipeline resumes it when it has room
                        self.pipeline.pause(self.transport)
                    else:
                        self.transport.resume_reading()
        finally:
            self.decoding = False

    def _frame(self, items: list, skipped: int) -> None:
        if skipped:
            self.pipeline.counters.add("pickle.bad_elements", skipped)
        now = int(time.time())
        registry = self.pipeline.registry
        sids, ts, values = [], [], []
        for name, timestamp, value in items:
            if points.is_nan(value):
                self.pipeline.counters.add("pickle.nan_values")
                continue
            if not points.timestamp_ok(timestamp):
                self.pipeline.counters.add("pickle.bad_timestamp")
                continue
            try:
                key = points.series_key(name)
            except tags.InvalidTagError as exc:
                self.pipeline.counters.add("pickle.bad_tags")
                _ratelog.warning("pickle bad tags", "%s: dropped %r: %s", self.peer, name, exc)
                continue
            if not key or any(c.isspace() for c in key):
                self.pipeline.counters.add("pickle.bad_name")
                continue
            sids.append(registry.id_of(key.encode("utf-8")))
            ts.append(points.stamp(timestamp, now))
            values.append(value)
        self.pipeline.counters.add("pickle.points", len(sids))
        if sids:
            fut = self.pipeline.submit(np.array(sids, np.int64), np.array(ts, np.int64), np.array(values, np.float64))
            self.flow.track(fut)


async def start_listeners(pipeline: IngestPipeline, settings) -> dict:
    """Start the configured listeners: {"carbon": server, "udp": transport, "pickle": server}.

    A port of 0 in the settings disables that listener; use bound_port() for the real port.
    UDP shares the plaintext TCP port, as in carbon.
    """
    loop = asyncio.get_running_loop()
    servers = {}
    if settings.carbon_port:
        servers["carbon"] = await loop.create_server(
            lambda: PlaintextProtocol(pipeline, settings.max_line_length), settings.carbon_address, settings.carbon_port, reuse_address=True
        )
        if settings.udp_enabled:
            servers["udp"], _ = await loop.create_datagram_endpoint(
                lambda: UdpProtocol(pipeline, settings.max_line_length), local_addr=(settings.carbon_address, settings.carbon_port)
            )
            udp_drops.watch(servers["udp"].get_extra_info("socket"), pipeline.counters)
    if settings.pickle_port:
        servers["pickle"] = await loop.create_server(
            lambda: PickleProtocol(pipeline, settings.pickle_max_frame), settings.carbon_address, settings.pickle_port, reuse_address=True
        )
    return servers


def bound_port(server) -> int:
    """The port a started listener bound (useful with port 0)."""
    if hasattr(server, "sockets"):
        return server.sockets[0].getsockname()[1]
    return server.get_extra_info("sockname")[1]
