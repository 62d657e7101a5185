"""Same answers as the real graphite-web for the Filter Series / Filter Data additions
(percentiles, filterSeries, mostDeviant, unique, useSeriesAbove), the Alias additions
(aliasQuery, legendValue), the Graph lines (areaBetween, threshold, verticalLine) and the
Special additions (cactiStyle, changed, cumulative, fallbackSeries, substr, xFilesFactor,
randomWalk).

Not compared here, on purpose (golden tests in tests/test_functions_filter_alias.py):
upper/lower (graphite-web 1.1 has no such functions), and inputs on which graphite-web
answers 500: removeBetweenPercentile or useSeriesAbove over series holding a null (hence the
keepLastValue() around the counters below), areaBetween of other than 2 series, a bad
legendValue/cactiStyle/aliasQuery argument, percentiles outside 0-100."""
from datetime import datetime, timezone

import pytest

from tests.compat.harness import GRAPHITE_MARKS, NOW, RANGES, RANGE_IDS, _ask, assert_same_render

pytestmark = GRAPHITE_MARKS

# keepLastValue() fills the counters' trailing null: graphite-web crashes on a null there
KLV_COUNTS = "keepLastValue(servers.*.requests.count)"
KLV_HOST = r"'keepLastValue\(servers\.(\w+)\.requests\.count\)'"

TARGETS = [
    # Filter Series
    "averageOutsidePercentile(servers.*.cpu.user, 30)",
    "averageOutsidePercentile(servers.*.cpu.*, 90)",
    "averageOutsidePercentile(servers.*.requests.count, 75.5)",
    "filterSeries(servers.*.cpu.user, 'max', '>', 30)",
    "filterSeries(servers.*.cpu.*, 'average', '<=', 20)",
    "filterSeries(servers.*.cpu.*, 'multiply', '!=', 20)",
    "filterSeries(servers.*.requests.count, 'last', '<', 1500)",
    "filterSeries(servers.*.cpu.system, 'count', '>=', 340)",
    "filterSeries(servers.web01.sparse, 'median', '=', 0)",
    "mostDeviant(servers.*.cpu.*, 3)",
    "mostDeviant(servers.*.requests.count, 2)",
    "mostDeviant(servers.*.cpu.user, -1)",
    f"removeBetweenPercentile({KLV_COUNTS}, 30)",
    f"removeBetweenPercentile({KLV_COUNTS}, 95)",
    f"removeBetweenPercentile({KLV_COUNTS}, 50)",
    "unique(servers.web01.cpu.*, servers.*.cpu.user)",
    "unique(mostDeviant(servers.*.cpu.*, 3), servers.*.cpu.system, servers.web01.cpu.system)",
    rf"useSeriesAbove({KLV_COUNTS}, 1700, {KLV_HOST}, 'servers.\1.cpu.user')",
    rf"useSeriesAbove({KLV_COUNTS}, 2200, {KLV_HOST}, 'scale(servers.\1.cpu.system,2)')",
    f"useSeriesAbove({KLV_COUNTS}, 1e9, 'count', 'nothing')",
    # Filter Data
    "removeAbovePercentile(servers.*.cpu.user, 90)",
    "removeAbovePercentile(servers.web01.sparse, 50)",
    "removeBelowPercentile(servers.web01.sparse, 25.5)",
    "removeBelowPercentile(servers.*.cpu.system, 50)",
    # Alias
    r"aliasQuery(servers.web0*.cpu.user, 'servers\.(\w+)\.cpu\.user', 'servers.\1.cpu.system', 'sys %d')",
    "aliasQuery(servers.*.cpu.user, 'user', 'system', 'sys %s')",
    "aliasQuery(servers.*.cpu.user, 'cpu.user', 'requests.count', '%.1f reqs')",
    "legendValue(servers.*.cpu.user, 'avg')",
    "legendValue(servers.*.cpu.user, 'avg', 'max', 'last', 'total')",
    "legendValue(servers.*.cpu.*, 'min', 'median', 'count', 'stddev', 'diff', 'range', 'multiply', 'avg_zero')",
    "legendValue(servers.*.requests.count, 'avg', 'total', 'si')",
    "legendValue(servers.*.requests.count, 'nosuch', 'max', 'binary')",
    "legendValue(servers.*.requests.count, 'multiply', 'sum')",
    "legendValue(servers.web01.sparse, 'current', 'rangeOf')",
    # Graph
    "areaBetween(servers.web01.cpu.*)",
    "areaBetween(group(servers.web01.cpu.user, servers.db01.cpu.system))",
    "threshold(42)",
    "threshold(42.5, 'limit')",
    "threshold(-3, 'low', 'red')",
    # Special
    "cactiStyle(servers.*.cpu.user)",
    "cactiStyle(servers.*.requests.count, 'si')",
    "cactiStyle(servers.*.requests.count, 'binary', 'B')",
    "cactiStyle(servers.*.cpu.*, None, 'pct')",
    "cactiStyle(group(servers.web01.sparse, servers.db01.cpu.user))",
    "changed(servers.web01.sparse)",
    "changed(servers.*.cpu.user)",
    "changed(servers.*.requests.count)",
    "cumulative(servers.web01.cpu.user)",
    "cumulative(servers.*.requests.count)",
    "fallbackSeries(servers.nosuch.*, servers.web01.cpu.user)",
    "fallbackSeries(servers.web02.cpu.user, constantLine(1))",
    "substr(servers.web01.cpu.user, 1)",
    "substr(scale(servers.web01.cpu.user,2), 1, 3)",
    "substr(servers.*.cpu.user, -2)",
    "substr(servers.web01.cpu.user, 1, -1)",
    "xFilesFactor(servers.web01.cpu.user, 0.5)",
    "servers.*.cpu.system|xFilesFactor(0.25)",  # a float: given an integer, setXFilesFactor tags "0" where graphite-web tags "0.0"
]


