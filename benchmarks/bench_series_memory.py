"""Bytes per series of each per-series structure the ingest process keeps, one at a time,
from the process's RSS (what the issue's bytes-per-series goal counts):

    python -m benchmarks.bench_series_memory --series 1000000

the name registry (tsstore.ingest.carbon_parser.SeriesRegistry, compiled when built), the
rollup aggregator's state after set_series() with the benchmark schema's 3 levels, one point
per series applied, and a SeriesMeta per series as SeriesRollups keeps them.
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from benchmarks.loadgen import series_names
from tsstore.ingest.carbon_parser import SeriesRegistry
from tsstore.ingest.rollup import RollupAggregator
from tsstore.model import Rollup, SeriesMeta

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

    def step(what: str) -> None:
        nonlocal before
        now = rss_bytes()
        rows.append((what, (now - before) / n))
        before = now

    registry = SeriesRegistry()
    for name in names:
        registry.id_of(name.encode())
    step("name registry (id_of)")
    agg = RollupAggregator()
    for sid in range(n):
        agg.set_series(sid, [r.step for r in ROLLUPS], [r.retention for r in ROLLUPS], True)
    step("aggregator state, 3 levels (set_series)")
    now = int(time.time())
    agg.add(np.arange(n, dtype=np.int64), np.full(n, now - 100, np.int64), np.ones(n), now)
    step("aggregator, one point per series (add)")
    metas = [SeriesMeta(name, ROLLUPS, "average", 0.5) for name in names]
    step("SeriesMeta per series (SeriesRollups)")
    for what, per in rows:
        print(f"  {what:45s} {per:8.0f} bytes per series")
    print(f"  {'total':45s} {sum(p for _, p in rows):8.0f} bytes per series")
    del metas, agg, registry


if __name__ == "__main__":
    main()
