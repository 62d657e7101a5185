"""Transform, continued: element-wise maths (add, exp, sigmoid, logit), gap filling and
re-bucketing (interpolate, compressPeriodicGaps, smartSummarize, integralByInterval),
slices and stacks of time (timeSlice, timeStack) and the generators time() and sin()."""
from __future__ import annotations

import asyncio
import math
import re
import warnings
from datetime import datetime, timedelta, timezone

import numpy as np

from tsstore.index import tags as tagmod
from tsstore.query.attime import UTC, AtTimeError, parse_time
from tsstore.query.errors import QueryError
from tsstore.query.functions._common import as_float, as_int, interval
from tsstore.query.functions.registry import AGG_FUNCS, Param, function
from tsstore.query.functions.transform import SL, _derived
from tsstore.query.series import TimeSeries

ALIGN_UNITS = ["years", "months", "weeks", "days", "hours", "minutes", "seconds"]


def _map(seriesList, name_fmt, fn, **tags) -> list[TimeSeries]:
    """Apply fn to every series' values (warnings off: nulls and domain errors become nulls)."""
    out = []
    for s in seriesList:
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            v = fn(s.values)
        out.append(_derived(s, name_fmt % s.name, np.where(np.isnan(s.values), np.nan, v), **tags))
    return out


# -- element-wise ----------------------------------------------------------------------
@function("Transform", [SL, Param("constant", "float", required=True)])
def add(ctx, seriesList, constant):
    """Adds a constant to every value (the name shows it truncated to an integer)."""
    c = as_float(constant, "add", "constant")
    if not math.isfinite(c):
        raise QueryError(f"add: constant must be a finite number, got {constant!r}")
    out = []
    for s in seriesList:
        name = "add(%s,%d)" % (s.name, c)  # graphite-web prints the constant with %d
        out.append(_derived(s, name, s.values + c, add=c))
    return out


@function("Transform", [SL])
def exp(ctx, seriesList):
    """e raised to the power of every value."""
    return _map(seriesList, "exp(%s)", np.exp, exp="e")


@function("Transform", [SL])
def sigmoid(ctx, seriesList):
    """1 / (1 + exp(-value)) for every value."""
    return _map(seriesList, "sigmoid(%s)", lambda v: 1 / (1 + np.exp(-v)), sigmoid="sigmoid")


@function("Transform", [SL])
def logit(ctx, seriesList):
    """log(value / (1 - value)); null outside 0 < value < 1."""
    def f(v):
        inside = (v > 0) & (v < 1)
        safe = np.where(inside, v, 0.5)
        return np.where(inside, np.log(safe / (1 - safe)), np.nan)
    return _map(seriesList, "logit(%s)", f, logit="logit")


# -- gaps ------------------------------------------------------------------------------
def _limit(value, func: str) -> float:
    if value is None:
        return math.inf
    if isinstance(value, float) and math.isinf(value):
        return value
    return float(as_int(value, func, "limit"))


@function("Transform", [SL, Param("limit", "intOrInf", default=math.inf)])
def interpolate(ctx, seriesList, limit=math.inf):
    """Fills runs of nulls between two values with a straight line, for runs up to
    `limit` points long (leading and trailing nulls stay null)."""
    lim = _limit(limit, "interpolate")
    out = []
    for s in seriesList:
        v = s.values
        n = len(v)
        known = ~np.isnan(v)
        idx = np.arange(n)
        prev = np.maximum.accumulate(np.where(known, idx, -1))  # last value at or before i
        nxt = np.minimum.accumulate(np.where(known, idx, n)[::-1])[::-1]  # next value at or after i
        run = nxt - prev - 1  # length of the run of nulls i is in
        fill = ~known & (prev >= 0) & (nxt < n) & (run <= lim)
        r = v.copy()
        if fill.any():
            p, q, i = prev[fill], nxt[fill], idx[fill]
            # graphite-web's arithmetic order: prev + k * (next - prev) / (run + 1)
            r[fill] = v[p] + (i - p).astype(np.float64) * (v[q] - v[p]) / (run[fill] + 1)
        out.append(_derived(s, f"interpolate({s.name})", r))
    return out


