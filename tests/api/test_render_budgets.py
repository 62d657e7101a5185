"""Renders that would build gigabytes are refused before building them (issue 14, item 4):
each answer is an HTTP 400 naming the setting, and the peak of the memory Python and numpy
allocate while it is answered (tracemalloc) stays small. The store holds one series kept five
years, as the built-in schema keeps everything (10s:6h,1m:7d,10m:5y)."""
import time
import tracemalloc

import httpx
import numpy as np
import pytest

from tsstore.api.app import AppContext, create_app
from tsstore.config import Settings
from tsstore.model import Rollup, SeriesMeta, Slots, WriteRequest
from tsstore.store.embedded import EmbeddedStore
from tests.helpers.served_store import queried_as_served

NOW = int(time.time()) // 600 * 600
FIVE_YEARS = Rollup(10, 2160), Rollup(60, 10080), Rollup(600, 262800)
SMALL = 200 << 20  # what a user watching the process would accept for a refusal


async def _client(tmp_path, settings: Settings):
    store = EmbeddedStore(tmp_path)
    await store.open()
    await store.create_series([SeriesMeta("servers.web01.cpu", FIVE_YEARS), SeriesMeta("servers.web02.cpu", FIVE_YEARS)])
    ts = NOW - 86400 + np.arange(144, dtype=np.int64) * 600
    coarse = np.repeat(np.arange(144, dtype=float)[:, None], 5, axis=1)
    await store.write([WriteRequest(n, 2, 600, Slots(ts, coarse), 86400 * 365 * 5)
                       for n in ("servers.web01.cpu", "servers.web02.cpu")])
    app = create_app(AppContext(await queried_as_served(store), settings))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://tsstore", timeout=120), store


@pytest.fixture
async def client(tmp_path):
    c, store = await _client(tmp_path, Settings())  # the default limits
    async with c:
        yield c
    await store.close()


async def measured(request) -> tuple[httpx.Response, int]:
    """The answer, and the peak bytes allocated while it was made."""
    tracemalloc.start()
    try:
        resp = await request
        return resp, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


POINTS = "the limit is 50000000 points per render (setting max_points_per_render)"
SERIES = "the limit is 50000 series per render (setting max_series_per_render)"


@pytest.mark.parametrize("target, message", [
    # a 1 s interval over 5 years is 157 million buckets (1.2 GB) from 263 thousand points
    ("summarize(servers.web01.cpu, '1s')", "summarize with intervalString '1s' would make 157680001 points"),
    ("summarize(servers.web01.cpu, '1s', 'sum', true)", "summarize with intervalString '1s' would make"),
    ("smartSummarize(servers.web01.cpu, '1s')", "smartSummarize with intervalString '1s' would make"),
    ("hitcount(servers.web01.cpu, '1s')", "hitcount with intervalString '1s' would make"),
    ("sinFunction('x', 1, 1)", "sinFunction over 157680000 s at a 1 s step would make 157680000 points"),
    ("timeFunction('x', 1)", "timeFunction over 157680000 s at a 1 s step would make"),
    ("randomWalk('x', 1)", "randomWalk over 157680000 s at a 1 s step would make"),
    ("events('*')", "events over 157680000 s (a point per second) would make"),
    ("sumSeries(sinFunction('a', 1, 1), servers.web01.cpu)", "sinFunction over 157680000 s"),
])
async def test_points_past_the_budget_are_refused_before_they_are_built(client, target, message):
    await _refused_small(client, target, "-5y", message)


async def _refused_small(client, target: str, since: str, message: str) -> None:
    """A 400 naming the point budget, with little allocated to get there."""
    resp, peak = await measured(client.get("/render", params={"target": target, "from": since, "format": "json"}))
    assert resp.status_code == 400, resp.text[:300]
    assert peak < SMALL, f"{peak >> 20} MB allocated to refuse {target}"
    assert message in resp.text and POINTS in resp.text


