"""Flushes: aggregator rows into the store, then the WAL files the store no longer needs.

A flush is due every flush_interval, or early once FLUSH_POINTS (and FLUSH_POINTS_PER_SERIES per
series) were applied since the last one (the consumer asks). It runs beside the consumer
(start()): points go on being applied, and readable, while the store takes the last flush,
until the aggregator holds HELD_FLUSHES flushes' worth of rows; then the consumer waits until
the flush released the rows of parts it wrote (or ended), so memory holds at most about two
flushes' rows and a store outage stops the consumer (the WAL keeps what arrives). It takes the
series in parts of about FLUSH_PART_ROWS rows, in store key order (drain_series), and writes
each part level by level, finer first, each level's re-derivations after its writes (they
read the finer level just written); reseeded accumulators are drained and written again at
once. Points applied meanwhile to a series whose part was taken wait for the next flush; the
rows of parts written are released once they are half of what the aggregator holds (an eighth
while the consumer waits for room). Open coarse slots are written
(provisionally) only every rollup_provisional_interval, and by the final flush: they can be
rebuilt from level 0 after a crash from the points since the last flush that wrote them, so
the WAL keeps those points. Once the store has everything, the aggregator drops the rows it
kept for reads, WAL files wholly before the consumer's position at the last flush that wrote
open coarse slots are deleted, and ``flushed`` is set (then replaced by a fresh event).
Series another process writes too (the store noticed: SeriesRollups.note_shared) have their
coarse slots re-derived from the store instead of written from this process's part.
"""
from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from tsstore import malloc_tuning
from tsstore.ingest.counters import Counters
from tsstore.ingest.rollup import Drained, RollupAggregator
from tsstore.ingest.rederive import Rederiver
from tsstore.ingest.series_rollups import SeriesRollups
from tsstore.ingest.store_retry import StoreRetry
from tsstore.ingest.wal import Position, WriteAheadLog
from tsstore.model import LAST, WriteBatch
from tsstore.store.base import Store

# Flush early when this many points were applied since the last one, and at least
# FLUSH_POINTS_PER_SERIES per series known: a flush writes a segment per series it touched,
# so at a million series a flush every 2M points wrote a segment for every second point and
# the store's writes held the consumer (and then the senders) back.
FLUSH_POINTS = 2_000_000
FLUSH_POINTS_PER_SERIES = 5
# While a flush runs the consumer goes on applying points until the aggregator holds this
# many flushes' worth of rows (a row per finest slot a point opens), then waits for the flush:
# memory holds at most about two flushes' rows, and a store outage stops the consumer (the
# WAL keeps what arrives). It waited once a flush's worth of points was applied: after a
# burst of a million new series, 7-12 s for a first flush that held 3M rows.
HELD_FLUSHES = 2
# A flush releases the rows it wrote once they are half of those held, or 1/RELEASE_SHARE_WAITING
# of them while the consumer waits for room: it goes on sooner. Each release copies every row
# held (about 40 ms at 10M rows), hence not after every part.
RELEASE_SHARE_WAITING = 8
# A flush takes its series in parts of about this many rows (drain_series): what it copies
# out of the aggregator at once, the event loop's wait for that copy, and the store's
# batches stay bounded whatever the series count (a whole drain at a million series copied
# 5-10M rows, 550 bytes per series at the peak, and held reads for 250 ms).
FLUSH_PART_ROWS = 250_000
# Open coarse slots are written early once the WAL holds this share of its budget
# (--wal-max-bytes): it is kept back to their last write (see _coarse_pos), and a long
# rollup_provisional_interval would otherwise fill it and refuse points.
COARSE_WAL_SHARE = 0.25


