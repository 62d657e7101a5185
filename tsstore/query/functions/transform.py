"""Transform: functions that change each series' values on their own."""
from __future__ import annotations

import builtins
import math

import numpy as np

from tsstore.query.errors import QueryError
from tsstore.query.functions._common import as_float, as_int, fmt_g, interval, series_stat
from tsstore.query.functions.registry import Param, function
from tsstore.query.series import TimeSeries

SL = Param("seriesList", "seriesList", required=True)


def _derived(s: TimeSeries, name: str, values: np.ndarray, **tags) -> TimeSeries:
    """A new series from s: new name and values, input tags plus this function's tag."""
    out = s.copy(name=name, values=values, path_expression=name)
    out.tags.update({k: str(v) for k, v in tags.items()})
    return out


@function("Transform", [SL, Param("factor", "float", required=True)])
def scale(ctx, seriesList, factor):
    """Multiplies every value by a constant."""
    f = as_float(factor, "scale", "factor")
    return [_derived(s, f"scale({s.name},{fmt_g(f)})", s.values * f, scale=f) for s in seriesList]


@function("Transform", [SL, Param("factor", "float", required=True)])
def offset(ctx, seriesList, factor):
    """Adds a constant to every value."""
    f = as_float(factor, "offset", "factor")
    return [_derived(s, f"offset({s.name},{fmt_g(f)})", s.values + f, offset=f) for s in seriesList]


@function("Transform", [SL])
def absolute(ctx, seriesList):
    """The absolute value of every point."""
    return [_derived(s, f"absolute({s.name})", np.abs(s.values), absolute=1) for s in seriesList]


@function("Transform", [SL])
def derivative(ctx, seriesList):
    """The change from the previous point (null next to a null)."""
    out = []
    for s in seriesList:
        v = np.full(len(s.values), np.nan)
        v[1:] = s.values[1:] - s.values[:-1]
        out.append(_derived(s, f"derivative({s.name})", v, derivative=1))
    return out


def _non_negative_deltas(values: np.ndarray, max_value, min_value) -> np.ndarray:
    out = np.full(len(values), np.nan)
    prev = math.nan
    for i, val in enumerate(values.tolist()):
        if (max_value is not None and val > max_value) or (min_value is not None and val < min_value):
            prev = math.nan
            continue
        if math.isnan(prev) or math.isnan(val):
            prev = val
            continue
        if val >= prev:
            out[i] = val - prev
        elif max_value is not None:
            out[i] = max_value + 1 + val - prev - (min_value or 0)
        elif min_value is not None:
            out[i] = val - min_value
        prev = val
    return out


@function("Transform", [SL, Param("maxValue", "float"), Param("minValue", "float")])
def nonNegativeDerivative(ctx, seriesList, maxValue=None, minValue=None):
    """The change from the previous point; a drop (counter reset or wrap) gives null, or
    the wrapped difference when maxValue is given."""
    return [_derived(s, f"nonNegativeDerivative({s.name})", _non_negative_deltas(s.values, maxValue, minValue),
                     nonNegativeDerivative=1) for s in seriesList]


@function("Transform", [SL, Param("maxValue", "float"), Param("minValue", "float")])
def perSecond(ctx, seriesList, maxValue=None, minValue=None):
    """Rate per second of a counter: the non-negative change divided by the step."""
    return [_derived(s, f"perSecond({s.name})", _non_negative_deltas(s.values, maxValue, minValue) / s.step,
                     perSecond=1) for s in seriesList]


@function("Transform", [SL])
def integral(ctx, seriesList):
    """Running total of the values (nulls stay null and add nothing)."""
    out = []
    for s in seriesList:
        v = np.cumsum(np.nan_to_num(s.values, nan=0.0))
        v[np.isnan(s.values)] = np.nan
        out.append(_derived(s, f"integral({s.name})", v, integral=1))
    return out


@function("Transform", [SL, Param("limit", "intOrInf", default=math.inf)])
def keepLastValue(ctx, seriesList, limit=math.inf):
    """Fills runs of nulls with the last value seen, for runs up to `limit` points long."""
    lim = math.inf if limit is None else float(limit)
    out = []
    for s in seriesList:
        v = s.values.copy()
        nan = np.isnan(v)
        i, n = 0, len(v)
        while i < n:
            if not nan[i]:
                i += 1
                continue
            j = i
            while j < n and nan[j]:
                j += 1
            if i > 0 and j - i <= lim:  # a leading run has nothing to keep
                v[i:j] = v[i - 1]
            i = j
        out.append(_derived(s, f"keepLastValue({s.name})", v))
    return out


@function("Transform", [SL, Param("default", "float", default=0), Param("referenceSeries", "seriesList")])
def transformNull(ctx, seriesList, default=0, referenceSeries=None):
    """Replaces nulls with a constant (only where referenceSeries has a value, if given)."""
    d = as_float(default, "transformNull", "default")
    out = []
    for s in seriesList:
        mask = np.isnan(s.values)
        if referenceSeries:
            ref = np.zeros(len(s.values), bool)
            for r in referenceSeries:
                rv = r.values[: len(s.values)]
                ref[: len(rv)] |= ~np.isnan(rv)
            mask &= ref
        v = np.where(mask, d, s.values)
        out.append(_derived(s, f"transformNull({s.name},{fmt_g(d)})", v, transformNull=d))
    return out