@pytest.mark.parametrize("target, message", [
    # over one day: the history of a window of 10^9 points, made by the generator over the whole window
    ("movingAverage(sinFunction('x', 1, 1), 1000000000)", "sinFunction over 1000086400 s at a 1 s step would make"),
    ("movingSum(timeFunction('x', 1), '40y')", "timeFunction over 1261526400 s at a 1 s step would make"),
    ("exponentialMovingAverage(randomWalk('x', 1), '30y')", "randomWalk over 946166400 s at a 1 s step would make"),
    ("holtWintersForecast(sinFunction('x', 1, 1), '5y')", "sinFunction over 157766400 s at a 1 s step would make"),
])
async def test_a_huge_window_is_refused_where_its_history_would_be_made(client, target, message):
    await _refused_small(client, target, "-1d", message)


async def test_timestack_copies_are_checked_before_any_is_fetched(client):
    resp, peak = await measured(client.get("/render", params={"target": "timeStack(servers.web01.cpu, '1d', 0, 100000)",
                                                              "from": "-1d"}))
    assert resp.status_code == 400
    assert "timeStack with 100000 shifts of 1 series would make 100000 series" in resp.text and SERIES in resp.text
    assert peak < SMALL


async def test_80000_targets_in_one_post_are_refused_before_any_is_evaluated(client):
    body = {"target": ["servers.web01.cpu"] * 80_000, "from": "-1d", "format": "json"}
    resp, peak = await measured(client.post("/render", data=body))
    assert resp.status_code == 400
    assert "the request has 80000 targets: the limit is 50000 expressions" in resp.text
    assert "(setting max_expressions_per_render)" in resp.text
    assert peak < SMALL


async def test_one_target_holding_too_many_expressions_is_refused_after_parsing(client):
    target = "sumSeries(" + ",".join(["servers.web01.cpu"] * 60_000) + ")"
    resp, peak = await measured(client.post("/render", data={"target": target, "from": "-1d"}))
    assert resp.status_code == 400, resp.text[:200]
    assert "the request's targets hold more than 50000 expressions (60001 up to target 1)" in resp.text
    assert "(setting max_expressions_per_render)" in resp.text
    assert peak < SMALL


@pytest.mark.parametrize("target, points", [
    ("summarize(servers.web01.cpu, '1h')", 43801),
    ("hitcount(servers.web01.cpu, '1d')", 1825),
    ("movingAverage(servers.web01.cpu, 1000000000)", 0),  # the store clamps the history to the retention
    ("timeStack(servers.web01.cpu, '1d', 0, 3)", 262800 + 262656 + 262512),  # the older copies end at the retention
    ("sinFunction('x', 1, 600)", 262800),
])
async def test_requests_within_the_budget_are_answered_as_before(client, target, points):
    resp = await client.get("/render", params={"target": target, "from": "-5y", "format": "json"})
    assert resp.status_code == 200, resp.text[:300]
    assert sum(len(s["datapoints"]) for s in resp.json()) == points


async def test_the_budget_is_shared_by_the_targets_of_a_render(tmp_path):
    c, store = await _client(tmp_path, Settings(max_points_per_render=10_000, max_series_per_render=7))
    async with c:
        ok = await c.get("/render", params={"target": ["servers.web01.cpu"] * 3, "from": "-1d"})  # 1440 points each
        assert ok.status_code == 200
        resp = await c.get("/render", params={"target": ["servers.web01.cpu"] * 7, "from": "-1d"})
        assert resp.status_code == 400
        assert "target 'servers.web01.cpu' reads 1440 points (10080 in this render): too many points" in resp.text
        resp = await c.get("/render", params={"target": ["servers.*.cpu"] * 3 + ["constantLine(1)", "constantLine(2)"],
                                              "from": "-1d"})
        assert resp.status_code == 400
        assert "constantLine makes 1 series (8 in this render): too many series" in resp.text
        # the series of every fetch add up
        resp = await c.get("/render", params={"target": ["servers.*.cpu"] * 4, "from": "-1d"})
        assert resp.status_code == 400 and "target 'servers.*.cpu' matches 2 series (8 in this render)" in resp.text
    await store.close()


async def test_no_limit_when_the_settings_are_0(tmp_path):
    c, store = await _client(tmp_path, Settings(max_points_per_render=0, max_series_per_render=0,
                                                max_expressions_per_render=0))
    async with c:
        resp = await c.get("/render", params={"target": ["servers.web01.cpu"] * 3 + ["sinFunction('x', 1, 10)"],
                                              "from": "-1d", "format": "json"})
        assert resp.status_code == 200 and len(resp.json()) == 4
    await store.close()