class Flusher:
    def __init__(self, settings, wal: WriteAheadLog, wal_thread: ThreadPoolExecutor, store: Store,
                 aggregator: RollupAggregator, series: SeriesRollups, rederiver: Rederiver, counters: Counters,
                 retry: StoreRetry):
        self.settings, self.wal, self.wal_thread, self.store = settings, wal, wal_thread, store
        self.aggregator, self.series, self.rederiver, self.counters, self.retry = aggregator, series, rederiver, counters, retry
        self.applied_points = 0  # applied to the aggregator since the last drain
        self.in_flight_points = 0  # applied before it, and not yet in the store
        self._last_flush = time.monotonic()
        self._last_coarse = 0.0
        # The consumer's position at the last flush that wrote the open coarse slots: the WAL
        # is trimmed only before it. Trimmed to each flush's position, a crash right after a
        # flush lost the points an open coarse slot gathered since its last write, for good
        # when the series then went quiet (nothing replayed reopened the slot to derive it).
        self._coarse_pos: Position | None = None
        self.flushed = asyncio.Event()  # set after every completed flush (tests and benchmarks wait on it)
        self._task: asyncio.Task | None = None  # the flush running beside the consumer
        self._released = asyncio.Event()  # set when the running flush releases written rows (then replaced)
        self._room_wanted = False  # the consumer waits for has_room (_until_room)

    def applied(self, n: int) -> None:
        self.applied_points += n

    @property
    def _flush_points(self) -> int:
        return max(FLUSH_POINTS, FLUSH_POINTS_PER_SERIES * len(self.series.registry))

    @property
    def full(self) -> bool:
        """Enough points were applied to flush before the interval ends."""
        return self.applied_points >= self._flush_points

    @property
    def has_room(self) -> bool:
        """The aggregator holds fewer rows than HELD_FLUSHES flushes' worth: the consumer may go
        on applying while a flush runs."""
        return self.aggregator.rows_held < HELD_FLUSHES * self._flush_points

    def until_due(self) -> float:
        """Seconds until the next flush is due (0 when it is)."""
        return max(0.0, self.settings.flush_interval - (time.monotonic() - self._last_flush))

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def start(self, pos: Position, wait: bool = True) -> None:
        """Start a flush beside the caller. One is still running: leave it at that while the
        aggregator has room for more rows (has_room) or with wait=False; else wait until it
        released enough written rows to make room (then leave it running) or ended (then start
        the next). A failed one's error is raised here, as a flush the caller awaited would have
        raised it."""
        if self.running and (not wait or self.has_room):
            return
        await self._until_room()
        if self.running:
            return  # room made by the running flush: the caller goes on applying
        await self.wait_idle()
        # begun here, before the caller goes on: the consumer applies records without
        # yielding, and until the applied points were counted as this flush's it still found
        # the flusher full and waited for this whole flush (a 3 s stall at a million series)
        coarse = self._begin()
        self._task = asyncio.create_task(self._write(coarse, pos), name="flush")

    async def _until_room(self) -> None:
        """Until the running flush ended or released rows enough for has_room. Waiting for its
        end instead held the consumer for all of a slow flush (24 s for the first flush after
        a million new series on a slow host) when half of it had made room."""
        while self.running and not self.has_room:
            self._room_wanted = True
            released = asyncio.ensure_future(self._released.wait())
            try:
                await asyncio.wait((self._task, released), return_when=asyncio.FIRST_COMPLETED)
            finally:
                released.cancel()
                self._room_wanted = False

    def _release(self) -> None:
        self.aggregator.release_flushed()
        released, self._released = self._released, asyncio.Event()
        released.set()

    async def wait_idle(self) -> None:
        """Until the flush running beside the consumer ended (its failure is raised here)."""
        if self._task is not None:
            task, self._task = self._task, None
            await task

    async def flush(self, pos: Position, final: bool = False) -> None:
        """Write what the aggregator holds; then trim the WAL files before `pos` (the
        consumer's position: everything before it is in the aggregator)."""
        await self._write(self._begin(final), pos, final)

    def _begin(self, final: bool = False) -> bool:
        """A flush begins: whether it writes open coarse slots (when they are due)."""
        self.wal.request_rotate()
        coarse = (final or time.monotonic() - self._last_coarse >= self.settings.rollup_provisional_interval
                  or self.wal.size_bytes > COARSE_WAL_SHARE * self.wal.max_bytes)
        if coarse:
            self._last_coarse = time.monotonic()
        self.in_flight_points, self.applied_points = self.applied_points, 0
        self._last_flush = time.monotonic()
        return coarse

    async def _write(self, coarse: bool, pos: Position, final: bool = False) -> None:
        loop = asyncio.get_running_loop()
        for part in await loop.run_in_executor(None, self._parts):
            await self._write_drained(self._kept(self.aggregator.drain_series(part, coarse, final)), coarse, part, final)
            # reads find the rows written in the store now; releasing them copies every row
            # held, so only once they are half of it, or an eighth while the consumer waits
            taken = self.aggregator.rows_taken * (RELEASE_SHARE_WAITING if self._room_wanted else 2)
            if taken and taken >= self.aggregator.rows_held:
                self._release()
        spans = self.series.take_shared_spans()  # noted by the store while it took this flush
        if spans:
            await self.rederiver.rederive_spans(spans)
        self._release()
        malloc_tuning.give_back()  # what the flush's parts freed
        self.in_flight_points = 0
        if coarse:
            self._coarse_pos = pos
        removed = 0
        if self._coarse_pos is not None:
            removed = await loop.run_in_executor(self.wal_thread, self.wal.trim_before, self._coarse_pos.file_no)
        self.counters.add("wal.files_trimmed", removed)
        self.counters.set("wal.bytes", self.wal.size_bytes)
        self.flushed.set()
        self.flushed = asyncio.Event()

    def _parts(self) -> list[np.ndarray]:
        """Every series, in parts of about FLUSH_PART_ROWS rows: consecutive runs of store
        keys (the embedded store packs neighbouring keys into one row, so a part writes whole
        rows), each in id order (the aggregator's arrays are by id: keys are given in name
        order, ids in arrival order, and a part taken in key order read them at random, 8x
        slower)."""
        order = self.series.in_store_key_order()
        # rows to write: those held, and about three provisional ones per series (its open
        # finest slot and two coarse ones, the usual schema)
        rows = self.aggregator.rows_held - self.aggregator.rows_taken + 3 * len(order)
        size = max(1, FLUSH_PART_ROWS * len(order) // max(rows, 1))
        return [np.sort(order[i : i + size]) for i in range(0, len(order), size)]

    def _kept(self, d: Drained) -> Drained:
        """Without deleted series' rows; shared series' coarse rows as re-derivations."""
        return d.only(self.series.configured).rederiving(self.series.shared)

    async def _write_drained(self, d: Drained, coarse: bool, sids: np.ndarray, final: bool = False) -> None:
        """One part's rows (of the series `sids`), level by level."""
        # Sorting and cutting the rows is numpy work: off the event loop.
        batches = await asyncio.get_running_loop().run_in_executor(None, self._batches, d)
        max_level = max(batches, default=0)
        if len(d.rederive_level):
            max_level = max(max_level, int(d.rederive_level.max()))
        for level in range(max_level + 1):
            batch = batches.get(level)
            if batch is not None:
                await self.retry("write", lambda b=batch: self.store.write_batch(b))
                self.counters.add("points.written" if level == 0 else "rollup_slots.written", batch.slots)
            sel = np.flatnonzero(d.rederive_level == level)
            if len(sel):
                await self.rederiver.rederive(d.rederive_sid[sel], level, d.rederive_ts[sel])
        if len(d.reseed_sid):
            await self.rederiver.reseed(d)
            # Seeding changed open slots: write their corrected provisional values now.
            await self._write_drained(self._kept(self.aggregator.drain_series(sids, coarse, final)), coarse, sids, final)

    def _batches(self, d: Drained) -> dict[int, WriteBatch]:
        """The drained rows as one WriteBatch per level: a block per series, in store key
        order (the embedded store packs neighbouring keys into one row), its slots sorted,
        where a slot repeats the later row wins."""
        sid, level, ts, vals = d.w_sid, d.w_level, d.w_ts, d.w_values
        if not len(sid):
            return {}
        # a store key is one series (sid adds nothing); lexsort is stable, so rows of a slot stay in drain order
        order = np.lexsort((ts, self.series.store_keys(sid), level))
        sid, level, ts = sid[order], level[order], ts[order]
        last_of_slot = np.ones(len(sid), bool)
        last_of_slot[:-1] = (sid[1:] != sid[:-1]) | (level[1:] != level[:-1]) | (ts[1:] != ts[:-1])
        keep = order[last_of_slot]
        sid, level, ts = sid[last_of_slot], level[last_of_slot], ts[last_of_slot]
        block_starts = np.flatnonzero(np.concatenate([[True], (sid[1:] != sid[:-1]) | (level[1:] != level[:-1])]))
        level_cuts = np.searchsorted(level[block_starts], np.arange(int(level[-1]) + 2))
        out = {}
        for lev in range(int(level[-1]) + 1):
            first, last = int(level_cuts[lev]), int(level_cuts[lev + 1])
            if first == last:
                continue
            rows_lo = int(block_starts[first])
            rows_hi = int(block_starts[last]) if last < len(block_starts) else len(sid)
            block_sid = sid[block_starts[first:last]]
            rows = keep[rows_lo:rows_hi]
            out[lev] = WriteBatch(
                lev, self.series.store_keys(block_sid), self.series.steps(block_sid, lev),
                self.series.retentions(block_sid, lev),
                np.append(block_starts[first:last], rows_hi) - rows_lo, ts[rows_lo:rows_hi],
                vals[rows, LAST : LAST + 1] if lev == 0 else vals[rows],
                lambda g, block_sid=block_sid: self.series.registry.name_of(int(block_sid[g])))
        return out
