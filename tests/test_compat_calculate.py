"""Calculate functions against the real graphite-web: moving windows (with the window
fetched before `from`), exponential moving average, Holt-Winters (bootstrapped on data
before `from`), linear regression, percentiles, stdev, aggregate lines and identity.

Holt-Winters targets use a short bootstrapInterval: the default 7d reaches past the
finest retention of the test data (10s:6h), and the results would then depend on the
time of day the tests run at."""
import pytest

from tests.compat.harness import GRAPHITE_MARKS, NOW, RANGES, RANGE_IDS, assert_same_render

pytestmark = GRAPHITE_MARKS

TARGETS = [
    # movingWindow, every aggregation function
    "movingWindow(servers.web01.cpu.user, 5)",
    "movingWindow(servers.web02.cpu.user, '2min', 'median')",
    "movingWindow(servers.web01.cpu.user, 6, 'median')",
    "movingWindow(servers.*.requests.count, 6, 'max')",
    "movingWindow(servers.web03.cpu.system, 4, 'min')",
    "movingWindow(servers.web01.cpu.user, 4, 'average', 1)",
    "movingWindow(servers.web01.cpu.user, 8, 'avg', 0.9)",
    "movingWindow(servers.web01.sparse, '10min', 'count')",
    "movingWindow(servers.web01.sparse, 10, 'sum', 0.05)",
    "movingWindow(servers.web02.requests.count, 5, 'diff')",
    "movingWindow(servers.db01.cpu.user, 7, 'stddev')",
    "movingWindow(servers.web01.cpu.system, 5, 'range')",
    "movingWindow(servers.web01.cpu.system, '30s', 'rangeOf')",
    "movingWindow(servers.web01.cpu.user, 3, 'multiply')",
    "movingWindow(servers.web01.sparse, 50, 'last')",
    "movingWindow(servers.web02.cpu.user, 5, 'current')",
    "movingWindow(servers.web02.cpu.user, 5, 'avg_zero')",
    "movingWindow(servers.web02.requests.count, 3, 'total')",
    "movingWindow(servers.web01.cpu.user, '45s')",
    "movingWindow(servers.web01.cpu.user, '5s')",
    "movingWindow(servers.web01.cpu.user, 2.5)",
    "movingWindow(servers.web02.cpu.user, windowSize=5, func='max', xFilesFactor=0.5)",
    "servers.web01.cpu.user | movingWindow(5, 'max')",
    "movingAverage(servers.web01.cpu.user, '-1min')",
    "movingAverage(movingAverage(servers.web01.cpu.user, 3), '1min')",
    # the named forms, now sharing movingWindow's code
    "movingSum(servers.web01.requests.count, 5)",
    "movingMin(servers.web02.cpu.user, '1min')",
    "movingMax(servers.*.cpu.system, 3)",
    "movingMedian(servers.web01.cpu.user, 7, 0.5)",
    "movingAverage(servers.web01.sparse, '5min')",
    "movingAverage(scale(servers.web01.cpu.user, 2), 4)",
    # exponentialMovingAverage
    "exponentialMovingAverage(servers.web01.cpu.user, 10)",
    "exponentialMovingAverage(servers.web02.cpu.system, '1min')",
    "exponentialMovingAverage(servers.web01.sparse, 5)",
    "exponentialMovingAverage(servers.*.requests.count, 3)",
    "exponentialMovingAverage(servers.web01.cpu.user, '-1min')",
    # Holt-Winters
    "holtWintersForecast(servers.web01.cpu.user, '30min', '10min')",
    "holtWintersForecast(servers.web0*.cpu.system, '1h', '5min')",
    "holtWintersForecast(servers.web01.sparse, '30min')",
    "holtWintersConfidenceBands(servers.web01.cpu.user, 3, '30min', '10min')",
    "holtWintersConfidenceBands(servers.web02.requests.count, 2, '1h', '15min')",
    "sumSeries(holtWintersConfidenceBands(servers.web01.cpu.user, 3, '30min'))",
    "holtWintersConfidenceArea(servers.web01.cpu.user, 3, '30min', '10min')",
    "holtWintersConfidenceArea(servers.web03.requests.count, 1, '20min', '5min')",
    "holtWintersAberration(servers.web01.cpu.user, 1, '30min', '10min')",
    "holtWintersAberration(servers.*.cpu.system, 2, '30min', '5min')",
    # linearRegression
    "linearRegression(servers.web01.cpu.user)",
    "linearRegression(servers.*.requests.count)",
    f"linearRegression(servers.web01.cpu.user, '{NOW - 2 * 3600}', '{NOW - 3600}')",
    f"linearRegression(servers.web0*.cpu.system, '{NOW - 3 * 3600}')",
    "linearRegression(servers.web01.sparse)",
    # nPercentile
    "nPercentile(servers.web01.cpu.user, 95)",
    "nPercentile(servers.*.requests.count, 50)",
    "nPercentile(servers.web01.sparse, 12.5)",
    "nPercentile(servers.web02.cpu.system, 100)",
    # stdev
    "stdev(servers.web01.cpu.user, 5)",
    "stdev(servers.web01.sparse, 10, 0.05)",
    "stdev(servers.*.requests.count, 30, 0.5)",
    "stdev(servers.web02.cpu.system, 3, 0)",
    # aggregateLine
    "aggregateLine(servers.web01.cpu.user)",
    "aggregateLine(servers.*.cpu.system, 'max')",
    "aggregateLine(servers.web01.sparse, 'count', true)",
    "aggregateLine(servers.web01.cpu.user, 'median', true)",
    "aggregateLine(servers.web01.requests.count, 'stddev')",
    "aggregateLine(servers.web02.cpu.user, 'avg_zero')",
    "aggregateLine(servers.web02.cpu.user, 'multiply')",
    "aggregateLine(servers.web01.sparse, 'last')",
    # identity
    "identity('The.time.series')",
    "identity('a.b;dc=x')",
]


@pytest.mark.parametrize("rng", RANGES, ids=RANGE_IDS)
@pytest.mark.parametrize("target", TARGETS)
def test_calculate_matches_graphite_web(graphite_pair, target, rng):
    assert_same_render(graphite_pair, target, rng)
