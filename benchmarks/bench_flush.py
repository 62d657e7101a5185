"""What one flush costs the store at steady state: N series, every one written at every flush.

    python -m benchmarks.bench_flush --series 1000000 --flushes 40 [--points 1] [--store cassandra://h:p/ks]

A node with a million series at 10 s resolution and the default 10 s flush writes every
series at every flush, a point or two each: the store's cost per flush, compaction
included, decides how much of a core ingest keeps for itself. This writes the same shape of
WriteBatch the flusher does (level 0, a block per series in key order) `--flushes` times and
reports each flush's wall time and the process CPU, the mean and the worst (the flushes that
compact: every COMPACT_AFTER-th on the embedded store), then reads a sample back to check it.
"""
from __future__ import annotations

import argparse
import asyncio
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from tsstore.model import Rollup, SeriesMeta, WriteBatch
from tsstore.store.base import WINDOW_SLOTS

STEP = 10
RETENTION = 86_400


def _store(url: str, workdir: Path):
    if url == "embedded":
        from tsstore.store.embedded import EmbeddedStore

        return EmbeddedStore(workdir / "data")
    from tsstore.store.cassandra.store import CassandraStore

    return CassandraStore(url)


def flush_batch(keys: np.ndarray, names: list[str], first_ts: int, points: int, flush_no: int) -> WriteBatch:
    """`points` slots per series from first_ts; values that tell the flush and the series apart.
    names[g] is block g's series (the Cassandra store writes by name)."""
    n = len(keys)
    ts = np.tile(first_ts + STEP * np.arange(points, dtype=np.int64), n)
    values = (np.repeat(np.arange(n, dtype=np.float64), points) * 0.01 + flush_no).reshape(-1, 1)
    return WriteBatch(0, keys, np.full(n, STEP, np.int64), np.full(n, RETENTION, np.int64),
                      np.arange(0, n * points + 1, points, dtype=np.int64), ts, values, names.__getitem__)


async def run(series: int, flushes: int, points: int, url: str, workdir: Path) -> dict:
    store = _store(url, workdir)
    await store.open()
    names = [f"bench.flush.g{i // 1000:04d}.s{i:07d}" for i in range(series)]
    try:
        t = time.perf_counter()
        keys = np.concatenate([await store.create_series([SeriesMeta(n, (Rollup(STEP, RETENTION // STEP),))
                                                          for n in names[i:i + 100_000]])
                               for i in range(0, series, 100_000)])
        create_s = time.perf_counter() - t
        order = np.argsort(keys)
        keys = keys[order]
        names_in_key_order = [names[i] for i in order.tolist()]
        start = (int(time.time()) - flushes * points * STEP - 600) // (STEP * WINDOW_SLOTS) * (STEP * WINDOW_SLOTS)
        walls, cpus = [], []
        for f in range(flushes):
            batch = flush_batch(keys, names_in_key_order, start + f * points * STEP, points, f)
            c, t = time.process_time(), time.perf_counter()
            await store.write_batch(batch)
            walls.append(time.perf_counter() - t)
            cpus.append(time.process_time() - c)
            print(f"  flush {f + 1:3d}: {walls[-1]:6.2f} s wall, {cpus[-1]:6.2f} s CPU", flush=True)
        sample = [names[i] for i in order[:: max(1, series // 20)].tolist()]
        got = await store.read_many(sample, {n: (0, STEP) for n in sample}, start, start + flushes * points * STEP)
        bad = [n for n in sample if len(got[n]) != flushes * points]
        if bad:
            raise SystemExit(f"read back {len(got[bad[0]])} slots of {bad[0]}, wanted {flushes * points}")
    finally:
        await store.close()
    return {"create_s": create_s, "walls": walls, "cpus": cpus}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--series", type=int, default=1_000_000)
    ap.add_argument("--flushes", type=int, default=40)
    ap.add_argument("--points", type=int, default=1, help="slots per series per flush")
    ap.add_argument("--store", default="embedded", help="'embedded' or a cassandra:// URL")
    args = ap.parse_args()
    if args.series < 1 or args.flushes < 1 or args.points < 1:
        raise SystemExit("--series, --flushes and --points must be at least 1")
    workdir = Path(tempfile.mkdtemp(prefix="tsstore-bench-flush-"))
    try:
        r = asyncio.run(run(args.series, args.flushes, args.points, args.store, workdir))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    walls, cpus = np.array(r["walls"]), np.array(r["cpus"])
    print(f"command: python -m benchmarks.bench_flush --series {args.series} --flushes {args.flushes} "
          f"--points {args.points} --store {args.store}")
    print(f"  creating {args.series:,} series: {r['create_s']:.1f} s")
    print(f"  per flush: mean {walls.mean():.2f} s wall / {cpus.mean():.2f} s CPU, worst {walls.max():.2f} s wall; "
          f"{cpus.mean() / args.series * 1e6:.2f} us CPU per series per flush")
    print(f"  a 10 s flush interval leaves {max(0.0, 1 - cpus.mean() / 10):.0%} of one core to the rest of ingest")


if __name__ == "__main__":
    main()
