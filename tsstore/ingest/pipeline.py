"""The ingest pipeline: socket batches -> WAL (group commit) -> rollup aggregator -> store.

* submit() hands a batch of parsed points to the committer; the returned future resolves
  once the batch is fsynced in the WAL: only then does it count as received.
* The consumer applies WAL records to the aggregator in WAL order, straight from memory
  while it keeps up, re-reading the WAL files when it fell behind (store outage, start-up
  replay). So the aggregator always sees exactly the WAL, and a crash replays it.
* Reads see every applied point at once: recent_slots() answers from the aggregator's open
  slots and the rows it keeps until the store has them (tsstore.store.with_memory merges
  them into reads; tsstore.memory_channel serves them to the other HTTP processes).
* Every flush_interval the flusher drains the aggregator and writes to the store, beside the
  consumer (which goes on applying), retrying with backoff while the store is down; once the
  store has the data, WAL files that are wholly consumed are deleted.
* Backpressure: while more than max_pending_points are uncommitted or unapplied the
  pipeline is overloaded; listeners then pause() their transports, which resume once the
  stages have caught up.

This module wires the stages, each its own module in tsstore.ingest, and is their public
face for the server and the listeners:

    committer (WAL group commit) -> live_queue (committed records kept in memory) ->
    consumer (WAL order into the rollup aggregator) -> flusher (aggregator rows into the
    store, then the WAL trim) -> rederive (coarse slots recomputed or reseeded from the store)

and what they share: series_rollups (each series' rollups, from the store or the schema
rules), store_retry (store calls retried with backoff), self_metrics (the counters fed
back as points).
"""
from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from tsstore.ingest.carbon_parser import SeriesRegistry
from tsstore.ingest.counters import Counters, RateLimitedLog
from tsstore.ingest.rollup import RollupAggregator
from tsstore.ingest.committer import Committer
from tsstore.ingest.consumer import Consumer
from tsstore.ingest.deletion_follower import DeletionFollower
from tsstore.ingest.flusher import Flusher
from tsstore.ingest.forgotten import ForgottenSeries
from tsstore.ingest.live_queue import LiveQueue
from tsstore.ingest.rederive import Rederiver
from tsstore.ingest.self_metrics import SelfMetrics
from tsstore.ingest.series_rollups import SeriesRollups
from tsstore.ingest.store_retry import StoreRetry
from tsstore.ingest.wal import WriteAheadLog
from tsstore.model import SeriesMeta, Slots
from tsstore.store.base import Store

log = logging.getLogger(__name__)

# In-memory copies of committed records kept for the consumer; past this it re-reads the WAL.
LIVE_QUEUE_POINTS = 4_000_000


