"""Transform: the series moved or cut in time (timeShift, timeStack, timeSlice, delay)."""
from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import numpy as np

from tsstore.query.attime import UTC, AtTimeError, parse_time
from tsstore.query.errors import QueryError
from tsstore.query.functions.params import SHIFT_SUGGESTIONS, SL, as_int, interval
from tsstore.query.functions.registry import Param, function
from tsstore.query.functions.results import derived, graphite_points, renamed


def _in_dst(ts: int, tz) -> bool:
    return bool(datetime.fromtimestamp(ts, tz or UTC).dst())


def _dst_offset(ctx, start: int, end: int) -> int:
    """graphite-web's alignDST: +1h when the request range lies wholly in DST and the shifted
    one wholly outside, -1h the other way round, else 0. DST is read in the request's time
    zone (graphite-web reads the server's; the same when they agree)."""
    req = (_in_dst(ctx.start, ctx.tz), _in_dst(ctx.end, ctx.tz))
    mine = (_in_dst(start, ctx.tz), _in_dst(end, ctx.tz))
    if all(req) and not any(mine):
        return 3600
    if not any(req) and all(mine):
        return -3600
    return 0


@function("Transform", [SL, Param("timeShift", "interval", required=True, suggestions=SHIFT_SUGGESTIONS),
                        Param("resetEnd", "boolean", default=True), Param("alignDst", "boolean", default=False)], lazy=True)
async def timeShift(ctx, seriesList, timeShift, resetEnd=True, alignDst=False, alignDST=None):
    """Draws the series as it was some time ago (a missing sign means into the past);
    alignDst moves the shifted range by an hour when only one of the two ranges is in DST."""
    # alignDST: graphite-web's Python name for alignDst, which it also accepts by keyword
    align = alignDst if alignDST is None else alignDST
    delta = interval(timeShift, "timeShift", "timeShift", default_sign=-1)
    start, end = ctx.start + delta, ctx.end + delta
    if align:
        offset = _dst_offset(ctx, start, end)
        start, end = start + offset, end + offset
    # graphite-web evaluates the unshifted list too: the first series gives every shifted
    # one its start (and end), whatever step the shifted range was read at
    base, shifted = await asyncio.gather(ctx.evaluate(seriesList), ctx.with_range(start, end).evaluate(seriesList))
    if not base:
        return []
    label = str(timeShift)
    if label[:1].isdigit():  # graphite-web writes the implied sign into the name and tag
        label = "-" + label
    first = base[0]
    out = []
    for s in shifted:
        r_end = first.end if resetEnd else s.end - s.start + first.start
        values = graphite_points(s.values, first.start, r_end, s.step)
        # graphite-web renames the series in place: its pathExpression stays the one it was fetched with
        r = renamed(s, f'timeShift({s.name}, "{label}")', timeShift=label)
        r.values, r.start, r.end = values.copy(), first.start, first.start + len(values) * s.step
        out.append(r)
    return out


@function("Transform", [SL, Param("timeShiftUnit", "interval", default="1d", suggestions=SHIFT_SUGGESTIONS),
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
    # every copy is a fetch of its own, all started at once: checked together before any (the
    # copies' fetches charge what they read)
    ctx.budget.check(f"timeStack with {len(shifts)} shifts of {len(base)} series would make",
                     points=len(shifts) * sum(len(s.values) for s in base), series=len(shifts) * len(base))
    fetched = await asyncio.gather(*(ctx.with_range(ctx.start + delta * k, ctx.end + delta * k).evaluate(seriesList)
                                     for k in shifts))
    out = []
    for k, shifted in zip(shifts, fetched):
        for s in shifted:
            name = f"timeShift({s.name}, {unit}, {k})"
            keep = max(0, (end - start) // s.step + 1)  # graphite-web draws only the points inside the range
            r = derived(s, name, s.values[:keep].copy(), timeShiftUnit=unit, timeShift=k)
            r.start, r.end = start, end
            out.append(r)
    return out


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
        out.append(derived(s, f"delay({s.name},{n})", v, delay=n))
    return out
