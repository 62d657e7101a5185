"""Golden tests of the Transform render functions: hand-worked expectations from
graphite-web's documented behaviour (names, tags, nulls, steps), inputs built here, no storage."""

import asyncio
import math
from dataclasses import dataclass, replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.functions.helpers import ALL, Context, N, run, series, values
from tsstore.query.engine import evaluate_target
from tsstore.query.errors import QueryError
from tsstore.query.functions import loader

X = series("servers.web01.cpu", [1, 2, N, 4, 5, 6])
P = series("servers.web01.prob", [0.5, 0, 1, 1.5, -0.2, 0.25, N])
T = series("servers.web01.tagged;dc=west", [1, 2], tags={"name": "servers.web01.tagged", "dc": "west"})


def one(target, prepared, **kw):
    (s,) = run(target, prepared, **kw)
    return s


G = series("servers.gappy", [N, N, 1, N, N, 4, N, 10, N, N, N, N, 20, N])
S = series("servers.s", [1, 2, N, 4, 5, 6, 7], start=5)


@dataclass
class RangeContext(Context):
    async def fetch_path(self, pattern):
        out = []
        for s in await super().fetch_path(pattern):
            first = max(0, -(-(self.start - s.start) // s.step))
            last = max(first, -(-(self.end - s.start) // s.step))
            out.append(s.copy(start=s.start + first * s.step, end=s.start + last * s.step, values=s.values[first:last].copy()))
        return out


def run_range(target, prepared, start, end, now=None):
    ctx = RangeContext(store=None, start=start, end=end, now=now if now is not None else end, prepared=prepared)
    return asyncio.run(evaluate_target(target, ctx))


LONG = series("servers.long", [float(i) for i in range(0, 1000)], start=0, step=10)  # value = timestamp / 10


def gen(target, start=1000, end=1300):
    return asyncio.run(evaluate_target(target, Context(store=None, start=start, end=end, now=end)))


def test_scale_and_offset_names_and_tags():
    (s,) = run("scale(servers.web01.cpu, 2)", ALL)
    assert s.name == "scale(servers.web01.cpu,2)" and values(s) == [2, 4, N, 8, 10]
    assert s.tags == {"name": "servers.web01.cpu", "scale": "2.0"}  # graphite-web 1.1.8 prints the float
    (s,) = run("offset(servers.web01.cpu, -1.5)", ALL)
    assert s.name == "offset(servers.web01.cpu,-1.5)" and values(s) == [-0.5, 0.5, N, 2.5, 3.5]


def test_derivative_and_non_negative_derivative():
    counter = series("c.requests", [10, 20, 5, N, 15, 30])
    assert values(run("derivative(c.requests)", [counter])[0]) == [N, 10, -15, N, N, 15]
    (s,) = run("nonNegativeDerivative(c.requests)", [counter])
    assert s.name == "nonNegativeDerivative(c.requests)"
    assert values(s) == [N, 10, N, N, N, 15]  # reset -> null; after a gap, no previous value
    assert values(run("nonNegativeDerivative(c.requests, 30)", [counter])[0]) == [N, 10, 16, N, N, 15]


def test_per_second_divides_by_the_step():
    counter = series("c.bytes", [0, 100, 300, 50], step=10)
    (s,) = run("perSecond(c.bytes)", [counter])
    assert s.name == "perSecond(c.bytes)" and values(s) == [N, 10, 20, N]


def test_integral_absolute_transform_null_keep_last_value():
    x = series("x", [1, N, -2, N, N, 3])
    assert values(run("integral(x)", [x])[0]) == [1, N, -1, N, N, 2]
    assert values(run("absolute(x)", [x])[0]) == [1, N, 2, N, N, 3]
    (t,) = run("transformNull(x, 0)", [x])
    assert t.name == "transformNull(x,0)" and values(t) == [1, 0, -2, 0, 0, 3]
    (k,) = run("keepLastValue(x)", [x])
    assert k.name == "keepLastValue(x)" and values(k) == [1, 1, -2, -2, -2, 3]
    assert values(run("keepLastValue(x, 1)", [x])[0]) == [1, 1, -2, N, N, 3]


def test_transform_null_names_and_tags_a_reference_series():
    x = series("x", [1, N, -2, N, N, 3])
    ref = series("ref", [N, 5, N, N, 7, N])
    (t,) = run("transformNull(x, 0, ref)", [x, ref])
    assert t.name == "transformNull(x,0,referenceSeries)" and values(t) == [1, 0, -2, N, 0, 3]
    assert t.tags == {"name": "x", "transformNull": "0.0", "referenceSeries": "1"}
    assert t.path_expression == t.name
    # by keyword too (graphite-web 1.1.8 never fetches a series list given by keyword)
    (k,) = run("transformNull(x, referenceSeries=ref)", [x, ref])
    assert (k.name, values(k)) == (t.name, values(t))
    # the default's tag is the value graphite-web's function got: "0" when none is given
    assert run("transformNull(x)", [x])[0].tags == {"name": "x", "transformNull": "0"}
    # a reference matching nothing is no reference
    (n,) = run("transformNull(x, 2, nothing.*)", [x])
    assert n.name == "transformNull(x,2)" and values(n) == [1, 2, -2, 2, 2, 3] and "referenceSeries" not in n.tags


def test_transform_null_reference_longer_than_the_series():
    # graphite-web pairs the points with izip_longest, then keeps the last len(series) of
    # them (series.extend(values); del series[:len(values)])
    x = series("x", [1, N, 3], step=20)
    ref = series("ref", [N, N, 1, N, N, 1], step=10)
    (t,) = run("transformNull(x, 9, ref)", [x, ref])
    assert values(t) == [N, N, 9] and (t.start, t.step, len(t.values)) == (0, 20, 3)


def test_offset_to_zero_tags_the_minimum():
    (s,) = run("offsetToZero(x)", [series("x", [5, N, 7, 6])])
    assert values(s) == [0, N, 2, 1] and s.tags == {"name": "x", "offsetToZero": "5.0"}
    (s,) = run("offsetToZero(x)", [series("x", [N, N])])
    assert values(s) == [N, N] and s.tags == {"name": "x", "offsetToZero": "None"}  # no minimum


def test_summarize_aligned_buckets():
    x = series("x", [1, 2, 3, 4, 5, 6, 7], start=0, step=10)
    (s,) = run('summarize(x, "30s", "sum")', [x])
    assert s.name == 'summarize(x, "30s", "sum")' and s.step == 30
    assert values(s) == [6, 15, 7]
    (m,) = run('summarize(x, "30s", "max")', [x])
    assert values(m) == [3, 6, 7]


def _summarize_bucket_by_bucket(s, step, func, align_to_from):
    """summarize's values as it computed them before issue 14: every bucket in turn, its points
    picked by key (the reference for the run-by-run loop, which visits only buckets with points)."""
    from tsstore.query.aggregation import series_stat

    ts = s.timestamps
    if align_to_from:
        keys = (ts - s.start) // step
        slots = np.arange(0, max(1, math.ceil((s.end - s.start) / step)))
    else:
        start = s.start - s.start % step
        keys = (ts - ts % step - start) // step
        slots = np.arange(0, (s.end - s.end % step + step - start) // step)
    out = np.full(len(slots), np.nan)
    for k in slots.tolist():
        bucket = s.values[keys == k]
        bucket = bucket[~np.isnan(bucket)]
        if len(bucket):
            out[k] = series_stat(bucket, func)
    return out


INTERVALS = [("1s", 1), ("5s", 5), ("10s", 10), ("25s", 25), ("1min", 60), ("7min", 420), ("1h", 3600)]


@settings(max_examples=200)
@given(st.lists(st.one_of(st.none(), st.floats(-1e6, 1e6)), min_size=1, max_size=40), st.integers(-1000, 1000),
       st.sampled_from([1, 7, 10, 60]), st.sampled_from(INTERVALS),
       st.sampled_from(["sum", "average", "max", "min", "last", "median", "count"]), st.booleans())
def test_summarize_visits_only_buckets_with_points_and_answers_as_bucket_by_bucket(vals, start, step, interval, func,
                                                                                   align):
    (text, seconds), x = interval, series("x", vals, start=start, step=step)
    target = f'summarize(x, "{text}", "{func}"{", true" if align else ""})'
    (r,) = run(target, [x], start=start, end=x.end)
    expected = _summarize_bucket_by_bucket(x, seconds, func, align)
    assert values(r) == [None if v != v else v for v in expected.tolist()]


def _hitcount_point_by_point(s, step):
    """hitcount's values as it computed them before issue 14: every bucket a point covers is
    added to one by one (the reference for filling the buckets inside a point at once)."""
    end = s.end
    buckets = max(0, math.ceil((end - s.start) / step))
    new_start = end - buckets * step
    out = np.full(buckets, np.nan)
    for i, v in enumerate(s.values.tolist()):
        if v != v:
            continue
        t = s.start + i * s.step
        first, first_mod = divmod(t - new_start, step)
        last, last_mod = divmod(t + s.step - new_start, step)
        if last >= buckets:
            last, last_mod = buckets - 1, step
        if first == last:
            if first >= 0:
                out[first] = np.nansum([out[first], v * (last_mod - first_mod)])
            continue
        if first >= 0:
            out[first] = np.nansum([out[first], v * (step - first_mod)])
        for j in range(max(first + 1, 0), last):
            out[j] = np.nansum([out[j], v * step])
        if last_mod > 0:
            out[last] = np.nansum([out[last], v * last_mod])
    return out


@settings(max_examples=200)
@given(st.lists(st.one_of(st.none(), st.floats(-1e6, 1e6)), min_size=1, max_size=40), st.integers(-1000, 1000),
       st.sampled_from([1, 7, 10, 60, 600]), st.sampled_from(INTERVALS))
def test_hitcount_fills_the_buckets_inside_a_point_at_once_as_one_by_one(vals, start, step, interval):
    (text, seconds), x = interval, series("x", vals, start=start, step=step)
    (r,) = run(f'hitcount(x, "{text}")', [x], start=start, end=x.end)
    assert values(r) == [None if v != v else v for v in _hitcount_point_by_point(x, seconds).tolist()]


def test_unknown_function_and_bad_arguments():
    with pytest.raises(QueryError, match="unknown function: nosuch"):
        run("nosuch(servers.web01.cpu)", ALL)
    with pytest.raises(QueryError, match="scale: factor must be a number"):
        run("scale(servers.web01.cpu, 'abc')", ALL)
    with pytest.raises(QueryError, match="summarize: intervalString"):
        run("summarize(servers.web01.cpu, 'soon')", ALL)


def test_add_names_the_constant_as_an_integer_and_tags_it_as_a_float():
    s = one("add(servers.web01.cpu, 1.5)", [X])
    assert s.name == "add(servers.web01.cpu,1)"  # graphite-web formats it with %d
    assert s.path_expression == s.name
    assert values(s) == [2.5, 3.5, N, 5.5, 6.5, 7.5]
    assert s.tags == {"name": "servers.web01.cpu", "add": "1.5"}
    assert one("add(servers.web01.cpu, 10)", [X]).tags["add"] == "10.0"
    assert one("add(servers.web01.cpu, -2.7)", [X]).name == "add(servers.web01.cpu,-2)"


def test_add_keeps_tags_and_refuses_a_non_number():
    assert one("add(servers.web01.tagged;dc=west, 1)", [T]).tags == {"name": "servers.web01.tagged", "dc": "west", "add": "1.0"}
    with pytest.raises(QueryError, match="add: constant must be a number"):
        run("add(servers.web01.cpu, 'x')", [X])
    with pytest.raises(QueryError, match="finite"):
        run("add(servers.web01.cpu, inf)", [X])


def test_exp():
    s = one("exp(servers.web01.cpu)", [X])
    assert s.name == "exp(servers.web01.cpu)" and s.tags["exp"] == "e"
    v = values(s)
    assert v[2] is None and [v[i] for i in (0, 1, 3, 4, 5)] == pytest.approx([math.exp(x) for x in (1, 2, 4, 5, 6)])
    # graphite-web answers 500 (OverflowError) here; tsstore gives infinity
    assert values(one("exp(servers.big)", [series("servers.big", [1000])])) == [math.inf]


def test_sigmoid():
    s = one("sigmoid(servers.web01.cpu)", [X])
    assert s.name == "sigmoid(servers.web01.cpu)" and s.tags["sigmoid"] == "sigmoid"
    assert values(s)[0] == pytest.approx(1 / (1 + math.exp(-1)))
    assert values(s)[2] is None
    assert values(one("sigmoid(servers.z)", [series("servers.z", [0, -1000, 1000])])) == [0.5, 0.0, 1.0]


def test_logit_is_null_outside_zero_to_one():
    s = one("logit(servers.web01.prob)", [P])
    assert s.name == "logit(servers.web01.prob)" and s.tags["logit"] == "logit"
    assert values(s) == [0.0, N, N, N, N, pytest.approx(math.log(0.25 / 0.75)), N]


def test_interpolate_draws_straight_lines_over_inner_gaps():
    s = one("interpolate(servers.gappy)", [G])
    assert s.name == "interpolate(servers.gappy)"
    assert s.tags == {"name": "servers.gappy"}  # no tag added, as graphite-web
    # leading and trailing nulls stay: nothing to draw from / to
    assert values(s) == [N, N, 1, 2, 3, 4, 7, 10, 12, 14, 16, 18, 20, N]


def test_interpolate_limit_leaves_longer_gaps():
    assert values(one("interpolate(servers.gappy, 2)", [G])) == [N, N, 1, 2, 3, 4, 7, 10, N, N, N, N, 20, N]
    assert values(one("interpolate(servers.gappy, 0)", [G])) == values(G)
    with pytest.raises(QueryError, match="limit must be an integer"):
        run("interpolate(servers.gappy, 'x')", [G])


def test_compress_periodic_gaps_finds_the_real_interval():
    s = one("compressPeriodicGaps(m1)", [series("m1", [N, 1, N, N, 2, N, N, 3, N, N, 4, N, N, 5, N, N], start=100)])
    assert s.name == s.path_expression == "compressPeriodicGaps(m1)"
    assert (s.start, s.step, s.end) == (110, 30, 260)
    assert values(s) == [1, 2, 3, 4, 5]
    assert s.tags == {"name": "m1"}
    s = one("compressPeriodicGaps(m6)", [series("m6", [N, 1, N, 3, N, 5, N, 7, N, 9], start=100)])
    assert (s.start, s.step, values(s)) == (110, 20, [1, 3, 5, 7, 9])


def test_compress_periodic_gaps_scans_as_graphite_web_1_1_10():
    # graphite-web's scan never takes index 0 as the first value (so the 1 is dropped) and
    # tests `if value:`, so zeros count as gaps when guessing the interval
    s = one("compressPeriodicGaps(m2)", [series("m2", [1, N, N, 2, N, N, 3, N, N, 4, N, N, 5, N, N, 6], start=110)])
    assert (s.start, s.step, values(s)) == (140, 30, [2, 3, 4, 5, 6])
    s = one("compressPeriodicGaps(z)", [series("z", [0, 1, 0, N, 2, N, N, 3, N, N, 4], start=0)])
    # ...but a 0 is a value for the buckets: the last one of [10, 40) is the 0 at 20
    assert (s.start, s.step, values(s)) == (10, 30, [0, 2, 3, 4])


def test_compress_periodic_gaps_leaves_other_series_alone():
    for vals in ([N, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 13, N], [1, 2, 3, N, N, N, N, N, N, N, N, 13, 14, 15],
                 [N, 1, 2, 3, N, 5, N, 7, N, 9, N, N, N, 13, N, N], [N, N]):
        src = series("m", vals, start=100)
        s = one("compressPeriodicGaps(m)", [src])
        assert s.name == "compressPeriodicGaps(m)" and (s.start, s.step) == (100, 10) and values(s) == vals


def test_integral_by_interval_restarts_at_every_interval_from_the_range_start():
    s = one("integralByInterval(servers.web01.cpu, '30s')", [X])
    assert s.name == "integralByInterval(servers.web01.cpu,'30s')"
    assert s.tags["integralByInterval"] == "30s"
    # a null repeats the running total (it is never null itself)
    assert values(s) == [1, 3, 3, 4, 9, 15]
    # the intervals count from the start of the range, not the series'
    assert values(one("integralByInterval(servers.web01.cpu, '30s')", [X], start=-10)) == [1, 3, 0, 4, 9, 6]


def test_integral_by_interval_arguments():
    with pytest.raises(QueryError, match="intervalUnit"):
        run("integralByInterval(servers.web01.cpu, 'often')", [X])
    with pytest.raises(QueryError, match="must not be 0"):
        run("integralByInterval(servers.web01.cpu, '0s')", [X])


def test_smart_summarize_buckets_from_the_series_start():
    s = one('smartSummarize(servers.s, "30s")', [S])
    assert s.name == 'smartSummarize(servers.s, "30s", "sum")'
    assert s.tags == {"name": "servers.s", "smartSummarize": "30s", "smartSummarizeFunction": "sum"}
    assert (s.start, s.step, s.end) == (5, 30, 95)
    assert values(s) == [3, 15, 7]


@pytest.mark.parametrize("func, expected", [
    ("average", [1.5, 5, 7]), ("avg", [1.5, 5, 7]), ("avg_zero", [1, 5, 7]), ("median", [1.5, 5, 7]),
    ("min", [1, 4, 7]), ("max", [2, 6, 7]), ("diff", [-1, -7, 7]), ("count", [2, 3, 1]), ("range", [1, 2, 0]),
    ("multiply", [N, 120, 7]), ("last", [2, 6, 7]), ("current", [2, 6, 7]), ("total", [3, 15, 7]),
    ("stddev", [0.5, pytest.approx(math.sqrt(2 / 3)), 0]),
])
def test_smart_summarize_functions(func, expected):
    assert values(one(f'smartSummarize(servers.s, "30s", "{func}")', [S])) == expected


def test_smart_summarize_interval_not_a_multiple_of_the_step():
    # 15 s buckets over points at 5, 15, 25, ...: [5, 20) holds two, [20, 35) one (null)
    s = one('smartSummarize(servers.s, "15s", "sum")', [S])
    assert (s.start, s.step, s.end) == (5, 15, 80) and values(s) == [3, N, 9, 6, 7]


def test_smart_summarize_xfiles_factor_counts_points_per_interval():
    half = S.copy(xfiles_factor=0.5)
    # 3 points per bucket: the first bucket has 2, the last only 1 (1/3 < 0.5)
    assert values(one('smartSummarize(servers.s, "30s", "sum")', [half])) == [3, 15, N]


def test_smart_summarize_arguments():
    with pytest.raises(QueryError, match="func must be one of"):
        run('smartSummarize(servers.s, "30s", "mode")', [S])
    with pytest.raises(QueryError, match="must be positive"):
        run('smartSummarize(servers.s, "0s")', [S])
    with pytest.raises(QueryError, match="intervalString"):
        run('smartSummarize(servers.s, "soon")', [S])
    with pytest.raises(QueryError, match="alignTo must be one of"):
        run('smartSummarize(servers.s, "30s", "sum", "1h")', [S])
    # a boolean is the old alignToFrom argument, ignored as graphite-web does
    assert values(one('smartSummarize(servers.s, "30s", "sum", true)', [S])) == [3, 15, 7]


def test_smart_summarize_align_to_refetches_from_the_start_of_the_unit():
    (s,) = run_range('smartSummarize(servers.long, "10min", "min", "hours")', [LONG], 4200, 6000)
    # 4200 (01:10) is moved back to 3600 (01:00), fetched again and bucketed from there
    assert (s.start, s.step) == (3600, 600)
    assert values(s) == [360, 420, 480, 540]
    (s,) = run_range('smartSummarize(servers.long, "10min", "min")', [LONG], 4200, 6000)
    assert s.start == 4200 and values(s) == [420, 480, 540]
    (s,) = run_range('smartSummarize(servers.long, "1min", "min", "minutes")', [LONG], 4230, 4400)
    assert s.start == 4200 and values(s)[0] == 420


def test_smart_summarize_align_to_weeks_and_days():
    from datetime import datetime, timezone

    from tsstore.query.functions.transform.summarize import truncate
    thu = datetime(2024, 5, 16, 13, 45, 10, tzinfo=timezone.utc)  # a Thursday
    assert truncate(thu, "weeks", "weeks") == datetime(2024, 5, 13, tzinfo=timezone.utc)  # Monday
    assert truncate(thu, "weeks", "weeks5") == datetime(2024, 5, 10, tzinfo=timezone.utc)  # last Friday
    assert truncate(thu, "days", "days") == datetime(2024, 5, 16, tzinfo=timezone.utc)
    assert truncate(thu, "months", "months") == datetime(2024, 5, 1, tzinfo=timezone.utc)
    assert truncate(thu, "years", "y") == datetime(2024, 1, 1, tzinfo=timezone.utc)


def test_time_stack_draws_each_shift_over_the_requested_range():
    result = run_range('timeStack(servers.long, "20s", 0, 3)', [LONG], 1000, 1050)
    assert [s.name for s in result] == ["timeShift(servers.long, -20s, 0)", "timeShift(servers.long, -20s, 1)",
                                        "timeShift(servers.long, -20s, 2)"]
    assert [values(s) for s in result] == [[100, 101, 102, 103, 104], [98, 99, 100, 101, 102], [96, 97, 98, 99, 100]]
    assert all((s.start, s.end, s.step) == (1000, 1050, 10) for s in result)
    assert result[1].tags == {"name": "servers.long", "timeShiftUnit": "-20s", "timeShift": "1"}
    assert result[1].path_expression == result[1].name


def test_time_stack_signs_and_defaults():
    (s,) = run_range('timeStack(servers.long, "+1min", 1, 2)', [LONG], 1000, 1030)
    assert s.name == "timeShift(servers.long, +1min, 1)" and values(s) == [106, 107, 108]
    result = run_range("timeStack(servers.long)", [LONG], 9000, 9030)
    assert len(result) == 1 and values(result[0]) == [900, 901, 902]  # older days have no points here
    assert run_range("timeStack(servers.none, '1h')", [LONG], 1000, 1050) == []
    with pytest.raises(QueryError, match="timeShiftUnit"):
        run_range("timeStack(servers.long, 'later')", [LONG], 1000, 1050)


@dataclass
class ArchiveContext(RangeContext):
    """Reads as whisper does: up to now (its point included), a range whose start is within
    `fine_for` seconds of now from the 10 s series, an older one from the 60 s series of the
    same name."""

    fine_for: int = 600

    async def fetch_path(self, pattern):
        step = 10 if self.now - self.start <= self.fine_for else 60
        clamped = replace(self, end=min(self.end, self.now + 1))
        return [s for s in await RangeContext.fetch_path(clamped, pattern) if s.step == step]


FINE = series("servers.long", [float(i) for i in range(0, 400)], start=0, step=10)  # value = timestamp / 10
COARSE = series("servers.long", [float(i * 6) for i in range(0, 70)], start=0, step=60)


def shift(target, start, end, now=None, tz=None):
    ctx = ArchiveContext(store=None, start=start, end=end, now=now if now is not None else end, tz=tz,
                         prepared=[FINE, COARSE])
    return asyncio.run(evaluate_target(target, ctx))


def test_time_shift_names_tags_and_keeps_the_path_expression():
    (s,) = shift("timeShift(servers.long, '1min')", 3000, 3100)
    assert s.name == 'timeShift(servers.long, "-1min")' and s.tags == {"name": "servers.long", "timeShift": "-1min"}
    assert s.path_expression == "servers.long"  # renamed in place: an aggregate is named after the glob
    assert (s.start, s.step) == (3000, 10) and values(s)[:3] == [294, 295, 296]
    (total,) = shift("sumSeries(timeShift(servers.*, '1min'), servers.long)", 3000, 3100)
    assert total.name == "sumSeries(servers.*,servers.long)"


def test_time_shift_from_a_coarser_archive_starts_where_the_unshifted_series_does():
    # the request reads 10 s points from 3010; shifted 20 min back, the range is older than
    # the 10 s retention and comes at 60 s from 1860: graphite-web draws those points from
    # the unshifted series' start (3010), at their own step, up to its end
    (s,) = shift("timeShift(servers.long, '20min')", 3010, 3310)
    assert (s.start, s.step) == (3010, 60)
    assert values(s) == [186, 192, 198, 204, 210]
    assert s.tags == {"name": "servers.long", "timeShift": "-20min"}


def test_time_shift_reset_end():
    # the request reaches past now: the unshifted series stops at now (3200, its end 3210),
    # the shifted one (2880-3180) does not. resetEnd (the default) ends it at the unshifted
    # end, which graphite-web draws (range(start, end + 1, step)); resetEnd=false keeps it whole
    (kept,) = shift("timeShift(servers.long, '2min', false)", 3000, 3300, now=3200)
    (cut,) = shift("timeShift(servers.long, '2min')", 3000, 3300, now=3200)
    assert kept.start == cut.start == 3000 and len(kept.values) == 30 and values(kept)[0] == 288
    assert len(cut.values) == 22 and values(cut) == values(kept)[:22]


def test_time_shift_of_nothing_is_nothing():
    assert shift("timeShift(servers.none, '1h')", 3000, 3300) == []


def test_time_shift_align_dst_in_the_request_time_zone():
    from zoneinfo import ZoneInfo

    hourly = series("h.load", [float(i) for i in range(24 * 400)], start=1704067200, step=3600)  # from 2024-01-01 UTC
    july, ams = 1719792000, ZoneInfo("Europe/Amsterdam")  # 2024-07-01 00:00 UTC: summer time there

    def first(target, tz):
        ctx = RangeContext(store=None, start=july, end=july + 6 * 3600, now=july + 6 * 3600, tz=tz, prepared=[hourly])
        (s,) = asyncio.run(evaluate_target(target, ctx))
        return s

    plain = first("timeShift(h.load, '180d')", ams)
    # 180 days back is winter time: alignDst reads an hour later, so 8am is drawn over 8am
    for target in ("timeShift(h.load, '180d', true, true)", "timeShift(h.load, '180d', alignDst=true)",
                   "timeShift(h.load, '180d', alignDST=true)"):
        aligned = first(target, ams)
        assert values(aligned)[0] == values(plain)[0] + 1 and aligned.start == plain.start, target
    assert values(first("timeShift(h.load, '180d', alignDst=true)", ZoneInfo("UTC")))[0] == values(plain)[0]
    # both ranges in summer time: nothing to align
    assert values(first("timeShift(h.load, '7d', alignDst=true)", ams)) == values(first("timeShift(h.load, '7d')", ams))


def test_time_shift_lists_align_dst_as_graphite_web_does():
    params = [p["name"] for p in loader.get("timeShift").info()["params"]]
    assert params == ["seriesList", "timeShift", "resetEnd", "alignDst"]


def test_keywords_by_their_parameter_names():
    x = series("x", [1, 4, 8])
    assert values(one("log(x, base=2)", [x])) == [0, 2, 3]
    assert one("pow(x, factor=2)", [x]).name == "pow(x,2)"
    with pytest.raises(QueryError, match="unexpected keyword argument 'basis'"):
        run("log(x, basis=2)", [x])


def test_time_slice_keeps_the_points_between_two_times():
    s = one("timeSlice(servers.web01.cpu, '10', '40')", [X])
    assert s.name == "timeSlice(servers.web01.cpu, 10, 40)"
    assert s.tags == {"name": "servers.web01.cpu", "timeSliceStart": "10", "timeSliceEnd": "40"}
    assert values(s) == [N, 2, N, 4, 5, N]
    assert s.path_expression == "servers.web01.cpu"  # graphite-web leaves the pathExpression


def test_time_slice_counts_from_the_start_of_the_range():
    # graphite-web dates the points from the request's start, not the series' start:
    # here -5, 5, 15, 25, 35, 45, so the points at 30 and 40 are kept, the one at 10 not
    assert values(one("timeSlice(servers.web01.cpu, '10', '40')", [X], start=-5)) == [N, N, N, 4, 5, N]


def test_time_slice_relative_times_use_the_request_now():
    (s,) = run_range("timeSlice(servers.long, '-30s')", [LONG], 1000, 1100, now=1060)
    assert s.name == "timeSlice(servers.long, 1030, 1060)"
    assert values(s) == [N, N, N, 103, 104, 105, 106, N, N, N]
    with pytest.raises(QueryError, match="startSliceAt"):
        run("timeSlice(servers.web01.cpu, 'whenever')", [X])


def test_time_function_gives_each_timestamp():
    (s,) = gen("timeFunction('The.time.series')")
    assert s.name == "The.time.series" and s.tags == {"name": "The.time.series"}
    assert (s.start, s.step) == (1000, 60) and values(s) == [1000, 1060, 1120, 1180, 1240]
    (s,) = gen("time('t', 100)", 1000, 1301)
    assert values(s) == [1000, 1100, 1200, 1300]
    (s,) = gen("time('tagged;dc=west', 150)")
    assert s.tags == {"name": "tagged", "dc": "west"} and values(s) == [1000, 1150]


def test_sin_function():
    (s,) = gen("sinFunction('The.sin.series')")
    assert s.name == "The.sin.series" and s.step == 60
    assert values(s) == pytest.approx([math.sin(t) for t in (1000, 1060, 1120, 1180, 1240)])
    (s,) = gen("sin('s', 2, 100)")
    assert values(s) == pytest.approx([2 * math.sin(t) for t in (1000, 1100, 1200)])


def test_generator_arguments_and_aliases():
    assert loader.get("sin").alias_of == "sinFunction" and loader.get("time").alias_of == "timeFunction"
    assert loader.get("sin").info()["group"] == "Transform"
    for bad in ("time('t', 0)", "sin('s', 1, -60)", "time('t', 1.5)"):
        with pytest.raises(QueryError, match="step"):
            gen(bad)
    with pytest.raises(QueryError, match="name must be a string"):
        gen("time(7)")
    with pytest.raises(QueryError, match="amplitude"):
        gen("sin('s', 'loud')")
