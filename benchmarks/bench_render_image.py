"""/render as a picture: a 600x300 PNG of 10 series x 1,000 points, tsstore against graphite-web
(Debian 1.1.8, cairo, under gunicorn with one worker per core) on the same data, in one run.

    python -m benchmarks.bench_render_image [--requests 200] [--draws 200]

Latency: sequential requests (p50, p99), bounded by --requests and 60 s per server. Draw: the
picture alone (tsstore.graph, no HTTP, no store), in this process, over the same series; also
for uniform noise, the worst case for anti-aliased strokes (every segment crosses the plot).
The series are random walks (what metrics look like), fixed by a seed.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import numpy as np

from tests.compat.graphite_reference import GraphiteReference
from tests.helpers.servers import ServerProcess, send_tcp

SCHEMAS = "[default]\npattern = .*\nretentions = 10s:6h\n"
AGGREGATION = "[default]\npattern = .*\nxFilesFactor = 0\naggregationMethod = average\n"
STEP, POINTS, SERIES = 10, 1000, 10
NOW = (int(time.time()) // 600) * 600
START = NOW - STEP * POINTS
PARAMS = {"target": "bench.image.*.value", "from": str(START), "until": str(NOW - 1), "width": "600",
          "height": "300", "format": "png"}


def walks(seed: int = 16) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {f"bench.image.s{i:02d}.value": np.round(50 + np.cumsum(rng.normal(0, 2, POINTS)) + 10 * i, 3)
            for i in range(SERIES)}


def percentiles(ms: list[float]) -> tuple[float, float]:
    ordered = sorted(ms)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def latencies(url: str, n: int, budget_s: float = 60.0, params: dict = PARAMS) -> list[float]:
    out = []
    deadline = time.monotonic() + budget_s
    with httpx.Client(timeout=60) as c:
        c.get(url + "/render", params=params).raise_for_status()  # warm up
        for _ in range(n):
            t = time.perf_counter()
            r = c.get(url + "/render", params=params)
            r.raise_for_status()
            out.append((time.perf_counter() - t) * 1000)
            if time.monotonic() > deadline:
                break
    return out


def draw_times(values: list[np.ndarray], n: int, budget_s: float = 60.0) -> list[float]:
    from tsstore.graph.options import parse_graph_options
    from tsstore.graph.picture import line_picture
    from tsstore.query.series import TimeSeries

    opts = parse_graph_options({"width": "600", "height": "300"})
    tz = ZoneInfo("UTC")

    def series():
        return [TimeSeries(f"bench.image.s{i:02d}.value", START, NOW, STEP, v.copy()) for i, v in enumerate(values)]

    line_picture(series(), opts, tz, "png")
    out = []
    deadline = time.monotonic() + budget_s
    for _ in range(n):
        s = series()
        t = time.perf_counter()
        line_picture(s, opts, tz, "png")
        out.append((time.perf_counter() - t) * 1000)
        if time.monotonic() > deadline:
            break
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--requests", type=int, default=200, help="sequential requests per server")
    ap.add_argument("--draws", type=int, default=200, help="in-process draws for the pure draw time")
    ap.add_argument("--tsstore-flag", action="append", default=[],
                    help="a flag for tsstore serve (repeat it; e.g. --tsstore-flag=--http-workers --tsstore-flag=2): "
                         "a tuned row beside the defaults' one")
    args = ap.parse_args()
    data = walks()
    noise = [np.random.default_rng(i).random(POINTS) * 100 for i in range(SERIES)]
    draw = {"random walks": percentiles(draw_times(list(data.values()), args.draws)),
            "uniform noise": percentiles(draw_times(noise, args.draws))}

    work = Path(tempfile.mkdtemp(prefix="tsstore-bench-image-"))
    (work / "schemas.conf").write_text(SCHEMAS)
    (work / "aggregation.conf").write_text(AGGREGATION)
    ts = START + STEP * np.arange(POINTS)
    ref = GraphiteReference(work / "graphite").start(workers=os.cpu_count() or 2)
    ref.write_whisper([{"path": n, "archives": [[STEP, 6 * 360]], "xff": 0.0, "method": "average",
                        "points": [(int(t), float(v)) for t, v in zip(ts, vals)]} for n, vals in data.items()])
    # default settings; the conf files only give it the same retention as graphite-web's whisper files
    srv = ServerProcess(work / "tsstore", "--schemas-file", str(work / "schemas.conf"),
                        "--aggregation-file", str(work / "aggregation.conf"), *args.tsstore_flag).start()
    try:
        send_tcp(srv.carbon_port, "".join(f"{n} {v} {int(t)}\n" for n, vals in data.items()
                                          for t, v in zip(ts, vals)).encode())
        deadline = time.monotonic() + 120
        want = {n: float(vals[-1]) for n, vals in data.items()}
        while time.monotonic() < deadline:
            got = httpx.get(srv.url + "/render", params={**PARAMS, "format": "json"}).json()
            if {s["target"]: s["datapoints"][-1][0] for s in got} == want:
                break
            time.sleep(0.5)
        else:
            raise RuntimeError("tsstore did not read back the benchmark data within 120 s")
        ours = httpx.get(srv.url + "/render", params=PARAMS)
        theirs = httpx.get(ref.url + "/render", params=PARAMS)
        for who, resp in (("tsstore", ours), ("graphite-web", theirs)):
            if resp.headers.get("content-type") != "image/png" or len(resp.content) < 1000:
                raise RuntimeError(f"{who} did not answer a PNG: {resp.status_code} {resp.text[:300]}")
        lat = {name: percentiles(latencies(url, args.requests)) for name, url in
               (("graphite-web", ref.url), ("tsstore", srv.url))}
        # the same request as JSON: what fetching and answering cost without the picture
        lat["tsstore json"] = percentiles(latencies(srv.url, args.requests, params={**PARAMS, "format": "json"}))
    finally:
        srv.stop()
        ref.stop()
    print(f"command: python -m benchmarks.bench_render_image {' '.join(sys.argv[1:])}")
    print(f"PNG 600x300, {SERIES} series x {POINTS} points (random walks); graphite-web 1.1.8 (cairo) under "
          f"gunicorn -w {os.cpu_count() or 2}, tsstore with {' '.join(args.tsstore_flag) or 'default settings'} on its "
          "embedded store; sequential requests")
    print(f"{'':28} {'p50 ms':>8} {'p99 ms':>8}")
    for name in ("graphite-web", "tsstore"):
        print(f"{'/render ' + name:28} {lat[name][0]:8.1f} {lat[name][1]:8.1f}")
    print(f"{'ratio (graphite-web/tsstore)':28} {lat['graphite-web'][0] / lat['tsstore'][0]:7.1f}x {lat['graphite-web'][1] / lat['tsstore'][1]:7.1f}x")
    print(f"{'/render tsstore format=json':28} {lat['tsstore json'][0]:8.1f} {lat['tsstore json'][1]:8.1f}")
    for kind, (p50, p99) in draw.items():
        print(f"{'draw only, ' + kind:28} {p50:8.1f} {p99:8.1f}")


if __name__ == "__main__":
    main()
