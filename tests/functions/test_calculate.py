"""Golden tests of the Calculate render functions: hand-worked expectations from
graphite-web's documented behaviour (names, tags, nulls, steps), inputs built here, no storage."""

import math

import pytest

from tests.functions.helpers import N, run, series, values
from tsstore.query.errors import QueryError

X = series("x", [1, 2, 3, 4, 5, 6], start=0, step=10)
G = series("g", [1, N, 3, 4, N, N, 7, 8], start=0, step=10)


def approx(vals):
    return [None if v is None else pytest.approx(v) for v in vals]


SEASONAL = series("web.load", [10 + (i % 6) * 2 + (5 if i == 20 else 0) for i in range(30)], start=0, step=10,
                  tags={"name": "web.load"})


def test_moving_average_uses_the_points_before_each_point():
    x = series("x", [1, 2, 3, 4, 5, 6], start=0, step=10)
    (s,) = run("movingAverage(x, 2)", [x], start=20, end=60)
    assert s.name == "movingAverage(x,2)"
    # points at 20, 30, 40, 50: averages of the two points before each
    assert values(s)[-4:] == [1.5, 2.5, 3.5, 4.5]
    (t,) = run('movingAverage(x, "20s")', [x], start=20, end=60)
    assert t.name == 'movingAverage(x,"20s")' and values(t)[-4:] == [1.5, 2.5, 3.5, 4.5]


def test_moving_window_averages_the_points_before_each_point():
    (s,) = run("movingWindow(x, 2)", [X], start=20, end=60)
    assert s.name == "movingAverage(x,2)"
    assert s.tags == {"name": "x", "movingAverage": "2"}
    assert s.start == 20 and s.step == 10
    assert values(s) == [1.5, 2.5, 3.5, 4.5]
    assert list(s.timestamps) == [20, 30, 40, 50]


@pytest.mark.parametrize("func, tag, expected", [
    ("sum", "movingSum", [1, 3, 7, 4, N, 7]),
    ("total", "movingTotal", [1, 3, 7, 4, N, 7]),
    ("average", "movingAverage", [1, 3, 3.5, 4, N, 7]),
    ("avg", "movingAvg", [1, 3, 3.5, 4, N, 7]),
    ("avg_zero", "movingAvg_zero", [1, 3, 3.5, 4, N, 7]),  # of the non-null values, as graphite-web
    ("min", "movingMin", [1, 3, 3, 4, N, 7]),
    ("max", "movingMax", [1, 3, 4, 4, N, 7]),
    ("median", "movingMedian", [1, 3, 3.5, 4, N, 7]),
    ("count", "movingCount", [1, 1, 2, 1, N, 1]),
    ("diff", "movingDiff", [1, 3, -1, 4, N, 7]),
    ("range", "movingRange", [0, 0, 1, 0, N, 0]),
    ("rangeOf", "movingRangeof", [0, 0, 1, 0, N, 0]),
    ("multiply", "movingMultiply", [1, 3, 12, 4, N, 7]),
    ("last", "movingLast", [1, 3, 4, 4, N, 7]),
    ("current", "movingCurrent", [1, 3, 4, 4, N, 7]),
    ("stddev", "movingStddev", [0, 0, 0.5, 0, N, 0]),
])
def test_moving_window_functions_skip_nulls(func, tag, expected):
    # g = [1, N, 3, 4, N, N, 7, 8]: the windows of 2 before points 2..7 are
    # [1, N], [N, 3], [3, 4], [4, N], [N, N], [N, 7]
    (s,) = run(f"movingWindow(g, 2, '{func}')", [G], start=20, end=80)
    assert s.name == f"{tag}(g,2)"
    assert s.tags[tag] == "2"
    assert values(s) == approx(expected)


def test_moving_window_of_only_nulls_is_null():
    (s,) = run("movingWindow(g, 2, 'count')", [series("g", [N, N, N, 5])], start=20, end=40)
    assert values(s) == [N, N]  # windows [N, N]: null, the count of nothing included


