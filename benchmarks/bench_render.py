"""/render latency and throughput for typical Grafana panels, tsstore against graphite-web
(Debian package, under gunicorn with one worker per core) on the same data, in one run.

    python -m benchmarks.bench_render

Panels (PANELS, shared with benchmarks/run_all.py): a raw fetch of one series; sumSeries over
100 series for 24 h at 1 min; aliasByNode over 500 series for 1 h at 10 s; summarize of the
100 series; sumSeries over 50 series for 7 days (served from a 10 min rollup). Latency: sequential requests (p50, p99). Throughput: 16 concurrent clients for a
bounded time. Ratios are tsstore / graphite-web (higher is better for req/s, lower for ms).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from tests.compat.graphite_reference import GraphiteReference
from tests.helpers.servers import ServerProcess, send_tcp

# Shared by every system in a run (tsstore and the peers get the same two files).
SCHEMAS = """\
[minute]
pattern = ^bench\\.minute\\.
retentions = 60s:2d
[ten]
pattern = ^bench\\.ten\\.
retentions = 10s:6h
[week]
pattern = ^bench\\.week\\.
retentions = 1m:1d,10m:30d
[default]
pattern = .*
retentions = 10s:6h,1m:1d
"""
# xFilesFactor 0: a coarse slot with any point keeps it (the week series have one point per
# 10 min, which whisper would otherwise drop when rolling 1 min up to 10 min).
AGGREGATION = """\
[count]
pattern = \\.count$
xFilesFactor = 0
aggregationMethod = sum
[default]
pattern = .*
xFilesFactor = 0
aggregationMethod = average
"""
NOW = (int(time.time()) // 600) * 600
WEEK = 7 * 86400


def build_data():
    data = {}
    for i in range(100):
        data[f"bench.minute.host{i:03d}.requests"] = [(NOW - 86400 + k * 60, float((k * 7 + i) % 100)) for k in range(1440)]
    for i in range(500):
        data[f"bench.ten.dc{i % 5}.host{i:03d}.cpu"] = [(NOW - 3600 + k * 10, float((k + i) % 60)) for k in range(360)]
    # 7 days at 10 min: a 7-day panel is served from the 10 min rollup (the raw 1 min one keeps 1 day)
    for i in range(50):
        data[f"bench.week.host{i:03d}.load"] = [(NOW - WEEK + k * 600, float((k * 3 + i) % 40)) for k in range(WEEK // 600)]
    return data


def data_chunks(data: dict, size: int = 1 << 20) -> list[bytes]:
    """The data as carbon plaintext, in chunks of about `size` bytes."""
    lines = "".join(f"{n} {v} {t}\n" for n, pts in data.items() for t, v in pts).encode()
    out, i = [], 0
    while i < len(lines):
        j = lines.find(b"\n", min(i + size, len(lines) - 1)) + 1 or len(lines)
        out.append(lines[i:j])
        i = j
    return out


RAW = "raw fetch, 1 series 1h @10s"
PANELS = {
    RAW: {"target": "bench.ten.dc0.host000.cpu", "from": str(NOW - 3600), "until": str(NOW)},
    "sumSeries 100 series, 24h @1min": {"target": "sumSeries(bench.minute.*.requests)", "from": str(NOW - 86400), "until": str(NOW)},
    "aliasByNode 500 series, 1h @10s": {"target": "aliasByNode(bench.ten.*.*.cpu, 2)", "from": str(NOW - 3600), "until": str(NOW)},
    "summarize 1h sum, 100 series 24h": {"target": 'summarize(bench.minute.*.requests, "1h", "sum")', "from": str(NOW - 86400), "until": str(NOW)},
    "sumSeries 50 series, 7 days (10 min rollup)": {"target": "sumSeries(bench.week.*.load)", "from": str(NOW - WEEK), "until": str(NOW)},
}
# What Grafana sends with every panel.
PANEL_PARAMS = {"format": "json", "maxDataPoints": "1000"}


def readiness_samples(data: dict) -> list[tuple[dict, dict]]:
    """[(render range, {name: {ts: value}})] to poll until a store has all the render data:
    a few series of each group, over a range that store keeps at full resolution."""
    out = []
    for prefix, lo in (("bench.minute.", NOW - 86400), ("bench.ten.", NOW - 3600), ("bench.week.", NOW - 12 * 3600)):
        names = [n for n in data if n.startswith(prefix)][::25][:10]
        out.append(({"from": str(lo - 1), "until": str(NOW)},
                    {n: {t: v for t, v in data[n] if t >= lo} for n in names}))
    return out


def latencies(url: str, params: dict, n: int, budget_s: float = 120.0) -> list[float]:
    """n sequential requests (ms each), stopping early once budget_s is spent."""
    out = []
    deadline = time.monotonic() + budget_s
    with httpx.Client(timeout=60) as c:
        for _ in range(n):
            t = time.perf_counter()
            r = c.get(url + "/render", params=params)
            r.raise_for_status()
            out.append((time.perf_counter() - t) * 1000)
            if time.monotonic() > deadline:
                break
    return out


def throughput(url: str, params: dict, clients: int, seconds: float) -> float:
    count = [0] * clients
    stop = time.monotonic() + seconds

    def worker(i):
        with httpx.Client(timeout=60) as c:
            while time.monotonic() < stop:
                c.get(url + "/render", params=params).raise_for_status()
                count[i] += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(count) / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--requests", type=int, default=30, help="sequential requests per panel for latency")
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--seconds", type=float, default=10.0, help="duration of each throughput run")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="tsstore-bench-render-"))
    data = build_data()
    (work / "schemas.conf").write_text(SCHEMAS)
    (work / "aggregation.conf").write_text(AGGREGATION)

    ref = GraphiteReference(work / "graphite").start(workers=os.cpu_count() or 2)
    from tsstore.ingest.schemas import SchemaResolver, parse_aggregation, parse_schemas

    resolver = SchemaResolver(parse_schemas(SCHEMAS), parse_aggregation(AGGREGATION))
    metas = {n: resolver.meta_for(n) for n in data}
    ref.write_whisper([{"path": n, "archives": [[r.step, r.points] for r in metas[n].rollups],
                        "xff": metas[n].xff, "method": metas[n].aggregation, "points": pts} for n, pts in data.items()])
    srv = ServerProcess(work / "tsstore", "--schemas-file", str(work / "schemas.conf"),
                        "--aggregation-file", str(work / "aggregation.conf"), "--flush-interval", "1",
                        "--self-metrics-interval", "0", "--http-workers", "2").start()  # as gunicorn -w 2
    try:
        for chunk in data_chunks(data):
            send_tcp(srv.carbon_port, chunk)
        total = sum(len(p) for p in data.values())
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            got = httpx.get(srv.url + "/render", params={**PANELS["aliasByNode 500 series, 1h @10s"], "format": "json"}).json()
            if len(got) == 500 and httpx.get(srv.url + "/tsstore/status").json()["counters"].get("points.received", 0) >= total:
                break
            time.sleep(0.5)
        time.sleep(3)  # let the last flush land
        rows = []
        for label, panel in PANELS.items():
            params = {**panel, **PANEL_PARAMS}
            a = httpx.get(ref.url + "/render", params=params).json()
            b = httpx.get(srv.url + "/render", params=params).json()
            assert [s["target"] for s in a] == [s["target"] for s in b], "the two answers differ: not a fair race"
            lat = {name: latencies(url, params, args.requests) for name, url in (("graphite-web", ref.url), ("tsstore", srv.url))}
            rps = {name: throughput(url, params, args.clients, args.seconds) for name, url in (("graphite-web", ref.url), ("tsstore", srv.url))}
            rows.append((label, lat, rps))
    finally:
        srv.stop()
        ref.stop()
    print(f"command: python -m benchmarks.bench_render {' '.join(sys.argv[1:])}")
    print("graphite-web: Debian 1.1.8 under gunicorn, one worker per core; tsstore: one process, embedded store")
    print(f"{'panel':36} {'server':13} {'p50 ms':>8} {'p99 ms':>8} {'req/s @' + str(args.clients):>11}")
    for label, lat, rps in rows:
        for name in ("graphite-web", "tsstore"):
            ls = sorted(lat[name])
            p99 = ls[min(len(ls) - 1, int(len(ls) * 0.99))]
            print(f"{label:36} {name:13} {statistics.median(ls):8.1f} {p99:8.1f} {rps[name]:11.1f}")
        speed = statistics.median(lat["graphite-web"]) / statistics.median(lat["tsstore"])
        print(f"{'':36} {'ratio':13} {speed:7.1f}x faster p50, {rps['tsstore'] / rps['graphite-web']:.1f}x req/s (goals 5x, 10x)")


if __name__ == "__main__":
    main()
