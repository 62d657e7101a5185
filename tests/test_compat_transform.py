"""More Transform functions against the real graphite-web (tests/compat.py): add, exp,
sigmoid, logit, interpolate, integralByInterval, smartSummarize, timeSlice, timeStack and
the generators time()/sin(). The generators depend only on the range and `now` (both fixed
by the request), so they are compared value by value too.

Not compared: compressPeriodicGaps, which graphite-web 1.1.8 does not have (it came in
1.1.10); tests/test_functions_transform.py checks it against 1.1.10's behaviour."""
import httpx
import pytest

from tests.compat.harness import GRAPHITE_MARKS, NOW, RANGES, RANGE_IDS, _close, assert_same_render

pytestmark = GRAPHITE_MARKS

TARGETS = [
    "add(servers.web01.cpu.user, 10)",
    "add(servers.*.cpu.system, -1.5)",
    "add(servers.web01.sparse, 2.7)",
    "exp(servers.web01.cpu.user)",
    "exp(scale(servers.*.cpu.system, -0.1))",
    "sigmoid(offset(servers.web01.cpu.user, -10))",
    "sigmoid(scale(servers.web02.cpu.system, -0.2))",
    "logit(scale(servers.web01.cpu.user, 0.03))",
    "logit(scale(servers.web01.cpu.user, 0.05))",
    "logit(servers.web01.cpu.user)",
    "interpolate(servers.web01.cpu.user)",
    "interpolate(servers.*.cpu.system, 1)",
    "interpolate(servers.web01.sparse)",
    "interpolate(servers.web01.sparse, 10)",
    "interpolate(servers.web01.sparse, 36)",
    "integralByInterval(servers.web01.cpu.user, '10min')",
    "integralByInterval(servers.web01.sparse, '15min')",
    "integralByInterval(servers.*.requests.count, '1h')",
    "integralByInterval(servers.web02.cpu.system, '45s')",
    'smartSummarize(servers.web01.cpu.user, "5min", "sum")',
    'smartSummarize(servers.web02.cpu.system, "7min", "median")',
    'smartSummarize(servers.web01.cpu.user, "45s", "max")',
    'smartSummarize(servers.*.cpu.user, "1h", "avg", "hours")',
    'smartSummarize(servers.web01.requests.count, "15min", "last", "hours")',
    'smartSummarize(servers.web03.cpu.user, "10min", "min", "minutes")',
    'smartSummarize(servers.web01.cpu.user, "2min", "multiply")',
    'smartSummarize(servers.web01.cpu.user, "3min", "avg_zero")',
    'smartSummarize(servers.web01.cpu.system, "4min", "diff")',
    'smartSummarize(servers.web02.cpu.user, "5min", "stddev")',
    'smartSummarize(servers.web01.sparse, "10min", "count")',
    'smartSummarize(servers.web01.sparse, "10min", "range")',
    'smartSummarize(servers.web01.sparse, "20min", "avg_zero")',
    'smartSummarize(servers.web01.cpu.user, "5min", "total", true)',
    f"timeSlice(servers.web01.cpu.user, '{NOW - 3000}', '{NOW - 1200}')",
    f"timeSlice(servers.*.cpu.system, '{NOW - 4 * 3600 + 600}', '{NOW - 5000}')",
    f"timeSlice(servers.web01.sparse, '{NOW - 6000}', '{NOW - 2000}')",
    'timeStack(servers.web01.cpu.user, "10min", 0, 3)',
    'timeStack(servers.web0[12].cpu.system, "1h", 1, 3)',
    'timeStack(servers.web01.requests.count, "+5min", 0, 2)',
    "timeStack(servers.web01.cpu.user)",
    "sumSeries(timeStack(servers.web01.cpu.user, '20min', 0, 3))",
    "time('The.time.series')",
    "timeFunction('t', 30)",
    "time('tagged;dc=west', 7)",
    "sin('The.sin.series')",
    "sinFunction('s', 2, 10)",
    "sin('s', 3)",
]


@pytest.mark.parametrize("rng", RANGES, ids=RANGE_IDS)
@pytest.mark.parametrize("target", TARGETS)
def test_transform_more_matches_graphite_web(graphite_pair, target, rng):
    assert_same_render(graphite_pair, target, rng)


@pytest.mark.parametrize("rng", RANGES, ids=RANGE_IDS)
def test_time_slice_to_now_matches_graphite_web_values(graphite_pair, rng):
    """timeSlice's end defaults to 'now': graphite-web reads its wall clock there (not the
    request's `now`), tsstore the request's `now`, so the name and the timeSliceEnd tag
    differ; every range here ends before both, so timestamps and values must agree."""
    ref, ours = graphite_pair
    params = {"target": f"timeSlice(servers.web01.sparse, '{NOW - 6000}')", "format": "json", "now": str(NOW), **rng}
    theirs = httpx.get(ref.url + "/render", params=params, timeout=60).json()
    mine = httpx.get(ours + "/render", params=params, timeout=60).json()
    assert len(mine) == len(theirs) == 1
    assert mine[0]["target"] == f"timeSlice(servers.web01.sparse, {NOW - 6000}, {NOW})"
    assert [t for _, t in mine[0]["datapoints"]] == [t for _, t in theirs[0]["datapoints"]]
    assert all(_close(a, b) for (a, _), (b, _) in zip(mine[0]["datapoints"], theirs[0]["datapoints"]))
