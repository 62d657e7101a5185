"""Bytes per series of each per-series structure the ingest process keeps, one at a time,
from the process's RSS (what the issue's bytes-per-series goal counts):

    python -m benchmarks.bench_series_memory --series 1000000

the name registry (tsstore.ingest.carbon_parser.SeriesRegistry, compiled when built), the
rollup aggregator's state after set_series_many() with the benchmark schema's 3 levels, one
point per series applied, what SeriesRollups keeps per series (a schema index and the store
key: two numpy arrays), the stores' compaction counts (SegmentCounts) after one segment
per series and level (the embedded store counts group rows, 256 series a group; the
Cassandra store counts per series; a process has one store, so the total takes the embedded
one), and the path index every HTTP process keeps (the ingest process too), built and found in.

Then, apart from the total (it comes and goes with each flush): the aggregator's row buffers
at their largest over a few flushes in a steady state, a point per series per flush, drained
in parts as tsstore.ingest.flusher does (rows held for reads until the store has them).
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from benchmarks.loadgen import series_names
from tsstore.index.paths import PathIndex
from tsstore.ingest.flusher import FLUSH_PART_ROWS
from tsstore.ingest.carbon_parser import SeriesRegistry
from tsstore.ingest.rollup import RollupAggregator
from tsstore.model import Rollup
from tsstore.store import segment_groups
from tsstore.store.base import WINDOW_SLOTS, SegmentCounts

ROLLUPS = (Rollup(10, 8640), Rollup(60, 10080), Rollup(600, 52560))  # 10s:1d,1m:7d,10m:1y


def rss_bytes() -> int:
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--series", type=int, default=1_000_000)
    n = ap.parse_args().series
    names = series_names(n)
    print(f"{n:,} series, names of {sum(map(len, names)) / n:.1f} bytes on average")
    rows = []
    before = rss_bytes()

    def step(what: str, counted: bool = True) -> None:
        nonlocal before
        now = rss_bytes()
        rows.append((what, (now - before) / n, counted))
        before = now

    registry = SeriesRegistry()
    for name in names:
        registry.id_of(name.encode())
    step("name registry (id_of)")
    agg = RollupAggregator()
    sids = np.arange(n, dtype=np.int64)
    agg.set_series_many(sids, np.tile([r.step for r in ROLLUPS], (n, 1)), np.tile([r.retention for r in ROLLUPS], (n, 1)),
                        np.ones(n, bool), np.zeros(n, bool))
    step("aggregator state, 3 levels (set_series_many)")
    now = int(time.time())
    agg.add(sids, np.full(n, now - 100, np.int64), np.ones(n), now)
    step("aggregator, one point per series (add)")
    schema_of, store_key = np.full(n, 0, np.int32), sids + 1  # np.full touches its pages (np.zeros may not)
    step("SeriesRollups: schema index + store key")
    counts = SegmentCounts()  # the embedded store counts rows per group of series keys
    groups = np.unique(segment_groups.group_of(store_key))
    for level, rollup in enumerate(ROLLUPS):
        counts.add(groups, level, np.full(len(groups), now // (rollup.step * WINDOW_SLOTS), np.int64))
    step("SegmentCounts, 3 levels (embedded store: per group)")
    index = PathIndex()
    index.add(names)
    index.find("*.*.*")  # builds the groupings finds use
    step("path index (tree, hash slots, find groupings)")
    by_series = SegmentCounts()  # the Cassandra store counts segments per series
    for level, rollup in enumerate(ROLLUPS):
        by_series.add(store_key, level, np.full(n, now // (rollup.step * WINDOW_SLOTS), np.int64))
    step("SegmentCounts, 3 levels (Cassandra store: per series)", counted=False)
    for what, per, counted in rows:
        print(f"  {what:52s} {per:8.0f} bytes per series{'' if counted else ' (not in the total)'}")
    print(f"  {'total, embedded store':52s} {sum(p for _, p, counted in rows if counted):8.0f} bytes per series")
    del counts, by_series, schema_of, store_key, registry, index
    flushes = 6
    print(f"  {'rows held for reads, steady flushes (largest)':52s} "
          f"{steady_flush_rows_bytes(agg, sids, now, flushes) / n:8.0f} bytes per series "
          f"(over {flushes} flushes of a point per series; not in the total)")


def steady_flush_rows_bytes(agg: RollupAggregator, sids: np.ndarray, now: int, flushes: int) -> int:
    """The aggregator's row buffers at their largest while each flush interval brings a point
    per series (10 s apart) and the flush drains them in parts of about FLUSH_PART_ROWS rows,
    releasing the rows of parts written once they are half of those held, as the flusher does."""
    largest = 0
    for i in range(flushes):
        at = now + 10 * i
        agg.add(sids, np.full(len(sids), at - 90, np.int64), np.full(len(sids), float(i)), at)
        rows = agg.rows_held - agg.rows_taken + 3 * len(sids)
        size = max(1, FLUSH_PART_ROWS * len(sids) // max(rows, 1))
        for first in range(0, len(sids), size):
            agg.drain_series(sids[first:first + size], True)
            largest = max(largest, agg.rows_bytes())
            if agg.rows_taken * 2 >= agg.rows_held:
                agg.release_flushed()
        agg.release_flushed()
    return largest


if __name__ == "__main__":
    main()