def _bucket_aggregate(s: TimeSeries, func: str, step: int, new_start: int, new_end: int) -> np.ndarray:
    """graphite-web's bucketing for smartSummarize/compressPeriodicGaps: buckets of `step`
    seconds from new_start while before new_end, each the aggregate of the points whose
    timestamp falls in it; null unless non-null / (step / s.step) >= xFilesFactor."""
    buckets = max(0, math.ceil((new_end - new_start) / step))
    n = min(len(s.values), max(0, math.ceil((s.end - s.start) / s.step)))
    ts = s.start + np.arange(n, dtype=np.int64) * s.step
    edges = np.searchsorted(ts, new_start + np.arange(buckets + 1, dtype=np.int64) * step, "left")
    sizes = np.diff(edges)
    width = int(sizes.max()) if buckets else 0
    m = np.full((buckets, max(width, 1)), np.nan)
    if width:
        first = edges[0]
        inside = np.arange(first, edges[-1])
        row = np.repeat(np.arange(buckets), sizes)
        m[row, inside - edges[row]] = s.values[inside]
    known = ~np.isnan(m)
    count = known.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        total = np.nansum(m, axis=1)
        hi = np.max(np.where(known, m, -np.inf), axis=1)
        lo = np.min(np.where(known, m, np.inf), axis=1)
        cols = np.arange(m.shape[1])
        first_val = m[np.arange(buckets), np.argmax(known, axis=1)]
        last_val = m[np.arange(buckets), m.shape[1] - 1 - np.argmax(known[:, ::-1], axis=1)]
        if func in ("sum", "total"):
            out = total
        elif func in ("average", "avg"):
            out = total / count
        elif func == "avg_zero":
            out = total / sizes
        elif func == "median":
            with warnings.catch_warnings():  # all-null buckets: "All-NaN slice"
                warnings.simplefilter("ignore", RuntimeWarning)
                out = np.nanmedian(m, axis=1)
        elif func == "min":
            out = lo
        elif func == "max":
            out = hi
        elif func == "diff":
            out = first_val - (total - first_val)
        elif func == "stddev":
            mean = total / count
            out = np.sqrt(np.nansum((m - mean[:, None]) ** 2, axis=1) / count)
        elif func == "count":
            out = count.astype(np.float64)
        elif func in ("range", "rangeOf"):
            out = hi - lo
        elif func == "multiply":  # any null in the bucket makes it null
            out = np.where(count == sizes, np.prod(np.where(cols < sizes[:, None], m, 1.0), axis=1), np.nan)
        elif func in ("last", "current"):
            out = last_val
        else:
            raise QueryError(f"unsupported aggregation function {func!r}")
        ok = (count > 0) & (count / (step / s.step) >= (s.xfiles_factor or 0.0))
    return np.where(ok, out, np.nan)


@function("Transform", [SL])
def compressPeriodicGaps(ctx, seriesList):
    """Series written at a coarser interval than their step (a value, then regular nulls)
    get that interval as their step: the interval is guessed from the first values (as
    graphite-web 1.1.10 does) and each new point is the last value of its interval.
    Series without such a pattern only get the new name."""
    out = []
    for s in seriesList:
        name = f"compressPeriodicGaps({s.name})"
        v = s.values
        truthy = np.flatnonzero(~np.isnan(v) & (v != 0))  # graphite-web tests `if value:`
        # graphite-web's scan: a value at index 0 cannot be the first one seen
        seen = truthy[1:] if len(truthy) and truthy[0] == 0 else truthy
        first = int(seen[0]) if len(seen) else 0
        second = int(seen[1]) if len(seen) > 1 else 0
        guess = second - first
        third = second + guess
        step = None
        if guess > 1 and third <= len(v) - 2 and not np.isnan(v[third]) and v[third] != 0 \
                and np.isnan(v[third - 1]) and np.isnan(v[third + 1]):
            step = guess * s.step
        if step is None:
            out.append(s.copy(name=name, path_expression=name))
            continue
        start = s.start + first * s.step
        values = _bucket_aggregate(s, "last", step, start, s.end)
        out.append(s.copy(name=name, path_expression=name, start=start, end=start + len(values) * step, step=step,
                          values=values, values_per_point=1))
    return out


# -- intervals -------------------------------------------------------------------------
def _truncate(dt: datetime, unit: str, align_to: str) -> datetime:
    """The start of dt's year/month/week/day/hour/minute/second, keeping dt's UTC offset
    (graphite-web rebuilds the datetime with the same tzinfo)."""
    tz = timezone(dt.utcoffset() or timedelta(0))
    if unit == "years":
        return datetime(dt.year, 1, 1, tzinfo=tz)
    if unit == "months":
        return datetime(dt.year, dt.month, 1, tzinfo=tz)
    if unit == "weeks":
        weekday = 1 if align_to[-1].isalpha() else int(align_to[-1])
        back = dt.isoweekday() - weekday
        if back < 0:
            back += 7
        return datetime(dt.year, dt.month, dt.day, tzinfo=tz) - timedelta(days=back)
    if unit == "days":
        return datetime(dt.year, dt.month, dt.day, tzinfo=tz)
    if unit == "hours":
        return datetime(dt.year, dt.month, dt.day, dt.hour, tzinfo=tz)
    if unit == "minutes":
        return datetime(dt.year, dt.month, dt.day, dt.hour, dt.minute, tzinfo=tz)
    return datetime(dt.year, dt.month, dt.day, dt.hour, dt.minute, dt.second, tzinfo=tz)