def test_moving_window_xfiles_factor():
    # windows of 4 before points 4..7 of g hold 3, 2, 2, 2 non-null values
    (s,) = run("movingWindow(g, 4, 'sum', 0.5)", [G], start=40, end=80)
    assert values(s) == [8, 7, 7, 11]
    (t,) = run("movingWindow(g, 4, 'sum', xFilesFactor=0.75)", [G], start=40, end=80)
    assert values(t) == [8, N, N, N]


def test_moving_window_interval():
    (s,) = run("movingWindow(x, '30s', 'max')", [X], start=30, end=60)
    assert s.name == 'movingMax(x,"30s")' and s.tags["movingMax"] == "30s"
    assert s.start == 30 and values(s) == [3, 4, 5]
    # an interval's sign is ignored, as graphite-web does
    (t,) = run("movingWindow(x, '-30s', 'max')", [X], start=30, end=60)
    assert t.name == 'movingMax(x,"-30s")' and values(t) == [3, 4, 5]


def test_moving_window_shorter_than_a_step_is_null():
    # '5s' on a 10 s series: no point fits, so every value is null; the start moves by 5 s
    (s,) = run("movingWindow(x, '5s')", [X], start=5, end=60)
    assert s.start == 5 and values(s) == [N] * 6


def test_moving_window_with_a_fractional_point_count():
    (s,) = run("movingWindow(x, 2.5)", [X], start=20, end=60)
    assert s.name == "movingAverage(x,2.5)" and values(s) == [1.5, 2.5, 3.5, 4.5]


def test_moving_window_several_series_and_pipe():
    y = series("y", [10, 20, 30, 40])
    result = run("movingWindow({x,y}, 1, 'sum')", [X, y], start=10, end=40)
    assert [r.name for r in result] == ["movingSum(x,1)", "movingSum(y,1)"]
    assert values(result[0]) == [1, 2, 3, 4, 5] and values(result[1]) == [10, 20, 30]
    (p,) = run("x | movingWindow(3, 'min')", [X], start=30, end=60)
    assert p.name == "movingMin(x,3)" and values(p) == [1, 2, 3]


def test_named_moving_functions_share_moving_window():
    assert values(run("movingSum(x, 3)", [X], start=30, end=60)[0]) == [6, 9, 12]
    assert values(run("movingMin(x, 3)", [X], start=30, end=60)[0]) == [1, 2, 3]
    assert values(run("movingMax(x, 3)", [X], start=30, end=60)[0]) == [3, 4, 5]
    (m,) = run("movingMedian(g, 3)", [G], start=30, end=80)
    assert m.name == "movingMedian(g,3)" and m.tags["movingMedian"] == "3"
    assert values(m) == [2, 3.5, 3.5, 4, 7]
    (a,) = run("movingAverage(g, 3, 1)", [G], start=30, end=80)
    assert values(a) == [N, N, N, N, N]  # xFilesFactor 1: every point of the window must be there


