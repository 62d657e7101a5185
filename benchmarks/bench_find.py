"""/metrics/find latency for globs at several depths over the loadgen tree
(`<dc>.<service>.<host>.<group>.<metric>`), on any Graphite HTTP API; and, run as a program,
tsstore's path index at a given number of series.

    python -m benchmarks.bench_find --series 1000000
    python -m benchmarks.bench_find --series 10000000 --data-dir /var/tmp/find10m   # kept for reruns

The program loads the series straight into an embedded store (benchmarks/bulk_load: ingesting
10M series over carbon takes far longer and measures ingest, not find), starts `tsstore serve` on it with default settings, waits until its path
index is built, then times each glob (treejson, what Grafana's query editor asks) and reports
p50/p99, the index build time and its bytes per series. --walk also times the store's own
tree walk (what finds did before the index) in this process, under a time budget.

Used by benchmarks/run_all.py on each system after its ingest (GLOBS, find_latencies).
Answers are counted so the caller can check that every system found the same number of nodes.
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from pathlib import Path

import httpx

# label -> query; host00000 is in dc1/api (loadgen: dc = host % 4, service = host // 4 % 10)
GLOBS = {
    "depth 1: *": "*",
    "depth 2: dc1.*": "dc1.*",
    "depth 3: dc1.api.*": "dc1.api.*",
    "depth 4: dc1.api.host00000.*": "dc1.api.host00000.*",
    "depth 5: dc1.api.host0000*.cpu.*": "dc1.api.host0000*.cpu.*",
    "wide: dc*.*.*.cpu.user": "dc*.*.*.cpu.user",
}

# What issue 12 asks of the index, by kind of glob (the program's table).
INDEX_GLOBS = {
    "root": "*",
    "one host": "dc1.api.host00000.*",
    "one metric on every host": "*.*.*.cpu.user",
    "prefix globs on two levels": "dc1.api.host001*.cpu.*",
    "classes and braces": "dc{1,2}.{api,web}.host0[0-4]??[02468].{cpu,mem}.[iu]*",
    "leading wildcard": "*.api.host00000.cpu.user",
    "deep wildcard": "dc1.*.*.app.*.p99",
}


def find_latencies(url: str, query: str, n: int, budget_s: float = 60.0, extra: dict | None = None) -> tuple[list[float], int]:
    """n sequential finds (treejson, what Grafana's query editor asks), stopping early when
    the time budget is spent; (latencies in ms, nodes in the answer)."""
    out, count = [], 0
    deadline = time.monotonic() + budget_s
    with httpx.Client(timeout=120) as c:
        for _ in range(n):
            t = time.perf_counter()
            r = c.get(url + "/metrics/find", params={"query": query, **(extra or {})})
            r.raise_for_status()
            out.append((time.perf_counter() - t) * 1000)
            count = len(r.json())
            if time.monotonic() > deadline:
                break
    return out, count


def summary(lat: list[float]) -> tuple[float, float]:
    """(p50, p99) in ms."""
    s = sorted(lat)
    return statistics.median(s), s[min(len(s) - 1, int(len(s) * 0.99))]


def _walk_latencies(data_dir: Path, query: str, n: int, budget_s: float) -> list[float]:
    """The store's own tree walk (what finds did before the path index), in this process."""
    from tsstore.store.embedded import EmbeddedStore

    async def run():
        store = EmbeddedStore(data_dir)
        await store.open()
        out, deadline = [], time.monotonic() + budget_s
        try:
            for _ in range(n):
                t = time.perf_counter()
                await store.find(query)
                out.append((time.perf_counter() - t) * 1000)
                if time.monotonic() > deadline:
                    break
        finally:
            await store.close()
        return out

    return asyncio.run(run())


def main() -> None:
    from benchmarks import bulk_load
    from benchmarks.loadgen import series_names
    from benchmarks.procstats import memory_mib
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--series", type=int, default=1_000_000)
    ap.add_argument("--data-dir", type=Path, help="kept between runs (default: a temporary directory)")
    ap.add_argument("--requests", type=int, default=50, help="finds per glob (bounded by --budget)")
    ap.add_argument("--budget", type=float, default=30.0, help="seconds per glob at most")
    ap.add_argument("--walk", action="store_true", help="also time the store's own tree walk")
    ap.add_argument("--from", dest="find_from", metavar="AT", help="also time each glob with find?from=AT, over a store "
                    "where every series has a last point: 20 h ago for a seventh of the hosts, else now")
    args = ap.parse_args()
    if args.find_from:
        held = bulk_load.load(args.data_dir, args.series, series_names) if args.data_dir else None
        if held is None:
            raise SystemExit("--from needs --data-dir (the last points are written into it once)")
        marker = args.data_dir / "last-points.done"
        if not marker.exists():
            bulk_load.write_last_points(args.data_dir, series_names(args.series), _stale_host)
            marker.write_text("done\n")

    with bulk_load.served(args.data_dir, args.series, series_names, "path_index", "path index ready") as (srv, held, index, built):
        print(f"\n{held:,} series; {built}")
        print(f"index: {index['nodes']:,} nodes, {index['bytes'] / held:.1f} bytes per series in all, of which "
              f"{index['text_bytes'] / held:.1f} are name bytes (each distinct component once); "
              f"server RSS {memory_mib(srv.proc.pid, 'VmRSS'):,.0f} MiB")
        print(f"\n| glob | query | treejson entries | p50 ms | p99 ms |{' walk p50 ms |' if args.walk else ''}")
        print(f"| --- | --- | ---: | ---: | ---: |{' ---: |' if args.walk else ''}")
        for label, query in INDEX_GLOBS.items():
            lat, count = find_latencies(srv.url, query, args.requests, args.budget)
            p50, p99 = summary(lat)
            walk = ""
            if args.walk:
                w = _walk_latencies(srv.data_dir, query, 3, args.budget)
                walk = f" {statistics.median(w):,.1f} |"
            print(f"| {label} | `{query}` | {count:,} | {p50:.1f} | {p99:.1f} |{walk}", flush=True)
        if args.find_from:
            print(f"\nfind?from={args.find_from} (a seventh of the hosts last written 20 h ago)\n")
            print("| glob | query | treejson entries | p50 ms | p99 ms |\n| --- | --- | ---: | ---: | ---: |")
            for label, query in INDEX_GLOBS.items():
                lat, count = find_latencies(srv.url, query, args.requests, args.budget, {"from": args.find_from})
                p50, p99 = summary(lat)
                print(f"| {label} | `{query}` | {count:,} | {p50:.1f} | {p99:.1f} |", flush=True)


def _stale_host(name: str) -> bool:
    """A seventh of the loadgen hosts (number % 7 == 3: across every dc and service)."""
    return int(name.split(".")[2][4:]) % 7 == 3

if __name__ == "__main__":
    main()
