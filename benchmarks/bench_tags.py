"""Tag queries over many tagged series: seriesByTag's expressions (/tags/findSeries) with
each operator, and the autocomplete endpoints, on a tsstore served with default settings.

    python -m benchmarks.bench_tags --series 1000000
    python -m benchmarks.bench_tags --series 1000000 --data-dir /var/tmp/tags1m --walk

Series are `<metric>;dc=..;service=..;host=..;env=..;rack=..` (five tags besides name; the
loadgen fleet's hosts and metrics), loaded straight into an embedded store
(benchmarks/bulk_load). Each query is timed over HTTP until its budget, p50 and p99. --walk
also times the store's own tag queries (what answered before the in-memory tag index) in
this process.
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from pathlib import Path

import httpx

from benchmarks.bench_find import summary

# label -> (endpoint, params)
QUERIES = {
    "= (one host's metric)": ("/tags/findSeries", {"expr": ["name=cpu.user", "host=host00042"]}),
    "= (a quarter of the hosts)": ("/tags/findSeries", {"expr": ["name=cpu.user", "dc=dc1"]}),
    "!=": ("/tags/findSeries", {"expr": ["name=cpu.user", "dc!=dc1"]}),
    "=~": ("/tags/findSeries", {"expr": ["name=cpu.user", "host=~host0004[0-9]"]}),
    "!=~": ("/tags/findSeries", {"expr": ["name=mem.used", "service!=~(api|web|db)", "env=prod"]}),
    "=~ on name": ("/tags/findSeries", {"expr": ["name=~cpu\\.(user|system)", "rack=r07"]}),
    "autocomplete tags": ("/tags/autoComplete/tags", {"expr": ["name=cpu.user"], "tagPrefix": "r"}),
    "autocomplete values": ("/tags/autoComplete/values", {"tag": "host", "valuePrefix": "host001", "expr": ["dc=dc2"]}),
    "tag values (/tags/host)": ("/tags/host", {"limit": "100"}),
}


def tagged_names(count: int) -> list[str]:
    from benchmarks.loadgen import DCS, METRICS, SERVICES

    names, host = [], 0
    while len(names) < count:
        tags = (f"dc={DCS[host % len(DCS)]};env={'prod' if host % 3 else 'staging'};host=host{host:05d};"
                f"rack=r{host % 40:02d};service={SERVICES[host // len(DCS) % len(SERVICES)]}")
        names.extend(f"{metric};{tags}" for metric in METRICS[: count - len(names)])
        host += 1
    return names


def _latencies(url: str, path: str, params: dict, n: int, budget: float) -> tuple[list[float], int]:
    out, count, deadline = [], 0, time.monotonic() + budget
    with httpx.Client(timeout=120) as c:
        for _ in range(n):
            t = time.perf_counter()
            r = c.get(url + path, params=params)
            r.raise_for_status()
            out.append((time.perf_counter() - t) * 1000)
            body = r.json()
            count = len(body["values"]) if isinstance(body, dict) and "values" in body else len(body)
            if time.monotonic() > deadline:
                break
    return out, count


def _walk_latency(data_dir: Path, path: str, params: dict, budget: float) -> float | None:
    """The store's own tag queries (tagquery without an index), in this process; findSeries only."""
    if path != "/tags/findSeries":
        return None
    from tsstore.index import tagquery
    from tsstore.store.embedded import EmbeddedStore

    async def run():
        store = EmbeddedStore(data_dir)
        await store.open()
        out, deadline = [], time.monotonic() + budget
        try:
            for _ in range(3):
                t = time.perf_counter()
                await tagquery.find_series(store, params["expr"])
                out.append((time.perf_counter() - t) * 1000)
                if time.monotonic() > deadline:
                    break
        finally:
            await store.close()
        return statistics.median(out)

    return asyncio.run(run())


def main() -> None:
    from benchmarks import bulk_load

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--series", type=int, default=1_000_000)
    ap.add_argument("--data-dir", type=Path, help="kept between runs (default: a temporary directory)")
    ap.add_argument("--requests", type=int, default=50)
    ap.add_argument("--budget", type=float, default=30.0, help="seconds per query at most")
    ap.add_argument("--walk", action="store_true", help="also time the store's own tag queries")
    args = ap.parse_args()

    with bulk_load.served(args.data_dir, args.series, tagged_names, "tag_index", "tag index ready") as (srv, held, _, built):
        print(f"\n{held:,} tagged series, 5 tags each besides name; {built}")
        print(f"\n| query | endpoint and expressions | answers | p50 ms | p99 ms |{' store walk p50 ms |' if args.walk else ''}")
        print(f"| --- | --- | ---: | ---: | ---: |{' ---: |' if args.walk else ''}")
        for label, (path, params) in QUERIES.items():
            lat, count = _latencies(srv.url, path, params, args.requests, args.budget)
            p50, p99 = summary(lat)
            walk = ""
            if args.walk:
                w = _walk_latency(srv.data_dir, path, params, args.budget)
                walk = f" {w:,.1f} |" if w is not None else " |"
            shown = ", ".join(f"{k}={v}" for k, vs in params.items() for v in (vs if isinstance(vs, list) else [vs]))
            print(f"| {label} | `{path}?{shown}` | {count:,} | {p50:.1f} | {p99:.1f} |{walk}", flush=True)

if __name__ == "__main__":
    main()
