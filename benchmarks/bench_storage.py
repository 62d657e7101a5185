"""Bytes on disk per stored point, embedded and Cassandra stores, after compaction.

    python -m benchmarks.bench_storage [--cassandra 127.0.0.1:9142]

Realistic gauges (two decimals, random walk) and counters (integers going up), 10 s
resolution, written in flush-sized segments (30 points: a 5 min flush) as ingest writes
them; windows with many segments are merged by the stores' own compaction. For Cassandra
the node is stopped after writing (it flushes its memtables) and its data folder is
measured, compaction overhead included.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from tsstore.store.base import WINDOW_SLOTS
from tsstore.model import Rollup, SeriesMeta, Slots, WriteRequest
from tsstore.store.embedded import EmbeddedStore

STEP = 10


def series_values(n_series: int, points: int):
    rnd = random.Random(5)
    for i in range(n_series):
        if i % 2:
            v = np.cumsum(np.array([rnd.randint(0, 50) for _ in range(points)], float))  # counter
        else:
            level, vals = rnd.uniform(10, 90), []
            for _ in range(points):
                level = max(0.0, level + rnd.uniform(-1, 1))
                vals.append(round(level, 2))
            v = np.array(vals)
        yield f"bench.storage.host{i:04d}.{'requests.count' if i % 2 else 'cpu.user'}", v


async def fill(store, n_series: int, points: int, chunk: int) -> int:
    start = (int(time.time()) - points * STEP) // (STEP * WINDOW_SLOTS) * (STEP * WINDOW_SLOTS)
    data = list(series_values(n_series, points))
    await store.create_series([SeriesMeta(n, (Rollup(STEP, 100_000),)) for n, _ in data])
    ts = start + np.arange(points, dtype=np.int64) * STEP
    for lo in range(0, points, chunk):
        await store.write([WriteRequest(n, 0, STEP, Slots(ts[lo : lo + chunk], v[lo : lo + chunk].reshape(-1, 1)), 10**7)
                           for n, v in data])
    return n_series * points


async def embedded(n_series, points, chunk) -> float:
    d = Path(tempfile.mkdtemp(prefix="tsstore-storage-"))
    store = EmbeddedStore(d)
    await store.open()
    total = await fill(store, n_series, points, chunk)
    size = await store.disk_bytes()
    await store.close()
    shutil.rmtree(d)
    return size / total


async def cassandra(address, n_series, points, chunk) -> float:
    from tsstore.store.cassandra.store import CassandraStore

    ks = f"storage_{int(time.time())}"
    store = CassandraStore(f"cassandra://{address}/{ks}")
    await store.open()
    total = await fill(store, n_series, points, chunk)
    await store.close()
    home = Path(os.environ.get("TSSTORE_CASSANDRA_HOME", "/tmp/tsstore-cassandra"))
    root = Path(__file__).resolve().parent.parent
    subprocess.run([str(root / "scripts" / "cassandra-local"), "stop"], check=True, capture_output=True)  # flushes memtables
    size = sum(p.stat().st_size for p in (home / "data").glob(f"{ks}/**/*") if p.is_file())
    subprocess.run([str(root / "scripts" / "cassandra-local"), "start"], check=True, capture_output=True)
    return size / total


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--series", type=int, default=500)
    ap.add_argument("--points", type=int, default=4096)
    ap.add_argument("--chunk", type=int, default=30)
    ap.add_argument("--cassandra", help="host:port of a local Cassandra started by scripts/cassandra-local")
    args = ap.parse_args()
    print(f"command: python -m benchmarks.bench_storage {' '.join(sys.argv[1:])}")
    print(f"{args.series} series x {args.points} points at {STEP} s, written {args.chunk} points per segment (goal <= 3 bytes/point)")
    print(f"embedded store : {asyncio.run(embedded(args.series, args.points, args.chunk)):6.2f} bytes per point")
    if args.cassandra:
        print(f"cassandra store: {asyncio.run(cassandra(args.cassandra, args.series, args.points, args.chunk)):6.2f} bytes per point")


if __name__ == "__main__":
    main()
