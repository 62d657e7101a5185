"""Rollup slots rebuilt from the store, for the work a drain hands back (see tsstore.ingest.rollup):

* rederive: closed coarse slots recomputed from the next finer level in the store, and
  written (``rollup_slots.rederived``);
* reseed: open coarse accumulators rebuilt from the level-0 slots in [slot, upto), then
  given to the aggregator with seed();
* rederive_spans: every coarse slot of a time span recomputed, for series another process
  writes too (Cassandra: the store noticed at a compaction).

Series that need the same slot range are read in one read_many (one round of parallel reads
on Cassandra, a few statements on SQLite), not one awaited read each.
"""
from __future__ import annotations

from collections import defaultdict

import numpy as np

from tsstore.ingest.counters import Counters
from tsstore.ingest.rollup import EMPTY, Drained, RollupAggregator
from tsstore.ingest.series_rollups import SeriesRollups
from tsstore.ingest.store_retry import StoreRetry
from tsstore.model import AGG_COLUMNS, COUNT, LAST, MAX, MIN, SUM, Slots, WriteRequest
from tsstore.store.base import Store


def aggregate_by_slot(slots: Slots, step: int, raw: bool) -> Slots:
    """Finer slots (sorted) merged into the coarse slots of `step` they fall in, each (SUM,
    COUNT, MIN, MAX, LAST); raw: level-0 slots, one value each."""
    if not len(slots):
        return Slots.empty(AGG_COLUMNS)
    coarse_ts, starts = np.unique(slots.ts // step * step, return_index=True)
    ends = np.append(starts[1:], len(slots.ts))
    v = slots.values
    if raw:
        col = v[:, 0]
        out = np.stack([np.add.reduceat(col, starts), (ends - starts).astype(np.float64), np.minimum.reduceat(col, starts),
                        np.maximum.reduceat(col, starts), col[ends - 1]], axis=1)
    else:
        out = np.stack([np.add.reduceat(v[:, SUM], starts), np.add.reduceat(v[:, COUNT], starts),
                        np.minimum.reduceat(v[:, MIN], starts), np.maximum.reduceat(v[:, MAX], starts),
                        v[ends - 1, LAST]], axis=1)
    return Slots(coarse_ts.astype(np.int64), out)


def merge(slots: Slots, raw: bool) -> tuple[float, float, float, float, float] | None:
    """Merge finer slots into one coarse aggregate (SUM, COUNT, MIN, MAX, LAST); raw: level-0
    slots, one value each. None when there is no slot."""
    if not len(slots):
        return None
    whole = aggregate_by_slot(Slots(np.zeros(len(slots), np.int64), slots.values), 1, raw)
    return tuple(float(x) for x in whole.values[0])


class Rederiver:
    def __init__(self, store: Store, aggregator: RollupAggregator, series: SeriesRollups, counters: Counters,
                 retry: StoreRetry):
        self.store, self.aggregator, self.series, self.counters, self.retry = store, aggregator, series, counters, retry

    async def rederive(self, sids: np.ndarray, level: int, slots_ts: np.ndarray) -> None:
        """Recompute closed coarse slots of `level` from level - 1 in the store."""
        groups: dict[tuple[int, int, int], list] = defaultdict(list)
        for sid, slot in zip(sids.tolist(), slots_ts.tolist()):
            meta = self.series.meta(sid)
            groups[(slot, meta.rollups[level - 1].step, meta.rollups[level].step)].append(meta)
        reqs = []
        for (slot, finer_step, coarse_step), metas in groups.items():
            names = [m.name for m in metas]
            got = await self.retry("read", lambda: self.store.read_many(
                names, {n: (level - 1, finer_step) for n in names}, slot, slot + coarse_step))
            for meta in metas:
                agg = merge(got[meta.name], raw=(level - 1 == 0))
                if agg is not None:
                    reqs.append(WriteRequest(meta.name, level, coarse_step, Slots(np.array([slot], np.int64), np.array([agg])),
                                             meta.rollups[level].retention))
        if reqs:
            await self.retry("write", lambda: self.store.write(reqs))
            self.counters.add("rollup_slots.rederived", len(reqs))

    async def rederive_spans(self, spans: list[tuple[int, int, int]]) -> None:
        """Recompute every coarse slot overlapping each (sid, start, end), level by level from
        the finest, from the store: for series another process writes too, whose stored
        coarse slots each hold one process's part (Drained.rederiving)."""
        groups: dict[tuple, list] = defaultdict(list)
        for sid, start, end in spans:
            meta = self.series.meta(sid)
            groups[(meta.rollups, start, end)].append(meta)
        for (rollups, start, end), metas in groups.items():
            names = [m.name for m in metas]
            for level in range(1, len(rollups)):
                step, finer = rollups[level].step, rollups[level - 1].step
                lo, hi = start // step * step, -(-end // step) * step
                got = await self.retry("read", lambda: self.store.read_many(
                    names, {n: (level - 1, finer) for n in names}, lo, hi))
                reqs = [WriteRequest(n, level, step, aggregate_by_slot(got[n], step, raw=level == 1), rollups[level].retention)
                        for n in names if len(got[n])]
                if reqs:
                    await self.retry("write", lambda: self.store.write(reqs))
                    self.counters.add("rollup_slots.rederived", sum(len(r.slots) for r in reqs))

    async def reseed(self, d: Drained) -> None:
        """Rebuild the open coarse accumulators d asks for from level-0 slots, grouped like rederive."""
        groups: dict[tuple[int, int, int], list] = defaultdict(list)
        for sid, level, slot, upto in zip(d.reseed_sid.tolist(), d.reseed_level.tolist(), d.reseed_ts.tolist(), d.reseed_upto.tolist()):
            groups[(slot, upto, self.series.meta(sid).rollups[0].step)].append((sid, level))
        for (slot, upto, step0), members in groups.items():
            names = list({self.series.meta(sid).name for sid, _ in members})
            got = await self.retry("read", lambda: self.store.read_many(names, {n: (0, step0) for n in names}, slot, upto))
            for sid, level in members:
                agg = merge(got[self.series.meta(sid).name], raw=True) or EMPTY
                self.aggregator.seed(sid, level, slot, *agg)
