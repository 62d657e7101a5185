"""End-to-end ingest: points/s from the first byte a TCP sender writes until every point is
readable through the HTTP API, on the embedded store.

    python -m benchmarks.bench_ingest --series 100000 --points 10

The server runs as its own process (`tsstore serve`); the sender is this process (threads
over several connections). "Readable" is checked with a marker point sent after the server
acknowledged every line: the WAL keeps order, so when the marker is readable every earlier
point has been flushed; then a random sample of series is read back and compared value by
value.
"""
from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from benchmarks.loadgen import make_chunks, send_chunks, series_names
from benchmarks.procstats import cpu_seconds, peak_rss_mib
from tests.servers import ServerProcess, send_tcp

SCHEMAS = "[default]\npattern = .*\nretentions = 10s:1d,1m:7d,10m:1y\n"


def wait_status(srv, key: str, at_least: float, timeout: float) -> float:
    deadline = time.monotonic() + timeout
    value = 0
    while time.monotonic() < deadline:
        value = httpx.get(srv.url + "/tsstore/status", timeout=10).json()["counters"].get(key, 0)
        if value >= at_least:
            return value
        time.sleep(0.05)
    raise SystemExit(f"timed out: {key} reached {value}, wanted {at_least}")


def readable(srv, target: str, params: dict) -> list:
    return httpx.get(srv.url + "/render", params={"target": target, "format": "json", **params}, timeout=60).json()


def run(series: int, points: int, connections: int, store_args: list[str], workdir: Path, label: str, passes: int,
        flush_interval: float = 10.0) -> list[dict]:
    """One server; `passes` bursts of `points` points per series, each timed on its own.

    Pass 1 includes creating every series; later passes are the sustained rate for series
    the store already knows.
    """
    names = series_names(series)
    step = 10
    start = (int(time.time()) - passes * points * step - 600) // 600 * 600
    total = series * points
    (workdir / "schemas.conf").write_text(SCHEMAS)
    srv = ServerProcess(workdir / "data", "--schemas-file", str(workdir / "schemas.conf"),
                        "--flush-interval", str(flush_interval), "--self-metrics-interval", "0", *store_args).start(timeout=120)
    results = []
    try:
        for p in range(passes):
            pass_start = start + p * points * step
            chunks = make_chunks(names, points, pass_start, step)
            cpu0 = cpu_seconds(srv.proc.pid)
            t0 = time.perf_counter()
            send_secs = send_chunks("127.0.0.1", srv.carbon_port, chunks, connections)
            wait_status(srv, "points.received", total * (p + 1) + p, 1800)
            acked = time.perf_counter() - t0
            marker_ts = pass_start + points * step
            send_tcp(srv.carbon_port, f"bench.marker {p + 1} {marker_ts}\n".encode())
            rng = {"from": str(pass_start - step), "until": str(marker_ts + step)}
            deadline = time.monotonic() + 1800
            while time.monotonic() < deadline:
                got = readable(srv, "bench.marker", rng)
                if got and any(v == p + 1 for v, _ in got[0]["datapoints"]):
                    break
                time.sleep(0.05)
            else:
                raise SystemExit("marker never became readable")
            total_secs = time.perf_counter() - t0
            cpu = cpu_seconds(srv.proc.pid) - cpu0
            # Value-by-value check of a sample against what was sent.
            sample = set(random.Random(3 + p).sample(names, 50))
            sent = {}
            for chunk in chunks:
                for line in chunk.split(b"\n"):
                    if line:
                        n, v, t = line.split()
                        if n.decode() in sample:
                            sent[(n.decode(), int(t))] = float(v)
            for name in sample:
                got = readable(srv, name, rng)
                have = {ts: v for v, ts in got[0]["datapoints"] if v is not None}
                want = {t: v for (n, t), v in sent.items() if n == name}
                assert have == want, f"{name}: read back {len(have)} points, sent {len(want)}"
            results.append({
                "label": f"{label} pass {p + 1}" + (" (creates the series)" if p == 0 else " (known series)"),
                "series": series, "points": total, "send_s": send_secs, "acked_s": acked,
                "readable_s": total_secs, "points_per_s": total / total_secs,
                "cpu_s_per_mpoint": cpu / (total / 1e6), "peak_rss_mib": peak_rss_mib(srv.proc.pid),
            })
    finally:
        srv.stop(timeout=600)
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--series", type=int, default=100_000)
    ap.add_argument("--points", type=int, default=10, help="points per series")
    ap.add_argument("--connections", type=int, default=4)
    ap.add_argument("--store", default="embedded", help="'embedded' or a cassandra:// URL")
    ap.add_argument("--passes", type=int, default=2, help="bursts; pass 1 creates the series")
    ap.add_argument("--flush-interval", type=float, default=10.0, help="the server's --flush-interval (its default)")
    args = ap.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="tsstore-bench-"))
    try:
        store_args = [] if args.store == "embedded" else ["--store", args.store]
        results = run(args.series, args.points, args.connections, store_args, workdir, f"tsstore ({args.store})", args.passes,
                      args.flush_interval)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"command: python -m benchmarks.bench_ingest {' '.join(sys.argv[1:])}")
    for r in results:
        print(f"{r['label']}: {r['points']:,} points over {r['series']:,} series, {args.connections} connections")
        print(f"  sender done        {r['send_s']:8.2f} s")
        print(f"  all acknowledged   {r['acked_s']:8.2f} s (in the WAL)")
        print(f"  all readable       {r['readable_s']:8.2f} s -> {r['points_per_s']:,.0f} points/s end to end")
        print(f"  server CPU         {r['cpu_s_per_mpoint']:8.2f} s per million points")
        print(f"  server peak RSS    {r['peak_rss_mib']:8.0f} MiB")


if __name__ == "__main__":
    main()