class IngestPipeline:
    def __init__(self, settings, store: Store, resolver, registry: SeriesRegistry | None = None, counters=None):
        self.settings = settings
        self.store = store
        self.resolver = resolver
        self.registry = registry or SeriesRegistry()
        self.counters = counters or Counters()
        self.wal = WriteAheadLog(settings.wal_dir, max_bytes=settings.wal_max_bytes)
        self.aggregator = RollupAggregator()
        # one thread for every WAL file operation (appends and trims never overlap)
        self._wal_thread = ThreadPoolExecutor(1, thread_name_prefix="wal")
        ratelog = RateLimitedLog(log)
        self._retry = StoreRetry(self.counters, ratelog)
        store.on_reconnect(self._retry.wake)  # a backlog drains as soon as the store is back
        self._live = LiveQueue(LIVE_QUEUE_POINTS)
        if hasattr(store, "create_behind"):  # new series readable before the store has them (tsstore.store.creation_behind)
            store.create_behind(self._retry, busy=lambda: bool(self._live) or self._live.behind)
        self._committer = Committer(self.wal, self._wal_thread, self.registry, self.counters, self._live, ratelog,
                                    on_commit=self._maybe_resume)
        series = SeriesRollups(self.registry, store, resolver, self.aggregator, self.counters, self._retry)
        rederiver = Rederiver(store, self.aggregator, series, self.counters, self._retry)
        self._flusher = Flusher(settings, self.wal, self._wal_thread, store, self.aggregator, series, rederiver,
                                self.counters, self._retry)
        self._series = series
        store.on_shared_writes(series.note_shared)  # coarse slots of series two processes write: from the store
        self._forgotten = ForgottenSeries(settings.wal_dir)
        self._consumer = Consumer(self.wal, self._live, self.aggregator, series, self._flusher, self._forgotten,
                                  on_progress=self._maybe_resume)
        self._self_metrics = SelfMetrics(settings, self.counters, self.registry, self._committer, self._live,
                                         self.wal, self.aggregator, store)
        self.counters.add_gauge_source(lambda _: self._self_metrics.gauges())  # /tsstore/status reads them current
        self._tasks: list[asyncio.Task] = []
        self._paused: set = set()  # transports paused for backpressure

    # -- life cycle ------------------------------------------------------------------
    async def start(self) -> None:
        self.store.know_every_name()  # new series then need no lookup (names_maybe_held)
        names = self.wal.open()
        for name in names:
            self.registry.id_of(name.encode("utf-8"))
        self._committer.logged_names = len(self.registry)
        self._consumer.pos = self.wal.first_position()
        self._forgotten.load(self._consumer.pos, self.registry.get)
        self._tasks = [
            asyncio.create_task(self._committer.run(), name="wal-committer"),
            asyncio.create_task(self._consumer.run(), name="aggregator-consumer"),
        ]
        if self.settings.self_metrics_interval > 0:
            self._tasks.append(asyncio.create_task(self._self_metrics.run(), name="self-metrics"))
        if getattr(self.store, "written_by_several", False) and getattr(self.store, "keeps_deletion_log", False):
            follower = DeletionFollower(self.store, self.drop_deleted)
            self._tasks.append(asyncio.create_task(follower.run(), name="deletion-follower"))

    async def stop(self) -> bool:
        """Commit what is pending, apply it, flush to the store, and close. True when the store
        has everything; False when the final flush failed (the WAL keeps it for the next start)."""
        self._retry.stop()
        clean = True
        await self._committer.wait_empty()
        await self._consumer.wait_caught_up()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        try:
            try:
                await self._flusher.wait_idle()
            finally:  # the final flush writes what a failed one did not
                await self._flusher.flush(self._consumer.pos, final=True)
        except Exception as exc:  # the WAL keeps everything for the next start
            log.error("final flush failed (%s); the WAL keeps the points for the next start", exc)
            clean = False
        self.wal.close()
        self._wal_thread.shutdown(wait=True)
        return clean

    # -- accepting points ---------------------------------------------------------------
    def submit(self, sids: np.ndarray, ts: np.ndarray, values: np.ndarray) -> asyncio.Future:
        """Queue points for the WAL; the future resolves when they are durable."""
        return self._committer.submit(sids, ts, values)

    @property
    def pending_points(self) -> int:
        """Points submitted and not yet committed to the WAL."""
        return self._committer.pending_points

    @property
    def applied_since_flush(self) -> int:
        """Points applied to the aggregator that the store may not have yet (0: it has them all)."""
        return self._flusher.applied_points + self._flusher.in_flight_points

    @property
    def flushed(self) -> asyncio.Event:
        """Set after the next completed flush (tests and benchmarks wait on it)."""
        return self._flusher.flushed

    # -- deleting -----------------------------------------------------------------------------
    async def forget(self, names: list[str]) -> None:
        """Before the store deletes these series: between two runs of the consumer, write
        everything applied so far (so no later flush brings their points back), then let
        go of them: what the aggregator holds of them is dropped, a replay of the WAL skips
        their points from before now, and a point sent after this creates the series anew
        (as carbon re-creates a deleted whisper file)."""
        sids = [self.registry.get(n.encode("utf-8")) for n in names]
        known = [(n, s) for n, s in zip(names, sids) if s >= 0]
        async with self._consumer.applying:
            await self._flusher.wait_idle()
            # final: open coarse slots too (a rename copies them); it retries the store itself while it fails
            await self._flusher.flush(self._consumer.pos, final=True)
            await self._let_go(known)

    async def drop_deleted(self, names: list[str]) -> None:
        """Series another process deleted (tsstore.ingest.deletion_follower): what this one
        holds of them is dropped, not written, and a WAL replay skips their points from before
        now; a point sent after this creates the series anew."""
        sids = np.array([self.registry.get(n.encode("utf-8")) for n in names], np.int64)
        held = [(n, s) for n, s, h in zip(names, sids.tolist(), self._series.configured(sids).tolist()) if h]
        if not held:
            return
        async with self._consumer.applying:
            await self._flusher.wait_idle()  # a flush already under way writes what it drained (a known window)
            await self._let_go(held)
        log.info("dropped %d series another process deleted (first: %s)", len(held), held[0][0])

    async def _let_go(self, series: list[tuple[str, int]]) -> None:
        """(name, sid)s no longer held from the consumer's position on: noted durably for a
        replay, then unconfigured (the caller holds the consumer between two runs)."""
        if not series:
            return
        await asyncio.get_running_loop().run_in_executor(
            self._wal_thread, self._forgotten.add, [n for n, _ in series], [s for _, s in series], self._consumer.pos)
        self._series.forget(np.array([s for _, s in series], np.int64))

    # -- reads -------------------------------------------------------------------------------
    def known_metas(self, names: list[str]) -> dict[str, SeriesMeta]:
        """The metadata of the named series this process applies points of (SeriesRollups.known_metas):
        a read needs no lookup in the store for them (on a Cassandra node busy with a burst's
        writes, 100-300 ms)."""
        return self._series.known_metas(names)

    def recent_slots(self, names: list[str], level_of: dict[str, tuple[int, int]], start: int,
                     end: int) -> dict[str, Slots]:
        """What this process holds of the named series with start <= ts < end and the store
        may not have yet (open slots, rows not yet flushed); level_of maps a name to (level,
        step) as for Store.read_many. Series with nothing held are left out."""
        out = {}
        sids = np.array([self.registry.get(name.encode("utf-8")) for name in names], np.int64)
        held = self._series.configured(sids)  # not unknown, not deleted since
        for name, sid, is_held in zip(names, sids.tolist(), held.tolist()):
            if not is_held:
                continue
            got = self.aggregator.recent(sid, level_of[name][0], start, end)
            if got is not None and len(got[0]):
                out[name] = Slots(*got)
        return out

    # -- backpressure -----------------------------------------------------------------------
    @property
    def overloaded(self) -> bool:
        return self._committer.pending_points + self._live.points > self.settings.max_pending_points

    def pause(self, transport) -> None:
        """Stop reading a transport until the pipeline is no longer overloaded."""
        self._paused.add(transport)
        transport.pause_reading()

    def _maybe_resume(self) -> None:
        if self._paused and not self.overloaded:
            for transport in self._paused:
                if not transport.is_closing():
                    transport.resume_reading()
            self._paused.clear()
