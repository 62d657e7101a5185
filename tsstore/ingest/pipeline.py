"""The ingest pipeline: socket batches -> WAL (group commit) -> rollup aggregator -> store.

* submit() hands a batch of parsed points to the committer; the returned future resolves
  once the batch is fsynced in the WAL: only then does it count as received.
* The consumer applies WAL records to the aggregator in WAL order, straight from memory
  while it keeps up, re-reading the WAL files when it fell behind (store outage, start-up
  replay). So the aggregator always sees exactly the WAL, and a crash replays it.
* Every flush_interval the consumer drains the aggregator and writes to the store, retrying
  with backoff while the store is down; once the store has the data, WAL files that are
  wholly consumed are deleted.
"""
from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections import defaultdict, deque
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from tsstore.ingest.carbon_parser import SeriesRegistry
from tsstore.ingest.counters import Counters, RateLimitedLog
from tsstore.ingest.rollup import RollupAggregator
from tsstore.store.base import Store
from tsstore.model import COUNT, LAST, MAX, MIN, SUM, SeriesMeta, Slots, WriteRequest
from tsstore.ingest.wal import Position, WalFull, WriteAheadLog, decode_points, encode_points

log = logging.getLogger(__name__)

# In-memory copies of committed records kept for the consumer; past this it re-reads the WAL.
LIVE_QUEUE_POINTS = 4_000_000
# Flush early when this many points were applied since the last flush.
FLUSH_POINTS = 2_000_000
MAX_BACKOFF = 30.0


