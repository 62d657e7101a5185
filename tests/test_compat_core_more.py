"""More of the functions that existed before the group files, against the real graphite-web:
the wildcard aggregations, the remaining series filters and sorts, hitcount and timeShift."""
import pytest

from tests.compat.harness import GRAPHITE_MARKS, RANGE_IDS, RANGES, assert_same_render

pytestmark = GRAPHITE_MARKS

TARGETS = [
    "aggregateWithWildcards(servers.*.cpu.*, 'sum', 1)",
    "aggregateWithWildcards(servers.*.cpu.*, 'max', 3)",
    "averageSeriesWithWildcards(servers.*.cpu.user, 1)",
    "avg(servers.web*.cpu.user)",
    "rangeOfSeries(servers.*.cpu.user)",
    "stddevSeries(servers.*.cpu.system)",
    "hitcount(servers.web01.requests.count, '5min')",
    "hitcount(servers.web01.cpu.user, '1h', true)",
    "timeShift(servers.web01.cpu.user, '1h')",
    "timeShift(servers.web01.cpu.user, '-30min', false)",
    "averageAbove(servers.*.cpu.user, 20)",
    "averageBelow(servers.*.cpu.user, 20)",
    "currentBelow(servers.*.cpu.user, 30)",
    "highest(servers.*.cpu.user, 2, 'max')",
    "highest(servers.*.cpu.user)",
    "highestCurrent(servers.*.cpu.system, 2)",
    "lowest(servers.*.cpu.user, 2, 'average')",
    "lowestAverage(servers.*.cpu.user, 2)",
    "maximumBelow(servers.*.cpu.user, 40)",
    "minimumAbove(servers.*.cpu.user, 5)",
    "minimumBelow(servers.*.cpu.user, 5)",
    "sortBy(servers.*.cpu.user, 'max')",
    "sortBy(servers.*.cpu.user, 'average', true)",
]


@pytest.mark.parametrize("rng", RANGES, ids=RANGE_IDS)
@pytest.mark.parametrize("target", TARGETS)
def test_more_core_functions_match_graphite_web(graphite_pair, target, rng):
    assert_same_render(graphite_pair, target, rng)
