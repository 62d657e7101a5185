"""Parser alone, one core: lines/s of the compiled carbon parser and of its pure-Python twin,
and points/s of the restricted pickle decoder on 1 MiB frames.

    python -m benchmarks.bench_parser                  # 10,000,000 lines
    python -m benchmarks.bench_parser --lines 2000000  # quicker

Lines are realistic (benchmarks.loadgen: `dc2.checkout.host00417.cpu.user 12.34 1700000000`,
100k distinct names in a dc/service/host/group tree, gauges and counters, every series once
per timestamp) and are fed from an empty registry in 64 KiB chunks, as a socket delivers
them (lines cut across chunks). The chunks are sliced before timing. The compiled parser
starts from an empty registry (its time includes registering the 100k names). The twin is
~20x slower, so it is timed on --twin-lines lines only, those after the first round of
names, which are fed to it untimed (so its sample is not dominated by new names); its rate
is per line.
"""
from __future__ import annotations

import argparse
import pickle
import random
import sys
import time

from benchmarks.loadgen import make_chunks, series_names
from tsstore import _ext, pickle_decoder

CHUNK = 64 * 1024


def chunked(data: bytes, size: int = CHUNK) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def feed_all(module, chunks: list[bytes], warm: bytes = b"", now: int = 1_700_000_000) -> tuple[int, float]:
    """(points parsed, seconds) for one parser on a fresh registry, after feeding `warm` untimed."""
    parser = module.CarbonLineParser(module.SeriesRegistry())
    parser.feed(warm, now)
    points = 0
    t0 = time.perf_counter()
    for chunk in chunks:
        points += len(parser.feed(chunk, now))
    return points, time.perf_counter() - t0


def after_lines(data: bytes, start: int, count: int) -> int:
    """Offset just past the `count`-th newline from `start` (or the end of data)."""
    pos = start
    for _ in range(count):
        nl = data.find(b"\n", pos)
        if nl < 0:
            return len(data)
        pos = nl + 1
    return pos


def pickle_frames(names: list[str], protocol: int, limit: int = 1 << 20) -> tuple[bytes, int]:
    """The largest pickle of realistic points that fits in `limit` bytes, and its point count."""
    rnd = random.Random(5)
    points = [(name, (1_700_000_000 + 10 * (i // len(names)), round(rnd.uniform(0, 100), 2)))
              for i, name in enumerate(names[:40_000])]
    lo, hi = 0, len(points)
    while lo < hi:  # binary search on the number of points
        mid = (lo + hi + 1) // 2
        if len(pickle.dumps(points[:mid], protocol=protocol)) <= limit:
            lo = mid
        else:
            hi = mid - 1
    return pickle.dumps(points[:lo], protocol=protocol), lo


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lines", type=int, default=10_000_000)
    ap.add_argument("--series", type=int, default=100_000)
    ap.add_argument("--twin-lines", type=int, default=500_000)
    ap.add_argument("--repeat", type=int, default=3, help="compiled runs; the best is reported")
    args = ap.parse_args()

    mods = {m.__name__.rsplit(".", 1)[-1]: m for m in _ext.both("carbon_parser")}
    if "_carbon_parser" not in mods:
        raise SystemExit("the compiled parser is not built: pip install -e . --no-build-isolation")
    names = series_names(args.series)
    per_series = max(1, args.lines // args.series)
    t0 = time.perf_counter()
    data = b"".join(make_chunks(names, per_series, 1_700_000_000, 10))
    lines = data.count(b"\n")
    chunks = chunked(data)
    first_round = after_lines(data, 0, min(args.series, lines - 1))
    warm = data[:first_round]
    twin_chunks = chunked(data[first_round : after_lines(data, first_round, args.twin_lines)])
    warm_lines = warm.count(b"\n")
    del data
    print(f"command: python -m benchmarks.bench_parser {' '.join(sys.argv[1:])}".rstrip())
    print(f"input: {lines:,} lines, {args.series:,} series, {sum(map(len, chunks)) / lines:.1f} bytes/line, "
          f"{len(chunks):,} chunks of 64 KiB (made in {time.perf_counter() - t0:.1f} s)")

    runs = [feed_all(mods["_carbon_parser"], chunks) for _ in range(args.repeat)]
    n, secs = min(runs, key=lambda r: r[1])
    assert n == lines, (n, lines)
    compiled = n / secs
    tn, tsecs = feed_all(mods["_carbon_parser_py"], twin_chunks, warm)
    twin = tn / tsecs
    sample = f" (sample: the {tn:,} lines after the first {warm_lines:,}, names known)"
    print(f"compiled parser : {n:>12,} lines in {secs:6.2f} s = {compiled:>12,.0f} lines/s "
          f"(best of {args.repeat}; goal 5,000,000)")
    print(f"pure-Python twin: {tn:>12,} lines in {tsecs:6.2f} s = {twin:>12,.0f} lines/s{sample}")
    print(f"ratio compiled/twin: {compiled / twin:.1f}x")

    for protocol in (2, 4):
        frame, count = pickle_frames(names, protocol)
        best = min(_time(lambda: pickle_decoder.decode_frame(frame)) for _ in range(5))
        stock = min(_time(lambda: pickle.loads(frame)) for _ in range(5))
        print(f"pickle protocol {protocol}: 1 MiB frame ({len(frame):,} bytes, {count:,} points) decoded in "
              f"{best * 1e3:.1f} ms = {count / best:,.0f} points/s (unrestricted pickle.loads alone: {stock * 1e3:.1f} ms)")


def _time(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


if __name__ == "__main__":
    main()