class IngestPipeline:
    def __init__(self, settings, store: Store, resolver, registry: SeriesRegistry | None = None, counters=None):
        self.settings = settings
        self.store = store
        self.resolver = resolver
        self.registry = registry or SeriesRegistry()
        self.counters = counters or Counters()
        self.wal = WriteAheadLog(settings.wal_dir, max_bytes=settings.wal_max_bytes)
        self.aggregator = RollupAggregator()
        self._wal_thread = ThreadPoolExecutor(1, thread_name_prefix="wal")
        self._pending: list[tuple[np.ndarray, np.ndarray, np.ndarray, asyncio.Future]] = []
        self.pending_points = 0
        self._commit_wakeup = asyncio.Event()
        self._live: deque = deque()  # (position after, sids, ts, values)
        self._live_points = 0
        self._live_wakeup = asyncio.Event()
        self._behind = True  # start by replaying the WAL from disk
        self._pos = Position(0, 0)
        self._metas: list[SeriesMeta | None] = []
        self._configured = np.zeros(0, bool)
        self._applied_since_flush = 0
        self._last_flush = time.monotonic()
        self._last_coarse = 0.0
        self._stopping = False
        self._tasks: list[asyncio.Task] = []
        self._paused: set = set()  # transports paused for backpressure
        self._ratelog = RateLimitedLog(log)
        self._logged_names = 0
        self.flushed = asyncio.Event()  # set after every completed flush (tests and benchmarks wait on it)

    # -- life cycle ------------------------------------------------------------------
    async def start(self) -> None:
        names = self.wal.open()
        for name in names:
            self.registry.id_of(name.encode("utf-8"))
        self._logged_names = len(self.registry)
        self._pos = self.wal.first_position()
        self._tasks = [
            asyncio.create_task(self._committer(), name="wal-committer"),
            asyncio.create_task(self._consumer(), name="aggregator-consumer"),
        ]
        if self.settings.self_metrics_interval > 0:
            self._tasks.append(asyncio.create_task(self._self_metrics(), name="self-metrics"))

    async def stop(self) -> None:
        """Commit what is pending, apply it, flush to the store, and close."""
        self._stopping = True
        self._commit_wakeup.set()
        while self._pending:
            await asyncio.sleep(0.01)
        await self._wait_caught_up()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        try:
            await self._flush(final=True)
        except Exception as exc:  # the WAL keeps everything for the next start
            log.error("final flush failed (%s); the WAL keeps the points for the next start", exc)
        self.wal.close()
        self._wal_thread.shutdown(wait=True)

    async def _wait_caught_up(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while (self._behind or self._live) and time.monotonic() < deadline:
            self._live_wakeup.set()
            await asyncio.sleep(0.01)

    # -- accepting points ---------------------------------------------------------------
    def submit(self, sids: np.ndarray, ts: np.ndarray, values: np.ndarray) -> asyncio.Future:
        """Queue points for the WAL; the future resolves when they are durable."""
        fut = asyncio.get_running_loop().create_future()
        if not len(sids):
            fut.set_result(0)
            return fut
        self._pending.append((sids, ts, values, fut))
        self.pending_points += len(sids)
        self._commit_wakeup.set()
        return fut

    @property
    def overloaded(self) -> bool:
        return self.pending_points + self._live_points > self.settings.max_pending_points

    def pause(self, transport) -> None:
        self._paused.add(transport)
        transport.pause_reading()

    def _maybe_resume(self) -> None:
        if self._paused and not self.overloaded:
            for transport in self._paused:
                if not transport.is_closing():
                    transport.resume_reading()
            self._paused.clear()

    async def _committer(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await self._commit_wakeup.wait()
            self._commit_wakeup.clear()
            if not self._pending:
                continue
            batch, self._pending = self._pending, []
            n = sum(len(b[0]) for b in batch)
            sids = np.concatenate([b[0] for b in batch])
            ts = np.concatenate([b[1] for b in batch])
            values = np.concatenate([b[2] for b in batch])
            new_names = self.registry.names_since(self._logged_names)
            payload = encode_points(sids, ts, values)
            try:
                pos = await loop.run_in_executor(self._wal_thread, self.wal.append, [payload], new_names)
            except WalFull as exc:
                self.counters.add("dropped.wal_full", n)
                self._ratelog.warning("wal_full", "refusing %d points: %s", n, exc)
                pos = None
            except OSError as exc:
                self.counters.add("dropped.wal_error", n)
                self._ratelog.warning("wal_error", "refusing %d points: WAL write failed: %s", n, exc)
                pos = None
            else:
                self._logged_names += len(new_names)
                self.counters.add("points.received", n)
                self.counters.set("wal.bytes", self.wal.size_bytes)
                self._live.append((pos, sids, ts, values))
                self._live_points += n
                if self._live_points > LIVE_QUEUE_POINTS:
                    self._drop_live_copies()
                self._live_wakeup.set()
            self.pending_points -= n
            for *_, fut in batch:
                if not fut.done():
                    if pos is None:
                        fut.set_exception(WalFull("WAL refused the points"))
                    else:
                        fut.set_result(len(batch))
            self._maybe_resume()

    def _drop_live_copies(self) -> None:
        """The consumer fell behind: let it re-read the WAL instead of holding copies in memory."""
        self._live.clear()
        self._live_points = 0
        self._behind = True

    # -- applying points ------------------------------------------------------------------
    async def _consumer(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            if self._behind:
                await self._catch_up_from_disk(loop)
                continue
            if not self._live:
                self._live_wakeup.clear()
                try:
                    await asyncio.wait_for(self._live_wakeup.wait(), timeout=self._until_flush())
                except asyncio.TimeoutError:
                    pass
            while self._live and not self._behind:
                pos, sids, ts, values = self._live.popleft()
                self._live_points -= len(sids)
                if pos <= self._pos:
                    continue  # already applied from disk
                await self._apply(sids, ts, values)
                self._pos = pos
                self._maybe_resume()
                if self._applied_since_flush >= FLUSH_POINTS:
                    await self._flush()
            if self._until_flush() <= 0:
                await self._flush()

    async def _catch_up_from_disk(self, loop) -> None:
        head = self.wal.head
        records = await loop.run_in_executor(None, lambda: list(self._read_records(self._pos, 64)))
        for pos, payload in records:
            await self._apply(*decode_points(payload))
            self._pos = pos
            if self._applied_since_flush >= FLUSH_POINTS:
                await self._flush()
        if not records or self._pos >= head:
            if not records and self._pos < head:
                self._pos = head  # nothing readable between: torn tail of an earlier run
            self._behind = False
            self._maybe_resume()

    def _read_records(self, pos: Position, limit: int):
        for i, item in enumerate(self.wal.read_from(pos)):
            if i >= limit:
                return
            yield item

    def _until_flush(self) -> float:
        return max(0.0, self.settings.flush_interval - (time.monotonic() - self._last_flush))

    async def _configure(self, sids: np.ndarray) -> None:
        """Give the aggregator the rollups of series it has not seen in this process."""
        size = len(self.registry)
        if len(self._configured) < size:
            self._configured = np.concatenate([self._configured, np.zeros(size - len(self._configured) + 1024, bool)])
            self._metas.extend([None] * (len(self._configured) - len(self._metas)))
        unknown = np.unique(sids[~self._configured[sids]])
        if not len(unknown):
            return
        names = [self.registry.name_of(int(s)) for s in unknown]
        existing = await self._retry("read series", lambda: self.store.get_series(names))
        new_metas = [self.resolver.meta_for(n) for n in names if n not in existing]
        if new_metas:
            await self._retry("create series", lambda: self.store.create_series(new_metas))
            self.counters.add("series.created", len(new_metas))
        created = {m.name: m for m in new_metas}
        for sid, name in zip(unknown.tolist(), names):
            meta = existing.get(name) or created[name]
            self.aggregator.set_series(
                sid,
                [r.step for r in meta.rollups],
                [r.retention for r in meta.rollups],
                name not in existing,
            )
            self._metas[sid] = meta
            self._configured[sid] = True

    async def _apply(self, sids, ts, values) -> None:
        await self._configure(sids)
        self.aggregator.add(sids, ts, values, int(time.time()))
        self._applied_since_flush += len(sids)

    # -- flushing ---------------------------------------------------------------------------
    async def _retry(self, what: str, call):
        delay = 0.2
        while True:
            try:
                return await call()
            except Exception as exc:  # any store failure: keep the WAL, back off, try again
                self.counters.add("store.errors")
                if self._stopping:
                    raise
                self._ratelog.warning("store", "store %s failed (%s: %s); retrying in %.1fs", what, type(exc).__name__, exc, delay)
                await asyncio.sleep(delay)
                delay = min(MAX_BACKOFF, delay * 2)

    def _requests(self, sid, level, ts, vals) -> list[WriteRequest]:
        """Group drained rows into one WriteRequest per (series, level); later rows win."""
        if not len(sid):
            return []
        order = np.lexsort((np.arange(len(sid)), ts, level, sid))
        sid, level, ts, vals = sid[order], level[order], ts[order], vals[order]
        last_of_slot = np.ones(len(sid), bool)
        same = (sid[1:] == sid[:-1]) & (level[1:] == level[:-1]) & (ts[1:] == ts[:-1])
        last_of_slot[:-1] = ~same
        sid, level, ts, vals = sid[last_of_slot], level[last_of_slot], ts[last_of_slot], vals[last_of_slot]
        cuts = np.flatnonzero((sid[1:] != sid[:-1]) | (level[1:] != level[:-1])) + 1
        bounds = zip(np.concatenate([[0], cuts]).tolist(), np.concatenate([cuts, [len(sid)]]).tolist())
        out = []
        for lo, hi in bounds:
            meta = self._metas[int(sid[lo])]
            lev = int(level[lo])
            rollup = meta.rollups[lev]
            block = vals[lo:hi, LAST : LAST + 1] if lev == 0 else vals[lo:hi]
            out.append(WriteRequest(meta.name, lev, rollup.step, Slots(ts[lo:hi].copy(), np.ascontiguousarray(block)), rollup.retention))
        return out

    @staticmethod
    def _merge(slots: Slots, raw: bool) -> tuple[float, float, float, float, float] | None:
        """Merge finer slots into one coarse aggregate (SUM, COUNT, MIN, MAX, LAST)."""
        if not len(slots):
            return None
        v = slots.values
        if raw:
            col = v[:, 0]
            return float(col.sum()), float(len(col)), float(col.min()), float(col.max()), float(col[-1])
        return (float(v[:, SUM].sum()), float(v[:, COUNT].sum()), float(v[:, MIN].min()), float(v[:, MAX].max()), float(v[-1, LAST]))

    async def _flush(self, final: bool = False) -> None:
        self.wal.request_rotate()
        pos = self._pos
        # Open coarse slots are written every rollup_provisional_interval only: they can be
        # rebuilt from level 0 after a crash, so the WAL may be trimmed without them.
        coarse = final or time.monotonic() - self._last_coarse >= self.settings.rollup_provisional_interval
        if coarse:
            self._last_coarse = time.monotonic()
        await self._write_drained(self.aggregator.drain(coarse), coarse)
        self._applied_since_flush = 0
        self._last_flush = time.monotonic()
        removed = await asyncio.get_running_loop().run_in_executor(self._wal_thread, self.wal.trim_before, pos.file_no)
        self.counters.add("wal.files_trimmed", removed)
        self.counters.set("wal.bytes", self.wal.size_bytes)
        self.flushed.set()
        self.flushed = asyncio.Event()

    async def _write_drained(self, d, coarse: bool = True) -> None:
        requests = self._requests(d.w_sid, d.w_level, d.w_ts, d.w_values)
        max_level = max((r.level for r in requests), default=0)
        if len(d.rederive_level):
            max_level = max(max_level, int(d.rederive_level.max()))
        for level in range(max_level + 1):
            batch = [r for r in requests if r.level == level]
            if batch:
                await self._retry("write", lambda b=batch: self.store.write(b))
                self.counters.add("points.written" if level == 0 else "rollup_slots.written", sum(len(r.slots) for r in batch))
            sel = np.flatnonzero(d.rederive_level == level)
            if len(sel):
                await self._rederive(d.rederive_sid[sel], level, d.rederive_ts[sel])
        if len(d.reseed_sid):
            await self._reseed(d)
            # Seeding changed open slots: write their corrected provisional values now.
            again = self.aggregator.drain(coarse)
            await self._write_drained(again, coarse)

    async def _rederive(self, sids, level: int, slots_ts) -> None:
        """Recompute closed coarse slots from the next finer level in the store. Series that
        need the same slot are read in one read_many (one round of parallel reads on
        Cassandra, a few statements on SQLite), not one awaited read each."""
        groups: dict[tuple[int, int, int], list] = defaultdict(list)
        for sid, slot in zip(sids.tolist(), slots_ts.tolist()):
            meta = self._metas[sid]
            groups[(slot, meta.rollups[level - 1].step, meta.rollups[level].step)].append(meta)
        reqs = []
        for (slot, finer_step, coarse_step), metas in groups.items():
            names = [m.name for m in metas]
            got = await self._retry("read", lambda: self.store.read_many(
                names, {n: (level - 1, finer_step) for n in names}, slot, slot + coarse_step))
            for meta in metas:
                agg = self._merge(got[meta.name], raw=(level - 1 == 0))
                if agg is not None:
                    reqs.append(WriteRequest(meta.name, level, coarse_step, Slots(np.array([slot], np.int64), np.array([agg])),
                                             meta.rollups[level].retention))
        if reqs:
            await self._retry("write", lambda: self.store.write(reqs))
            self.counters.add("rollup_slots.rederived", len(reqs))

    async def _reseed(self, d) -> None:
        """Rebuild open coarse accumulators from level-0 slots, grouped like _rederive."""
        groups: dict[tuple[int, int, int], list] = defaultdict(list)
        for sid, level, slot, upto in zip(d.reseed_sid.tolist(), d.reseed_level.tolist(), d.reseed_ts.tolist(), d.reseed_upto.tolist()):
            groups[(slot, upto, self._metas[sid].rollups[0].step)].append((sid, level))
        for (slot, upto, step0), members in groups.items():
            names = list({self._metas[sid].name for sid, _ in members})
            got = await self._retry("read", lambda: self.store.read_many(names, {n: (0, step0) for n in names}, slot, upto))
            for sid, level in members:
                agg = self._merge(got[self._metas[sid].name], raw=True) or (0.0, 0.0, float("inf"), float("-inf"), float("nan"))
                self.aggregator.seed(sid, level, slot, *agg)

    # -- self metrics ---------------------------------------------------------------------------
    def _gauges(self) -> None:
        self.counters.set("queue.pending_points", self.pending_points)
        self.counters.set("queue.unapplied_points", self._live_points)
        self.counters.set("wal.bytes", self.wal.size_bytes)
        self.counters.set("series.known", len(self.registry))
        for key, value in self.aggregator.stats.items():
            self.counters.set(f"aggregator.{key}", value)

    async def _self_metrics(self) -> None:
        host = socket.gethostname().replace(".", "_")
        prefix = f"{self.settings.self_metrics_prefix}.{host}."
        while True:
            await asyncio.sleep(self.settings.self_metrics_interval)
            self._gauges()
            now = int(time.time())
            snap = self.counters.snapshot()
            sids = np.array([self.registry.id_of((prefix + k).encode()) for k in snap], np.int64)
            ts = np.full(len(sids), now, np.int64)
            values = np.array(list(snap.values()), np.float64)
            try:
                await self.submit(sids, ts, values)
            except WalFull:
                pass