@function("Transform", [SL, Param("seconds", "float", required=True)])
def scaleToSeconds(ctx, seriesList, seconds):
    """Scales per-step values to per-`seconds` values (value * seconds / step)."""
    secs = as_float(seconds, "scaleToSeconds", "seconds")
    return [_derived(s, f"scaleToSeconds({s.name},{int(secs)})", s.values * (secs / s.step), scaleToSeconds=secs)
            for s in seriesList]


@function("Transform", [SL, Param("intervalString", "interval", required=True, suggestions=["10min", "1h", "1d"]),
                        Param("func", "aggFunc", default="sum"), Param("alignToFrom", "boolean", default=False)])
def summarize(ctx, seriesList, intervalString, func="sum", alignToFrom=False):
    """Buckets the values into intervals (aligned to the interval, or to `from`) and
    aggregates each bucket."""
    step = interval(intervalString, "summarize", "intervalString")
    if step <= 0:
        raise QueryError(f"summarize: intervalString must be positive, got {intervalString!r}")
    out = []
    for s in seriesList:
        ts = s.timestamps
        if alignToFrom:
            start, end = s.start, s.end
            keys = (ts - s.start) // step
            slots = np.arange(0, max(1, math.ceil((end - start) / step)))
            new_end = start + len(slots) * step
        else:
            start = s.start - s.start % step
            end = s.end - s.end % step + step
            keys = (ts - ts % step - start) // step
            slots = np.arange(0, (end - start) // step)
            new_end = end
        values = np.full(len(slots), np.nan)
        for k in slots.tolist():
            bucket = s.values[keys == k]
            bucket = bucket[~np.isnan(bucket)]
            if len(bucket):
                values[k] = series_stat(bucket, func)
        name = f'summarize({s.name}, "{intervalString}", "{func}"{", true" if alignToFrom else ""})'
        r = _derived(s, name, values, summarize=intervalString, summarizeFunction=func)
        r.start, r.end, r.step, r.values_per_point = start, new_end, step, 1
        out.append(r)
    return out


@function("Transform", [SL, Param("intervalString", "interval", required=True), Param("alignToInterval", "boolean", default=False)],
          lazy=True)
async def hitcount(ctx, seriesList, intervalString, alignToInterval=False):
    """Counts of events per interval from per-second rates (value * seconds covered).
    Buckets end where the series ends; with alignToInterval the series is fetched again from
    the start of the day, hour or minute holding `from`, in the request's time zone."""
    step = interval(intervalString, "hitcount", "intervalString")
    if step <= 0:
        raise QueryError(f"hitcount: intervalString must be a positive interval, got {intervalString!r}")
    if alignToInterval:
        series_list = await ctx.with_range(_truncated_start(ctx, step), ctx.end).evaluate(seriesList)
    else:
        series_list = await ctx.evaluate(seriesList)
    out = []
    for s in series_list:
        end = s.end
        if alignToInterval:
            end = s.start + (s.end - s.start) // step * step + step
        buckets = max(0, math.ceil((end - s.start) / step))
        new_start = end - buckets * step
        values = np.full(buckets, np.nan)
        for i, v in enumerate(s.values.tolist()):
            if v != v:
                continue
            t = s.start + i * s.step
            first, first_mod = divmod(t - new_start, step)
            last, last_mod = divmod(t + s.step - new_start, step)
            if last >= buckets:
                last, last_mod = buckets - 1, step
            # the point covers [t, t + s.step): each bucket gets the seconds it overlaps
            if first == last:
                if first >= 0:
                    values[first] = np.nansum([values[first], v * (last_mod - first_mod)])
                continue
            if first >= 0:
                values[first] = np.nansum([values[first], v * (step - first_mod)])
            for j in range(max(first + 1, 0), last):
                values[j] = np.nansum([values[j], v * step])
            if last_mod > 0:
                values[last] = np.nansum([values[last], v * last_mod])
        name = f'hitcount({s.name}, "{intervalString}"{", true" if alignToInterval else ""})'
        r = _derived(s, name, values, hitcount=intervalString)
        r.start, r.end, r.step = new_start, end, step
        out.append(r)
    return out


def _truncated_start(ctx, step: int) -> int:
    """ctx.start cut back to its day, hour or minute (by the interval), in the request's zone."""
    from datetime import datetime, timezone

    tz = ctx.tz or timezone.utc
    t = datetime.fromtimestamp(ctx.start, tz)
    if step >= 86400:
        t = t.replace(hour=0, minute=0, second=0, microsecond=0)
    elif step >= 3600:
        t = t.replace(minute=0, second=0, microsecond=0)
    elif step >= 60:
        t = t.replace(second=0, microsecond=0)
    return int(t.timestamp())


@function("Transform", [SL, Param("timeShift", "interval", required=True, suggestions=["1h", "6h", "12h", "1d", "2d", "7d", "14d", "30d"]),
                        Param("resetEnd", "boolean", default=True), Param("alignDST", "boolean", default=False)], lazy=True)
async def timeShift(ctx, seriesList, timeShift, resetEnd=True, alignDST=False):
    """Draws the series as it was some time ago (a missing sign means into the past)."""
    delta = interval(timeShift, "timeShift", "timeShift", default_sign=-1)
    shifted = await ctx.with_range(ctx.start + delta, ctx.end + delta).evaluate(seriesList)
    label = str(timeShift)
    if label[:1].isdigit():  # graphite-web writes the implied sign into the name and tag
        label = "-" + label
    out = []
    for s in shifted:
        r = _derived(s, f'timeShift({s.name}, "{label}")', s.values.copy(), timeShift=label)
        r.start, r.end = s.start - delta, s.end - delta
        if resetEnd and r.end > ctx.end + r.step:
            keep = max(0, (ctx.end - r.start) // r.step + 1)
            r.values = r.values[:keep]
            r.end = r.start + len(r.values) * r.step
        out.append(r)
    return out


def _elementwise(name: str, fn, doc: str, params=(), tag=True, fmt=None, keep_nulls=True):
    """Register a function that maps every value on its own (nulls stay null)."""
    @function("Transform", [SL, *params], name=name)
    def mapped(ctx, seriesList, *args):
        out = []
        for s in seriesList:
            with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
                v = fn(s.values, *args)
            label = fmt(s, *args) if fmt else f"{name}({s.name})"
            extra = {name: tag(*args)} if callable(tag) else ({name: args[0] if args else 1} if tag else {})
            out.append(_derived(s, label, v if keep_nulls is False else np.where(np.isnan(s.values), np.nan, v), **extra))
        return out

    mapped.__doc__ = doc
    return mapped


def _safe_log(values, base=10):
    b = as_float(base, "log", "base")
    return np.where(values > 0, np.log(np.where(values > 0, values, 1.0)) / np.log(b), np.nan)


invert = _elementwise("invert", lambda v: np.where(v == 0, np.nan, 1.0 / np.where(v == 0, 1.0, v)), "1/value (null for 0).",
                      tag=True)
squareRoot = _elementwise("squareRoot", lambda v: np.where(v >= 0, np.sqrt(np.abs(v)), np.nan), "Square root (null below 0).")
log = _elementwise("log", _safe_log, "Logarithm in base `base` (default 10); null for values <= 0.",
                   params=(Param("base", "integer", default=10),), fmt=lambda s, base=10: f"log({s.name}, {base})",
                   tag=lambda base=10: base)
pow = _elementwise("pow", lambda v, f: np.power(v, as_float(f, "pow", "factor")), "Every value raised to a power.",
                   params=(Param("factor", "float", required=True),), fmt=lambda s, f: f"pow({s.name},{fmt_g(as_float(f, 'pow', 'factor'))})",
                 tag=lambda f: float(f))
isNonNull = _elementwise("isNonNull", lambda v: (~np.isnan(v)).astype(float), "1 where there is a value, 0 where null.",
                         tag=lambda: 1, keep_nulls=False)

@function("Transform", [SL])
def offsetToZero(ctx, seriesList):
    """Shifts each series so its minimum is 0."""
    out = []
    for s in seriesList:
        known = s.values[~np.isnan(s.values)]
        low = known.min() if len(known) else 0.0
        out.append(_derived(s, f"offsetToZero({s.name})", s.values - low, offsetToZero=low))
    return out


@function("Transform", [SL, Param("precision", "integer", default=0)])
def round(ctx, seriesList, precision=0):  # noqa: A001 - graphite's name
    """Rounds every value to `precision` decimals."""
    p = as_int(precision or 0, "round", "precision")
    # Python's round() per value, as graphite-web: numpy rounds the binary value differently
    return [_derived(s, f"round({s.name},{p})" if precision else f"round({s.name})",
                     np.array([v if v != v else builtins.round(v, p) for v in s.values.tolist()], np.float64), round=p)
            for s in seriesList]


@function("Transform", [SL, Param("steps", "integer", required=True)])
def delay(ctx, seriesList, steps):
    """Shifts the values `steps` points later (earlier with a negative number)."""
    n = as_int(steps, "delay", "steps")
    out = []
    for s in seriesList:
        v = np.full(len(s.values), np.nan)
        if n >= 0:
            v[n:] = s.values[: len(s.values) - n] if n < len(s.values) else []
        else:
            v[:n] = s.values[-n:]
        out.append(_derived(s, f"delay({s.name},{n})", v, delay=n))
    return out


@function("Transform", [SL])
def minMax(ctx, seriesList):
    """Scales each series to 0..1 between its minimum and maximum."""
    out = []
    for s in seriesList:
        known = s.values[~np.isnan(s.values)]
        lo, hi = (known.min(), known.max()) if len(known) else (0.0, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            v = (s.values - lo) / (hi - lo) if hi != lo else np.where(np.isnan(s.values), np.nan, 0.0)
        out.append(_derived(s, f"minMax({s.name})", v))
    return out
