"""/metrics/find latency for globs at several depths over the loadgen tree
(`<dc>.<service>.<host>.<group>.<metric>`), on any Graphite HTTP API.

Used by benchmarks/run_all.py on each system after its ingest. Answers are counted so the
caller can check that every system found the same number of nodes.
"""
from __future__ import annotations

import statistics
import time

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


def find_latencies(url: str, query: str, n: int, budget_s: float = 60.0) -> tuple[list[float], int]:
    """n sequential finds (treejson, what Grafana's query editor asks), stopping early when
    the time budget is spent; (latencies in ms, nodes in the answer)."""
    out, count = [], 0
    deadline = time.monotonic() + budget_s
    with httpx.Client(timeout=120) as c:
        for _ in range(n):
            t = time.perf_counter()
            r = c.get(url + "/metrics/find", params={"query": query})
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