def _align_unit(align_to: str) -> str:
    """graphite-web's getUnitString: the unit a string starts with."""
    for prefix, unit in (("s", "seconds"), ("min", "minutes"), ("h", "hours"), ("d", "days"), ("w", "weeks"),
                         ("mon", "months"), ("y", "years")):
        if align_to.startswith(prefix):
            return unit
    raise QueryError(f"smartSummarize: alignTo must be one of {', '.join(ALIGN_UNITS)}, got {align_to!r}")


@function("Transform", [SL, Param("intervalString", "interval", required=True, suggestions=["10min", "1h", "1d"]),
                        Param("func", "aggFunc", default="sum"),
                        Param("alignTo", "string", options=[None, *ALIGN_UNITS, True, False])], lazy=True)
async def smartSummarize(ctx, seriesList, intervalString, func="sum", alignTo=None):
    """Buckets the values into intervals starting at each series' start and aggregates
    each bucket. With alignTo (years, months, weeks[1-7], days, hours, minutes, seconds)
    the range start is first moved back to the start of that unit and the data fetched
    again, so buckets line up with calendar boundaries."""
    step = interval(intervalString, "smartSummarize", "intervalString")
    if step <= 0:
        raise QueryError(f"smartSummarize: intervalString must be positive, got {intervalString!r}")
    if func not in AGG_FUNCS:
        raise QueryError(f"smartSummarize: func must be one of {', '.join(AGG_FUNCS)}, got {func!r}")
    fetch_ctx = ctx
    if alignTo is not None and not isinstance(alignTo, bool):  # a boolean is the old alignToFrom: ignored
        if not isinstance(alignTo, str) or not alignTo:
            raise QueryError(f"smartSummarize: alignTo must be one of {', '.join(ALIGN_UNITS)}, got {alignTo!r}")
        unit = _align_unit(alignTo)
        if unit == "weeks" and not alignTo[-1].isalpha() and not alignTo[-1].isdigit():
            raise QueryError(f"smartSummarize: alignTo {alignTo!r}: a week day must be a digit 1-7")
        start = datetime.fromtimestamp(ctx.start, ctx.tz or UTC)
        fetch_ctx = ctx.with_range(int(_truncate(start, unit, alignTo).timestamp()), ctx.end)
    series = await fetch_ctx.evaluate(seriesList)
    out = []
    for s in series:
        values = _bucket_aggregate(s, func, step, s.start, s.end)
        name = f'smartSummarize({s.name}, "{intervalString}", "{func}")'
        r = _derived(s, name, values, smartSummarize=intervalString, smartSummarizeFunction=func)
        r.end, r.step, r.values_per_point = s.start + len(values) * step, step, 1
        out.append(r)
    return out


