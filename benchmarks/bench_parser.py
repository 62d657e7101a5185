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
from tsstore import _ext
from tsstore.ingest import carbon_parser, pickle_decoder

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


def measure(lines: int, series: int = 100_000, twin_lines: int = 500_000, repeat: int = 3, log=print) -> dict:
    """The figures main() prints, as a dict (benchmarks/run_all.py reuses this)."""
    mods = {m.__name__.rsplit(".", 1)[-1]: m for m in _ext.implementations(carbon_parser, "tsstore.ingest._carbon_parser")}
    if "_carbon_parser" not in mods:
        raise SystemExit("the compiled parser is not built: pip install -e . --no-build-isolation")
    names = series_names(series)
    per_series = max(1, lines // series)
    t0 = time.perf_counter()
    data = b"".join(make_chunks(names, per_series, 1_700_000_000, 10))
    n_lines = data.count(b"\n")
    chunks = chunked(data)
    first_round = after_lines(data, 0, min(series, n_lines - 1))
    warm = data[:first_round]
    twin_chunks = chunked(data[first_round : after_lines(data, first_round, twin_lines)])
    warm_lines = warm.count(b"\n")
    del data
    log(f"input: {n_lines:,} lines, {series:,} series, {sum(map(len, chunks)) / n_lines:.1f} bytes/line, "
        f"{len(chunks):,} chunks of 64 KiB (made in {time.perf_counter() - t0:.1f} s)")

    runs = [feed_all(mods["_carbon_parser"], chunks) for _ in range(repeat)]
    n, secs = min(runs, key=lambda r: r[1])
    assert n == n_lines, (n, n_lines)
    tn, tsecs = feed_all(mods["python_twin"], twin_chunks, warm)
    out = {"lines": n, "series": series, "compiled_s": secs, "compiled_lines_per_s": n / secs, "repeat": repeat,
           "twin_lines": tn, "twin_warm_lines": warm_lines, "twin_s": tsecs, "twin_lines_per_s": tn / tsecs, "pickle": {}}
    for protocol in (2, 4):
        frame, count = pickle_frames(names, protocol)
        best = min(_time(lambda: pickle_decoder.decode_frame(frame)) for _ in range(5))
        stock = min(_time(lambda: pickle.loads(frame)) for _ in range(5))
        out["pickle"][protocol] = {"bytes": len(frame), "points": count, "s": best, "points_per_s": count / best,
                                   "stock_s": stock}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lines", type=int, default=10_000_000)
    ap.add_argument("--series", type=int, default=100_000)
    ap.add_argument("--twin-lines", type=int, default=500_000)
    ap.add_argument("--repeat", type=int, default=3, help="compiled runs; the best is reported")
    args = ap.parse_args()
    print(f"command: python -m benchmarks.bench_parser {' '.join(sys.argv[1:])}".rstrip())
    r = measure(args.lines, args.series, args.twin_lines, args.repeat)
    compiled, twin = r["compiled_lines_per_s"], r["twin_lines_per_s"]
    sample = f" (sample: the {r['twin_lines']:,} lines after the first {r['twin_warm_lines']:,}, names known)"
    print(f"compiled parser : {r['lines']:>12,} lines in {r['compiled_s']:6.2f} s = {compiled:>12,.0f} lines/s "
          f"(best of {args.repeat}; goal 5,000,000)")
    print(f"pure-Python twin: {r['twin_lines']:>12,} lines in {r['twin_s']:6.2f} s = {twin:>12,.0f} lines/s{sample}")
    print(f"ratio compiled/twin: {compiled / twin:.1f}x")
    for protocol, p in r["pickle"].items():
        print(f"pickle protocol {protocol}: 1 MiB frame ({p['bytes']:,} bytes, {p['points']:,} points) decoded in "
              f"{p['s'] * 1e3:.1f} ms = {p['points_per_s']:,.0f} points/s (unrestricted pickle.loads alone: "
              f"{p['stock_s'] * 1e3:.1f} ms)")


def _time(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


if __name__ == "__main__":
    main()