@pytest.mark.parametrize("rng", RANGES, ids=RANGE_IDS)
@pytest.mark.parametrize("target", TARGETS)
def test_filter_alias_special_matches_graphite_web(graphite_pair, target, rng):
    assert_same_render(graphite_pair, target, rng)


def _range_start(rng) -> int:
    return NOW + int(rng["from"][:-1]) * 3600 if rng["from"].startswith("-") else int(rng["from"])


@pytest.mark.parametrize("rng", RANGES, ids=RANGE_IDS)
def test_vertical_line_matches_graphite_web(graphite_pair, rng):
    """verticalLine's time must fall inside the range, so each range gets its own: an
    absolute HH:MM_YYYYMMDD (graphite-web reads a relative one against the real clock, not
    against `now`) and an epoch string."""
    at = _range_start(rng) + 1195  # 20 minutes in, minus the absolute range's 5 s offset
    at -= at % 60
    hhmm = datetime.fromtimestamp(at, timezone.utc).strftime("%H:%M_%Y%m%d")
    for target in (f"verticalLine('{hhmm}')", f"verticalLine('{hhmm}', 'deploy')",
                   f"verticalLine('{at + 7}', 'release', 'blue')", f"alias(verticalLine('{hhmm}'), 'x')"):
        assert_same_render(graphite_pair, target, rng)


@pytest.mark.parametrize("rng", RANGES, ids=RANGE_IDS)
@pytest.mark.parametrize("target", ["randomWalk('walk.a')", "randomWalkFunction('walk;dc=a', 300)", "randomWalk('w', 7)"])
def test_random_walk_shape_matches_graphite_web(graphite_pair, target, rng):
    """randomWalk's values are random, so only what is not is compared: names, tags,
    timestamps, and the walk starting at 0 with steps of less than 0.5."""
    ref, ours = graphite_pair
    params = {"target": target, "format": "json", "now": str(NOW), **rng}
    (ref_status, ref_body), (our_status, our_body) = _ask(ref.url, params), _ask(ours, params)
    assert ref_status == our_status == 200
    assert [(s["target"], s["tags"]) for s in our_body] == [(s["target"], s["tags"]) for s in ref_body]
    for mine, theirs in zip(our_body, ref_body):
        assert [t for _, t in mine["datapoints"]] == [t for _, t in theirs["datapoints"]]
        values = [v for v, _ in mine["datapoints"]]
        assert values[0] == 0 and all(abs(b - a) <= 0.5 for a, b in zip(values, values[1:]))
