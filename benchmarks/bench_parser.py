"""Parser alone: lines/s of the compiled carbon parser and its pure-Python twin on one core.

    python -m benchmarks.bench_parser --lines 10000000

Realistic lines (benchmarks.loadgen names, 100k distinct series, gauges and counters) fed in
64 KiB chunks as a socket would deliver them. The twin is timed on a smaller sample (it is
~6x slower) and reported per line.
"""
from __future__ import annotations

import argparse
import sys
import time

from benchmarks.loadgen import make_chunks, series_names
from tsstore import _ext


def feed_all(module, data: bytes, chunk: int = 65536) -> tuple[int, float]:
    registry = module.SeriesRegistry()
    parser = module.CarbonLineParser(registry)
    n = 0
    t0 = time.perf_counter()
    for i in range(0, len(data), chunk):
        n += len(parser.feed(data[i : i + chunk], 0))
    return n, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lines", type=int, default=10_000_000)
    ap.add_argument("--series", type=int, default=100_000)
    ap.add_argument("--twin-lines", type=int, default=1_000_000)
    args = ap.parse_args()
    names = series_names(args.series)
    per_series = max(1, args.lines // args.series)
    data = b"".join(make_chunks(names, per_series, 1_700_000_000, 10))
    mods = {m.__name__.rsplit(".", 1)[-1]: m for m in _ext.both("carbon_parser")}
    if "_carbon_parser" not in mods:
        raise SystemExit("the compiled parser is not built: pip install -e .")
    n, secs = feed_all(mods["_carbon_parser"], data)
    compiled = n / secs
    twin_data = data[: data.index(b"\n", len(data) * args.twin_lines // max(n, 1)) + 1] if args.twin_lines < n else data
    tn, tsecs = feed_all(mods["_carbon_parser_py"], twin_data)
    twin = tn / tsecs
    print(f"command: python -m benchmarks.bench_parser {' '.join(sys.argv[1:])}")
    print(f"compiled parser : {n:>11,} lines in {secs:6.2f} s = {compiled:>12,.0f} lines/s (goal 5,000,000)")
    print(f"pure-Python twin: {tn:>11,} lines in {tsecs:6.2f} s = {twin:>12,.0f} lines/s")
    print(f"ratio compiled/twin: {compiled / twin:.1f}x")


if __name__ == "__main__":
    main()