@function("Transform", [SL, Param("intervalUnit", "string", required=True)])
def integralByInterval(ctx, seriesList, intervalUnit):
    """Running total that restarts at 0 every `intervalUnit`, counted from the start of
    the range; a null adds nothing (the total so far is repeated)."""
    if not isinstance(intervalUnit, str):
        raise QueryError(f"integralByInterval: intervalUnit must be an interval string like '1d', got {intervalUnit!r}")
    width = abs(interval(intervalUnit, "integralByInterval", "intervalUnit"))
    if width == 0:
        raise QueryError(f"integralByInterval: intervalUnit must not be 0, got {intervalUnit!r}")
    out = []
    for s in seriesList:
        n = len(s.values)
        t = s.timestamps - ctx.start
        reset = (t // width) != ((t - s.step) // width)
        reset[:1] = True  # the first point starts from 0 either way
        seg = np.cumsum(reset) - 1
        seg_start = np.flatnonzero(reset)
        pos = np.arange(n) - seg_start[seg]
        # one row per interval, cumulative sums along rows: sequential as graphite-web adds
        m = np.zeros((len(seg_start), int(pos.max()) + 1 if n else 0))
        m[seg, pos] = np.nan_to_num(s.values, nan=0.0)
        values = np.cumsum(m, axis=1)[seg, pos] if n else np.array([], np.float64)
        r = _derived(s, f"integralByInterval({s.name},'{intervalUnit}')", values, integralByInterval=intervalUnit)
        out.append(r)
    return out


# -- time slices and stacks ------------------------------------------------------------
def _at_time(ctx, value, param: str) -> int:
    try:
        return parse_time(str(value), datetime.fromtimestamp(ctx.now, timezone.utc), ctx.tz or UTC)
    except AtTimeError as exc:
        raise QueryError(f"timeSlice: {param} {value!r} is not a time: {exc}") from None


@function("Transform", [SL, Param("startSliceAt", "date", required=True), Param("endSliceAt", "date", default="now")])
def timeSlice(ctx, seriesList, startSliceAt, endSliceAt="now"):
    """Keeps the values between two times (both included, as from/until: '-1h', 'now',
    '20140101', epoch seconds) and makes the others null."""
    lo, hi = _at_time(ctx, startSliceAt, "startSliceAt"), _at_time(ctx, endSliceAt, "endSliceAt")
    out = []
    for s in seriesList:
        # graphite-web counts the points' times from the start of the request range
        at = ctx.start + np.arange(len(s.values), dtype=np.int64) * s.step
        values = np.where((at >= lo) & (at <= hi), s.values, np.nan)
        r = s.copy(name=f"timeSlice({s.name}, {lo}, {hi})", values=values)  # pathExpression kept, as graphite-web
        r.tags.update(timeSliceStart=str(lo), timeSliceEnd=str(hi))
        out.append(r)
    return out


@function("Transform", [SL, Param("timeShiftUnit", "interval", default="1d", suggestions=["1h", "6h", "12h", "1d", "2d", "7d", "14d", "30d"]),
                        Param("timeShiftStart", "integer", default=0), Param("timeShiftEnd", "integer", default=7)], lazy=True)
async def timeStack(ctx, seriesList, timeShiftUnit="1d", timeShiftStart=0, timeShiftEnd=7):
    """The series again for each shift from timeShiftStart to timeShiftEnd - 1 times
    timeShiftUnit into the past (a '+' sign: into the future), all drawn over the
    requested range: compare today with the days before, or feed averageSeries."""
    unit = str(timeShiftUnit)
    if unit[:1].isdigit():
        unit = "-" + unit
    delta = interval(unit, "timeStack", "timeShiftUnit")
    first, last = as_int(timeShiftStart, "timeStack", "timeShiftStart"), as_int(timeShiftEnd, "timeStack", "timeShiftEnd")
    base = await ctx.evaluate(seriesList)
    if not base:
        return []
    start, end = base[0].start, base[0].end  # every shift is drawn over the first series' range
    shifts = list(range(first, last))
    fetched = await asyncio.gather(*(ctx.with_range(ctx.start + delta * k, ctx.end + delta * k).evaluate(seriesList)
                                     for k in shifts))
    out = []
    for k, shifted in zip(shifts, fetched):
        for s in shifted:
            name = f"timeShift({s.name}, {unit}, {k})"
            keep = max(0, (end - start) // s.step + 1)  # graphite-web draws only the points inside the range
            r = _derived(s, name, s.values[:keep].copy(), timeShiftUnit=unit, timeShift=k)
            r.start, r.end = start, end
            out.append(r)
    return out


# -- generators ------------------------------------------------------------------------
_CALL_LIKE = re.compile(r"^[a-z]+[(].+[)]$", re.IGNORECASE)


def _generated(ctx, func: str, name, step, values_of) -> list[TimeSeries]:
    if not isinstance(name, str):
        raise QueryError(f"{func}: name must be a string, got {name!r}")
    if isinstance(step, float) and not step.is_integer():
        raise QueryError(f"{func}: step must be an integer, got {step!r}")
    st = as_int(step, func, "step")
    if st <= 0:
        raise QueryError(f"{func}: step must be a positive number of seconds, got {step!r}")
    count = max(0, math.ceil((ctx.end - ctx.start) / st))
    t = (ctx.start + np.arange(count, dtype=np.int64) * st).astype(np.float64)
    tagset = {"name": name}
    if not _CALL_LIKE.match(name):
        try:
            tagset = tagmod.parse_tags(name)
        except tagmod.InvalidTagError:
            pass
    return [TimeSeries(name, ctx.start, ctx.end, st, values_of(t), name, tagset)]


@function("Transform", [Param("name", "string", required=True), Param("step", "integer", default=60)],
          name="timeFunction", aliases=("time",))
def timeFunction(ctx, name, step=60):
    """A series named `name` whose value at each time is that time (epoch seconds),
    every `step` seconds from the start of the range."""
    return _generated(ctx, "timeFunction", name, step, lambda t: t)


@function("Transform", [Param("name", "string", required=True), Param("amplitude", "integer", default=1),
                        Param("step", "integer", default=60)], name="sinFunction", aliases=("sin",))
def sinFunction(ctx, name, amplitude=1, step=60):
    """A series named `name`: the sine of the time (epoch seconds) times `amplitude`,
    every `step` seconds from the start of the range."""
    amp = as_float(amplitude, "sinFunction", "amplitude")
    return _generated(ctx, "sinFunction", name, step, lambda t: np.sin(t) * amp)
