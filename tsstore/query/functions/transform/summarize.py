"""Transform: values re-bucketed into intervals (summarize, hitcount, smartSummarize,
compressPeriodicGaps); each bucket aggregated with the aggregation table."""
from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

import numpy as np

from tsstore.query import aggregation
from tsstore.query.aggregation import series_stat
from tsstore.query.attime import UTC
from tsstore.query.errors import QueryError
from tsstore.query.functions.params import SL, agg_func, interval
from tsstore.query.functions.registry import Param, function
from tsstore.query.functions.results import derived
from tsstore.query.series import TimeSeries

ALIGN_UNITS = ["years", "months", "weeks", "days", "hours", "minutes", "seconds"]


@function("Transform", [SL, Param("intervalString", "interval", required=True, suggestions=["10min", "1h", "1d"]),
                        Param("func", "aggFunc", default="sum"), Param("alignToFrom", "boolean", default=False)])
def summarize(ctx, seriesList, intervalString, func="sum", alignToFrom=False):
    """Buckets the values into intervals (aligned to the interval, or to `from`) and
    aggregates each bucket."""
    step = interval(intervalString, "summarize", "intervalString")
    if step <= 0:
        raise QueryError(f"summarize: intervalString must be positive, got {intervalString!r}")

    def buckets(s: TimeSeries) -> tuple[int, int]:
        """(first bucket's start, number of buckets) of one series."""
        if alignToFrom:
            return s.start, max(1, math.ceil((s.end - s.start) / step))
        start = s.start - s.start % step
        return start, (s.end - s.end % step + step - start) // step

    plans = [buckets(s) for s in seriesList]
    # an interval far below the step makes far more points than it reads: charged first
    ctx.budget.charge(f"summarize with intervalString {intervalString!r} would make", points=sum(n for _, n in plans))
    out = []
    for s, (start, count) in zip(seriesList, plans):
        ts = s.timestamps
        keys = (ts - s.start) // step if alignToFrom else (ts - ts % step - start) // step
        new_end = start + count * step
        values = np.full(count, np.nan)
        # the keys rise with the timestamps: each bucket's points are one run of them, so only
        # the buckets holding points are visited (not every bucket of a small interval)
        inside = (keys >= 0) & (keys < count)
        keys, vals = keys[inside], s.values[inside]
        bounds = np.flatnonzero(np.diff(keys)) + 1
        for lo, hi in zip([0, *bounds.tolist()], [*bounds.tolist(), len(keys)]):
            bucket = vals[lo:hi]
            bucket = bucket[~np.isnan(bucket)]
            if len(bucket):
                values[keys[lo]] = series_stat(bucket, func)
        name = f'summarize({s.name}, "{intervalString}", "{func}"{", true" if alignToFrom else ""})'
        r = derived(s, name, values, summarize=intervalString, summarizeFunction=func)
        r.start, r.end, r.step, r.values_per_point = start, new_end, step, 1
        out.append(r)
    return out


@function("Transform", [SL, Param("intervalString", "interval", required=True, suggestions=["10min", "1h", "1d"]),
                        Param("alignToInterval", "boolean", default=False)], lazy=True)
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

    def plan(s: TimeSeries) -> tuple[int, int]:
        """(end, number of buckets) of one series."""
        end = s.start + (s.end - s.start) // step * step + step if alignToInterval else s.end
        return end, max(0, math.ceil((end - s.start) / step))

    plans = [plan(s) for s in series_list]
    ctx.budget.charge(f"hitcount with intervalString {intervalString!r} would make", points=sum(n for _, n in plans))
    out = []
    for s, (end, buckets) in zip(series_list, plans):
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
            # the buckets between lie inside this point alone (points cover disjoint spans), so
            # they are still null: each gets the whole interval's count
            if max(first + 1, 0) < last:
                values[max(first + 1, 0):last] = v * step
            if last_mod > 0:
                values[last] = np.nansum([values[last], v * last_mod])
        name = f'hitcount({s.name}, "{intervalString}"{", true" if alignToInterval else ""})'
        r = derived(s, name, values, hitcount=intervalString)
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
    return aggregation.reduce(m, func, axis=1, size=sizes, xff=s.xfiles_factor, expected=step / s.step)


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


def truncate(dt: datetime, unit: str, align_to: str) -> datetime:
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
    agg_func(func, "smartSummarize")
    fetch_ctx = ctx
    if alignTo is not None and not isinstance(alignTo, bool):  # a boolean is the old alignToFrom: ignored
        if not isinstance(alignTo, str) or not alignTo:
            raise QueryError(f"smartSummarize: alignTo must be one of {', '.join(ALIGN_UNITS)}, got {alignTo!r}")
        unit = _align_unit(alignTo)
        if unit == "weeks" and not alignTo[-1].isalpha() and not alignTo[-1].isdigit():
            raise QueryError(f"smartSummarize: alignTo {alignTo!r}: a week day must be a digit 1-7")
        start = datetime.fromtimestamp(ctx.start, ctx.tz or UTC)
        fetch_ctx = ctx.with_range(int(truncate(start, unit, alignTo).timestamp()), ctx.end)
    series = await fetch_ctx.evaluate(seriesList)
    ctx.budget.charge(f"smartSummarize with intervalString {intervalString!r} would make",
                      points=sum(max(0, math.ceil((s.end - s.start) / step)) for s in series))
    out = []
    for s in series:
        values = _bucket_aggregate(s, func, step, s.start, s.end)
        name = f'smartSummarize({s.name}, "{intervalString}", "{func}")'
        r = derived(s, name, values, smartSummarize=intervalString, smartSummarizeFunction=func)
        r.end, r.step, r.values_per_point = s.start + len(values) * step, step, 1
        out.append(r)
    return out
