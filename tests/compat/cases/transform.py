"""Graphite's "Transform" group, the generators time()/sin() included: they depend only on the
range and `now` (both fixed by the request), so they are compared value by value too.

Not compared: compressPeriodicGaps, which graphite-web 1.1.8 does not have (it came in 1.1.10);
tests/functions/test_transform.py checks it against 1.1.10's behaviour. Nor two deliberate
differences (COMPATIBILITY.md; golden tests in the same file): timeShift(..., alignDst=true) by
keyword (HTTP 500 in graphite-web) and a series list given by keyword, e.g.
transformNull(x, referenceSeries=y) (always empty in graphite-web)."""

from tests.compat.cases import Case
from tests.compat.harness import NOW

CASES = [
    "scale(servers.web01.cpu.user, 2.5)",
    "offset(servers.web01.cpu.user, -3)",
    "absolute(offset(servers.web01.cpu.user, -10))",
    "derivative(servers.web01.cpu.user)",
    "nonNegativeDerivative(servers.*.requests.count)",
    "perSecond(servers.web02.requests.count)",
    "integral(servers.web01.sparse)",
    "keepLastValue(servers.web01.sparse)",
    "keepLastValue(servers.web01.sparse, 2)",
    "transformNull(servers.web01.sparse, -1)",
    "scaleToSeconds(servers.web01.requests.count, 60)",
    'summarize(servers.web01.cpu.user, "5min", "sum")',
    'summarize(servers.web01.cpu.user, "15min", "max")',
    'summarize(servers.web01.requests.count, "1h", "last", true)',
    "invert(servers.web01.cpu.user)",
    "squareRoot(servers.web01.cpu.user)",
    "log(servers.web01.cpu.user)",
    "log(servers.web01.cpu.user, 2)",
    "pow(servers.web01.cpu.user, 2)",
    "isNonNull(servers.web01.sparse)",
    "offsetToZero(servers.web01.cpu.user)",
    "round(scale(servers.web01.cpu.user, 0.37), 1)",
    "round(servers.web01.cpu.user)",
    "delay(servers.web01.cpu.user, 3)",
    "delay(servers.web01.cpu.user, -2)",
    "minMax(servers.web01.cpu.user)",
    "hitcount(servers.web01.requests.count, '5min')",
    "hitcount(servers.web01.cpu.user, '1h', true)",
    "timeShift(servers.web01.cpu.user, '1h')",
    "timeShift(servers.web01.cpu.user, '-30min', false)",
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
    "time('The.time.series')",
    "time('tagged;dc=west', 7)",
    "timeFunction('t', 30)",
    "sin('The.sin.series')",
    "sin('s', 3)",
    "sinFunction('s', 2, 10)",
    # transformNull with a reference: named ...,referenceSeries) and tagged referenceSeries=1
    "transformNull(servers.web01.sparse, 0, servers.web02.cpu.user)",
    "transformNull(servers.web01.sparse, -1.5, servers.web0*.cpu.user)",
    "transformNull(servers.*.cpu.user, 1, servers.web01.sparse)",
    "transformNull(servers.web01.sparse)",
    "transformNull(servers.web01.sparse, default=2)",
    "transformNull(servers.web01.sparse, 2, servers.nothing.*)",
    "transformNull(summarize(servers.web01.sparse, '1min', 'max'), 0, servers.web01.cpu.user)",
    "transformNull(servers.web01.sparse, 3, summarize(servers.web01.cpu.user, '1min', 'avg'))",
    "sumSeries(transformNull(servers.web0*.cpu.user, 0, servers.web01.sparse))",
    # timeShift's keywords by graphite-web's Python names; alignDst positionally (the
    # reference runs in UTC: no DST, no change)
    "timeShift(servers.web01.cpu.user, '1h', true, true)",
    "timeShift(servers.web01.cpu.user, '1h', alignDST=true)",
    "timeShift(servers.web0*.cpu.user, '-1h', resetEnd=false)",
    # keywords named as /functions names them
    "log(servers.web01.cpu.user, base=2)",
    "pow(servers.web01.cpu.user, factor=2)",
    Case(f"timeSlice(servers.web01.sparse, '{NOW - 6000}')", compare="values",
         note="the end defaults to 'now': graphite-web reads its wall clock there, tsstore the "
              "request's `now`, so the name and the timeSliceEnd tag differ; every range ends before both"),
]

# timeShift over a range whose shifted `from` is older than the finest retention (6h): the
# shifted series is read at 1 min, and graphite-web gives it the unshifted first series'
# start (and end) with the 1 min step; and the other way round (+2h from a 1 min range).
COARSE = {"from": str(NOW - 5 * 3600), "until": str(NOW)}
CASES += [Case(target, ranges=("last-hour",), params=params) for target, params in [
    ("timeShift(servers.web01.cpu.user, '2h')", COARSE),
    ("timeShift(servers.web0*.cpu.user, '3h', false)", {"from": str(NOW - 5 * 3600 + 5), "until": str(NOW - 3600)}),
    ("timeShift(servers.web01.requests.count, '5430s')", COARSE),
    ("timeShift(servers.web01.cpu.user, '+2h')", {"from": str(NOW - 7 * 3600), "until": str(NOW - 2 * 3600)}),
    ("timeShift(servers.web01.cpu.user, '+30min', false)", {"from": str(NOW - 7 * 3600 + 25), "until": str(NOW - 3 * 3600)}),
    ("sumSeries(timeShift(servers.web01.cpu.user, '2h'), servers.web01.cpu.user)", COARSE),
    ("averageSeries(timeShift(servers.*.cpu.system, '150min'))", COARSE),
    ("timeShift(servers.web01.cpu.user, '1h')", {"from": str(NOW - 3600), "until": str(NOW + 1800)}),
    ("timeShift(servers.web01.cpu.user, '1h', false)", {"from": str(NOW - 3600), "until": str(NOW + 1800)}),
    ("timeShift(servers.web01.cpu.user, '2h', false)", {"from": str(NOW - 5 * 3600), "until": str(NOW + 1800)}),
]]
