"""The consumer: committed WAL records into the rollup aggregator, in WAL order.

It applies records straight from the live queue while it keeps up, and re-reads the WAL
files from its position when it fell behind (the queue dropped its copies, a store outage,
the replay at start-up), so the aggregator always sees exactly the WAL and a crash replays
it. A record the disk replay already applied is skipped when it comes again from memory. A
torn tail of an earlier run (nothing readable before the head) is stepped over. It runs the
flusher (beside itself) when a flush is due or enough points were applied.
"""
from __future__ import annotations

import asyncio
import time
from typing import Callable

import numpy as np

from tsstore.ingest.rollup import RollupAggregator
from tsstore.ingest.flusher import Flusher
from tsstore.ingest.forgotten import ForgottenSeries
from tsstore.ingest.live_queue import LiveQueue
from tsstore.ingest.series_rollups import SeriesRollups
from tsstore.ingest.wal import Position, WriteAheadLog, decode_points

# Records applied as one run (their series configured, new ones created, at once). A run is
# only this long when that much is queued (a burst of new series): then one creation of 500k
# series costs the store far less than ten of 50k (random inserts into the name index and the
# tree), so everything queued becomes readable sooner; a trickle still makes short runs.
RUN_POINTS = 500_000
# Points applied between two turns of the event loop: a run of 500k points took it 175 ms,
# which a render arriving meanwhile waited out (known-series freshness during a burst).
YIELD_POINTS = 20_000


class Consumer:
    def __init__(self, wal: WriteAheadLog, live: LiveQueue, aggregator: RollupAggregator, series: SeriesRollups,
                 flusher: Flusher, forgotten: ForgottenSeries, on_progress: Callable[[], None]):
        self.wal, self.live, self.aggregator, self.series, self.flusher = wal, live, aggregator, series, flusher
        self.forgotten = forgotten
        self.on_progress = on_progress
        self.pos = Position(0, 0)  # the WAL position after the last record applied
        self._started_up = False  # the WAL found at start-up is applied
        # held while records are applied: a deletion (IngestPipeline.forget) runs between two runs
        self.applying = asyncio.Lock()

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        live = self.live
        while True:
            if live.behind:
                async with self.applying:
                    await self._catch_up_from_disk(loop)
                continue
            if not live:
                live.wakeup.clear()
                try:
                    await asyncio.wait_for(live.wakeup.wait(), timeout=self.flusher.until_due())
                except asyncio.TimeoutError:
                    pass
            while live and not live.behind:
                async with self.applying:
                    await self._apply_run(live)
            if self.flusher.until_due() <= 0:
                await self.flusher.start(self.pos, wait=False)

    async def _apply_run(self, live: LiveQueue) -> None:
        records = self._without_forgotten(self._pop_run(live))
        await self._configure(records)
        since_yield = 0
        for pos, sids, ts, values in records:
            self._add(sids, ts, values)
            self.pos = pos
            self.on_progress()
            if self.flusher.full:
                await self.flusher.start(self.pos)
            since_yield += len(sids)
            if since_yield >= YIELD_POINTS:  # reads and the listeners run between parts of a long run
                since_yield = 0
                await asyncio.sleep(0)

    async def wait_caught_up(self, timeout: float = 60.0) -> None:
        """Until every committed record is applied (or the timeout passed)."""
        deadline = time.monotonic() + timeout
        while (self.live.behind or self.live) and time.monotonic() < deadline:
            self.live.wakeup.set()
            await asyncio.sleep(0.01)

    async def _catch_up_from_disk(self, loop) -> None:
        head = self.wal.head
        records = await loop.run_in_executor(None, lambda: list(self._read_records(self.pos, 64)))
        records = self._without_forgotten([(pos, *decode_points(payload)) for pos, payload in records])
        await self._configure(records)
        for pos, sids, ts, values in records:
            self._add(sids, ts, values)
            self.pos = pos
            if self.flusher.full:
                await self.flusher.start(self.pos)
        if not records or self.pos >= head:
            if not records and self.pos < head:
                self.pos = head  # nothing readable between: torn tail of an earlier run
            self.live.behind = False
            self.on_progress()
            if not self._started_up:
                self._started_up = True
                if self.flusher.applied_points:
                    # the start-up replay is written at once: coarse slots it reopened are
                    # derived in the store (tsstore.ingest.rollup), which reads see only then
                    await self.flusher.start(self.pos, wait=False)

    def _read_records(self, pos: Position, limit: int):
        for i, item in enumerate(self.wal.read_from(pos)):
            if i >= limit:
                return
            yield item

    def _pop_run(self, live: LiveQueue) -> list:
        """Queued records not applied yet, up to RUN_POINTS points (at least one record)."""
        records, points = [], 0
        while live and points < RUN_POINTS:
            record = live.pop()
            if record[0] > self.pos:  # else already applied from disk
                records.append(record)
                points += len(record[1])
        return records

    def _without_forgotten(self, records: list) -> list:
        """The records without the points of series deleted after them (tsstore.ingest.forgotten)."""
        if not self.forgotten:  # nothing deleted: the records as they are
            return records
        out = []
        for pos, sids, ts, values in records:
            keep = self.forgotten.keep(pos, sids)
            out.append((pos, sids, ts, values) if keep is None else (pos, sids[keep], ts[keep], values[keep]))
        return out

    async def _configure(self, records: list) -> None:
        """The series of a run of records are configured together: one store round trip
        (and one transaction creating the new ones) for many records."""
        if records:
            await self.series.configure(np.concatenate([r[1] for r in records]))

    def _add(self, sids, ts, values) -> None:
        self.aggregator.add(sids, ts, values, int(time.time()))
        self.flusher.applied(len(sids))