def test_moving_window_long_window_matches_a_plain_loop():
    import random

    rnd = random.Random(7)
    raw = [None if rnd.random() < 0.2 else rnd.uniform(-50, 50) for _ in range(400)]
    s = series("r", raw, step=1)
    for func in ("average", "median", "stddev", "diff", "sum"):
        (out,) = run(f"movingWindow(r, 37, '{func}')", [s], start=37, end=400)
        for i, got in enumerate(values(out)):
            window = [v for v in raw[i:i + 37] if v is not None]
            if func == "average":
                want = sum(window) / len(window)
            elif func == "sum":
                want = sum(window)
            elif func == "diff":
                want = window[0] - sum(window[1:])
            elif func == "median":
                srt = sorted(window)
                want = srt[len(srt) // 2] if len(srt) % 2 else (srt[len(srt) // 2 - 1] + srt[len(srt) // 2]) / 2
            else:
                mean = sum(window) / len(window)
                want = math.sqrt(sum((v - mean) ** 2 for v in window) / len(window))
            assert got == pytest.approx(want, abs=1e-9), (func, i)


@pytest.mark.parametrize("target, message", [
    ("movingWindow(x, 3, 'first')", "func must be one of"),
    ("movingWindow(x, 0)", "windowSize must be a positive"),
    ("movingWindow(x, -2)", "windowSize must be a positive"),
    ("movingWindow(x, true)", "windowSize must be a positive"),
    ("movingWindow(x, '0s')", "windowSize must be a positive interval"),
    ("movingWindow(x, 'abc')", "windowSize"),
    ("movingWindow(x, 3, 'sum', 'half')", "xFilesFactor must be a number"),
    ("movingAverage(x, 0)", "movingAverage: windowSize must be a positive"),
])
def test_moving_window_bad_arguments(target, message):
    with pytest.raises(QueryError, match=message):
        run(target, [X])


def test_moving_window_of_nothing_is_nothing():
    assert run("movingWindow(nothing, 3)", [X]) == []
    assert run("movingAverage(nothing, '1min')", [X]) == []


def test_exponential_moving_average():
    (s,) = run("exponentialMovingAverage(x, 3)", [X], start=30, end=60)
    assert s.name == "exponentialMovingAverage(x,3)"
    assert s.tags == {"name": "x", "exponentialMovingAverage": "3"}
    # seeded with the average of the first window (2), then ema = 0.5 * v + 0.5 * ema;
    # one value more than the points after the window: graphite-web draws the last at `until`
    assert s.start == 30 and values(s) == [2, 3, 4, 5]
    assert list(s.timestamps) == [30, 40, 50, 60]


def test_exponential_moving_average_nulls_and_rounding():
    s = series("s", [3, N, 4, N, 1])
    (e,) = run("exponentialMovingAverage(s, 2)", [s], start=20, end=50)
    # c = 2/3, seed = 3: v=4 -> 11/3 rounded to 6 decimals; null stays null, ema kept
    assert values(e) == [3, 3.666667, N, 1.888889]


def test_exponential_moving_average_interval_uses_seconds_for_the_constant():
    # '20s': window of 2 points but c = 2 / (20 + 1), as graphite-web computes it
    (e,) = run("exponentialMovingAverage(x, '20s')", [X], start=20, end=60)
    c = 2 / 21
    ema, want = 1.5, [1.5]
    for v in (3, 4, 5, 6):
        ema = c * v + (1 - c) * ema
        want.append(round(ema, 6))
    assert e.name == 'exponentialMovingAverage(x,"20s")' and values(e) == want


def test_exponential_moving_average_seed_without_values_is_zero():
    s = series("s", [N, N, 2, 4])
    (e,) = run("exponentialMovingAverage(s, 2)", [s], start=20, end=40)
    # seed 0 (no value in the first window), then 2/3 * 2 = 4/3, then 2/3 * 4 + 1/3 * 4/3 = 28/9
    assert values(e) == [0, 1.333333, 3.111111]


def test_exponential_moving_average_bad_window():
    with pytest.raises(QueryError, match="exponentialMovingAverage: windowSize"):
        run("exponentialMovingAverage(x, 0)", [X])


def test_holt_winters_forecast_without_bootstrap_starts_with_the_first_value():
    (f,) = run("holtWintersForecast(x, '0s', '30s')", [X])
    assert f.name == "holtWintersForecast(x)"
    assert f.tags == {"name": "x", "holtWintersForecast": "1", "holtWintersDeviation": "1"}
    assert f.start == 0 and len(values(f)) == 6
    assert values(f)[0] == 1  # the first prediction is the first value
    # second: intercept 1 + slope 0 + no season yet
    assert values(f)[1] == pytest.approx(0.1 * 1 + 0.9 * 1 + 0.0035 * 0)


def test_holt_winters_forecast_drops_the_bootstrap():
    (full,) = run("holtWintersForecast(web.load, '0s', '1min')", [SEASONAL])
    (boot,) = run("holtWintersForecast(web.load, '100s', '1min')", [SEASONAL], start=100, end=300)
    assert boot.start == 100 and values(boot) == values(full)[10:]


def test_holt_winters_nulls_reset_the_prediction():
    s = series("s", [1, 2, N, 4, 5])
    (f,) = run("holtWintersForecast(s, '0s', '20s')", [s])
    v = values(f)
    assert v[2] is not None  # a null point gets the prediction made before it
    assert v[3] is None  # and the next point has none


def test_holt_winters_confidence_bands():
    lower, upper = run("holtWintersConfidenceBands(web.load, 2, '100s', '1min')", [SEASONAL], start=100, end=300)
    (f,) = run("holtWintersForecast(web.load, '100s', '1min')", [SEASONAL], start=100, end=300)
    assert lower.name == "holtWintersConfidenceLower(web.load)"
    assert upper.name == "holtWintersConfidenceUpper(web.load)"
    both = {"name": "web.load", "holtWintersForecast": "1", "holtWintersDeviation": "1",
            "holtWintersConfidenceUpper": "1", "holtWintersConfidenceLower": "1"}
    assert lower.tags == upper.tags == both
    assert lower.path_expression == upper.path_expression == "web.load"  # an outer sumSeries names it so
    assert lower.start == upper.start == 100
    for lo, hi, mid in zip(values(lower), values(upper), values(f)):
        assert (lo + hi) / 2 == pytest.approx(mid) and hi >= lo


def test_holt_winters_confidence_area_is_both_bands_under_one_name():
    lower, upper = run("holtWintersConfidenceArea(web.load, 2, '100s', '1min')", [SEASONAL], start=100, end=300)
    bands = run("holtWintersConfidenceBands(web.load, 2, '100s', '1min')", [SEASONAL], start=100, end=300)
    assert lower.name == upper.name == "holtWintersConfidenceArea(web.load)"
    assert lower.tags["holtWintersConfidenceArea"] == "1" and "areaBetween" not in lower.tags
    assert values(lower) == values(bands[0]) and values(upper) == values(bands[1])
    assert lower.options == {"stacked": True, "invisible": True} and upper.options == {"stacked": True}


def test_holt_winters_confidence_area_needs_exactly_one_series():
    two = [SEASONAL, series("web.other", [1] * 30)]
    with pytest.raises(QueryError, match="exactly one series"):
        run("holtWintersConfidenceArea(web.*, 2, '100s', '1min')", two)


def test_holt_winters_aberration_is_the_distance_outside_the_bands():
    (a,) = run("holtWintersAberration(web.load, 1, '0s', '1min')", [SEASONAL])
    lower, upper = run("holtWintersConfidenceBands(web.load, 1, '0s', '1min')", [SEASONAL])
    assert a.name == "holtWintersAberration(web.load)"
    assert a.tags == {"name": "web.load", "holtWintersAberration": "1"}
    for v, lo, hi, got in zip(values(SEASONAL), values(lower), values(upper), values(a)):
        want = v - hi if hi is not None and v > hi else v - lo if lo is not None and v < lo else 0
        assert got == pytest.approx(want)
    assert values(a)[20] > 0  # the spike lies above the upper band


def test_holt_winters_aberration_null_is_zero_and_missing_bands_count_as_none():
    s = series("s", [1, N, 3, 50, 2, 2])
    (a,) = run("holtWintersAberration(s, 1, '0s', '20s')", [s])
    assert values(a)[1] == 0 and values(a)[3] > 0
    # graphite-web fails (IndexError) when the bands are shorter than the series (another
    # step after the bootstrap fetch); tsstore counts the missing band points as no band
    short = series("t", [1, 2, 3, 4])
    (b,) = run("holtWintersAberration(t, 1, '40s', '20s')", [short], start=0, end=40)
    assert values(b) == [0, 0, 0, 0]


@pytest.mark.parametrize("target, message", [
    ("holtWintersForecast(x, '0s', '10s')", "seasonality must be at least two steps"),
    ("holtWintersForecast(x, '-1h')", "bootstrapInterval must not be negative"),
    ("holtWintersForecast(x, 'soon')", "bootstrapInterval"),
    ("holtWintersConfidenceBands(x, 'wide', '0s', '1min')", "delta must be a number"),
])
def test_holt_winters_bad_arguments(target, message):
    with pytest.raises(QueryError, match=message):
        run(target, [X])


def test_linear_regression_of_a_line_is_the_line():
    line = series("line", [5 + 0.5 * t for t in range(100, 200, 10)], start=100, step=10)
    (r,) = run("linearRegression(line)", [line], start=100, end=200)
    assert r.name == "linearRegression(line, 100, 200)"
    assert r.tags == {"name": "line", "linearRegressions": "100, 200"}
    assert values(r) == approx([5 + 0.5 * t for t in range(100, 200, 10)])


def test_linear_regression_skips_nulls_and_fills_every_point():
    s = series("s", [1, N, 3, N, 5, N], start=0, step=10)  # value = t / 10 + 1
    (r,) = run("linearRegression(s)", [s], start=0, end=60)
    assert values(r) == approx([1, 2, 3, 4, 5, 6])


def test_linear_regression_source_range():
    s = series("s", [1, 2, 3, 4, 5, 6])
    (r,) = run("linearRegression(s, '10', '50')", [s], start=0, end=60)
    assert r.name == "linearRegression(s, 10, 50)" and r.tags["linearRegressions"] == "10, 50"
    assert values(r) == approx([1, 2, 3, 4, 5, 6])


def test_linear_regression_needs_two_values():
    assert run("linearRegression(s)", [series("s", [N, 4, N])]) == []
    assert run("linearRegression(s, '30', '30')", [series("s", [1, 2, 3, 4])]) == []
    with pytest.raises(QueryError, match="startSourceAt"):
        run("linearRegression(s, '50', '10')", [series("s", [1, 2, 3, 4, 5, 6])])
    with pytest.raises(QueryError, match="is not a time"):
        run("linearRegression(s, 'yesterdayish')", [series("s", [1, 2])])


def test_n_percentile_nearest_rank():
    s = series("s", [7, 1, N, 3, 10, 2, 9, 4, 8, 6, 5])  # 1..10 and a null
    (p,) = run("nPercentile(s, 50)", [s])
    assert p.name == "nPercentile(s, 50)"
    assert p.tags == {"name": "s", "nPercentile": "50.0"}
    # rank = 0.5 * 11 = 5.5, rounded up: the 6th smallest
    assert values(p) == [6] * 11
    assert values(run("nPercentile(s, 95)", [s])[0])[0] == 10
    assert values(run("nPercentile(s, 100)", [s])[0])[0] == 10
    assert values(run("nPercentile(s, 5)", [s])[0])[0] == 1
    (q,) = run("nPercentile(s, 12.5)", [s])
    assert q.name == "nPercentile(s, 12.5)" and values(q)[0] == 2


def test_n_percentile_leaves_out_empty_series():
    assert [p.name for p in run("nPercentile(*, 50)", [X, series("e", [N, N])])] == ["nPercentile(x, 50)"]


@pytest.mark.parametrize("n", ["0", "-5", "101", "'high'"])
def test_n_percentile_bad_n(n):
    with pytest.raises(QueryError, match="nPercentile: n"):
        run(f"nPercentile(x, {n})", [X])


def test_stdev_over_the_last_points_including_this_one():
    (s,) = run("stdev(x, 2)", [X])
    assert s.name == "stdev(x,2)" and s.tags == {"name": "x", "stdev": "2"}
    assert s.start == 0 and values(s) == [0, 0.5, 0.5, 0.5, 0.5, 0.5]
    (t,) = run("stdev(x, 3)", [X])
    assert values(t) == approx([0, 0.5, math.sqrt(2 / 3), math.sqrt(2 / 3), math.sqrt(2 / 3), math.sqrt(2 / 3)])


def test_stdev_window_tolerance():
    # g = [1, N, 3, 4, N, N, 7, 8]; windows of 4 hold 1, 1, 2, 3, 2, 2, 2, 2 values
    (s,) = run("stdev(g, 4, 0.5)", [G])
    assert values(s) == [N, N, 1, pytest.approx(math.sqrt(14 / 9)), 0.5, 0.5, 1.5, 0.5]
    (t,) = run("stdev(g, 4, 0)", [G])
    assert values(t)[:2] == [0, 0]
    (u,) = run("stdev(s, 2)", [series("s", [N, N, 1])])
    assert values(u) == [N, N, 0]


@pytest.mark.parametrize("points", ["0", "-1", "2.5", "'two'"])
def test_stdev_bad_points(points):
    with pytest.raises(QueryError, match="stdev: points"):
        run(f"stdev(x, {points})", [X])


def test_aggregate_line_is_a_three_point_line_across_the_range():
    (a,) = run("aggregateLine(x)", [X], start=0, end=60)
    assert a.name == "aggregateLine(x, 3.5)"
    assert a.tags == {"name": "3.5"}  # graphite-web's constantLine, renamed: the tag keeps the value
    assert a.start == 0 and a.step == 30 and values(a) == [3.5, 3.5, 3.5]


def test_aggregate_line_functions():
    assert run("aggregateLine(g, 'max')", [G])[0].name == "aggregateLine(g, 8)"
    assert run("aggregateLine(g, 'sum')", [G])[0].name == "aggregateLine(g, 23)"
    assert run("aggregateLine(g, 'avg_zero')", [G])[0].name == "aggregateLine(g, 2.875)"  # nulls count as 0
    assert run("aggregateLine(g, 'median')", [G])[0].name == "aggregateLine(g, 4)"
    assert run("aggregateLine(g, 'last')", [G])[0].name == "aggregateLine(g, 8)"
    assert run("aggregateLine(g, 'diff')", [G])[0].name == "aggregateLine(g, -21)"
    (c,) = run("aggregateLine(g, 'count')", [G])
    assert c.name == "aggregateLine(g, 5)" and c.tags == {"name": "5"}
    (m,) = run("aggregateLine(g, 'multiply')", [G])  # a null in the series: no product
    assert m.name == "aggregateLine(g, None)" and values(m) == [N, N, N]
    assert run("aggregateLine(x, 'multiply')", [X])[0].name == "aggregateLine(x, 720)"


def test_aggregate_line_of_an_empty_series():
    e = series("e", [N, N, N])
    (a,) = run("aggregateLine(e)", [e])
    assert a.name == "aggregateLine(e, None)" and a.tags == {"name": "None"} and values(a) == [N, N, N]
    assert run("aggregateLine(e, 'count')", [e])[0].name == "aggregateLine(e, 0)"


def test_aggregate_line_keep_step():
    (a,) = run("aggregateLine(g, 'min', true)", [G])
    assert a.name == "aggregateLine(g, 1)" and a.tags == {"name": "g"}
    assert a.start == 0 and a.step == 10 and values(a) == [1] * 8


def test_aggregate_line_bad_function():
    with pytest.raises(QueryError, match="aggregateLine: func must be one of"):
        run("aggregateLine(x, 'mode')", [X])


def test_identity_values_are_their_timestamps():
    (s,) = run("identity('the.time')", [X], start=100, end=400)
    assert s.name == "the.time" and s.path_expression == 'identity("the.time")'
    assert s.tags == {"name": "the.time"} and s.step == 60
    assert values(s) == [100, 160, 220, 280, 340] and list(s.timestamps) == [100, 160, 220, 280, 340]
    (t,) = run("identity('cpu;dc=x')", [X], start=0, end=60)
    assert t.tags == {"name": "cpu", "dc": "x"} and values(t) == [0]
