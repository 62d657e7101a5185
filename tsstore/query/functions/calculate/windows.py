"""Calculate: moving windows (movingWindow and its named forms movingAverage, movingSum, ...),
the exponential moving average and the moving standard deviation (stdev).

movingWindow and exponentialMovingAverage fetch the window before `from` too, as
graphite-web's bootstrap does: the series argument is evaluated again over
[from - window, until) and the result starts `window` seconds after that fetch's first point. A window function sees the non-null values of the
points before each point (not the point itself): aggregation.over_windows.
"""
from __future__ import annotations

import asyncio

import numpy as np

from tsstore.query import aggregation
from tsstore.query.errors import QueryError
from tsstore.query.functions.params import (
    SL,
    WINDOW,
    XFF,
    agg_func,
    as_float,
    as_int,
    interval,
)
from tsstore.query.functions.registry import Param, function
from tsstore.query.functions.results import shifted
from tsstore.query.series import TimeSeries

def parse_window(window_size, fname: str) -> tuple[int | None, int | None, str]:
    """(points, seconds, label): a number of points, or an interval string (its sign is
    ignored, as graphite-web does); label is how the name shows it."""
    if isinstance(window_size, str):
        seconds = abs(interval(window_size, fname, "windowSize"))
        if seconds <= 0:
            raise QueryError(f"{fname}: windowSize must be a positive interval, got {window_size!r}")
        return None, seconds, f'"{window_size}"'
    if isinstance(window_size, (int, float)) and not isinstance(window_size, bool) and int(window_size) > 0:
        return int(window_size), None, str(window_size)
    raise QueryError(f"{fname}: windowSize must be a positive number of points or an interval string, got {window_size!r}")


async def with_history(ctx, expr, points: int | None, seconds: int | None) -> tuple[list[TimeSeries], int]:
    """(series over [from - window, until), window seconds); nothing when the series
    argument gives nothing over the requested range. A window in points is that many of the
    largest step among the series. The history's points are charged to the render budget by
    the evaluation that makes them (the store read, clamped to the retention, or a generator
    over the whole window), before they are built: a huge window is refused there."""
    if seconds is not None:
        base, hist = await asyncio.gather(ctx.evaluate(expr), ctx.with_range(ctx.start - seconds, ctx.end).evaluate(expr))
        return (hist if base else []), seconds
    base = await ctx.evaluate(expr)
    if not base:
        return [], 0
    preview = max(s.step for s in base) * points
    return await ctx.with_range(ctx.start - preview, ctx.end).evaluate(expr), preview


async def moving_window(ctx, expr, window_size, func: str, xff, fname: str) -> list[TimeSeries]:
    """movingWindow and its named forms: the result is named and tagged 'moving' + Func."""
    agg_func(func, fname)
    need = None if xff is None else as_float(xff, fname, "xFilesFactor")
    points, seconds, label = parse_window(window_size, fname)
    hist, preview = await with_history(ctx, expr, points, seconds)
    tag = "moving" + func.capitalize()
    out = []
    for s in hist:
        wp = preview // s.step if seconds is not None else points
        name = f"{tag}({s.name},{label})"
        vals = aggregation.over_windows(s.values, wp, func, s.xfiles_factor if need is None else need)
        r = shifted(s, name, vals, s.start + preview)
        r.tags[tag] = str(window_size)
        out.append(r)
    return out


@function("Calculate", [SL,
                        WINDOW,
                        Param("func", "aggFunc", default="average"), XFF], lazy=True)
async def movingWindow(ctx, seriesList, windowSize, func="average", xFilesFactor=None):
    """`func` of the preceding window (a number of points or an interval) at each point;
    null where fewer than xFilesFactor of the window's points are non-null."""
    return await moving_window(ctx, seriesList, windowSize, func, xFilesFactor, "movingWindow")


def _register(func: str, tag: str, doc: str):
    @function("Calculate", [SL, WINDOW, XFF], name=tag, lazy=True)
    async def moving(ctx, seriesList, windowSize, xFilesFactor=None):
        return await moving_window(ctx, seriesList, windowSize, func, xFilesFactor, tag)

    moving.__doc__ = doc
    return moving


movingAverage = _register("average", "movingAverage", "Average of the preceding window (points or interval) at each point.")
movingSum = _register("sum", "movingSum", "Sum of the preceding window at each point.")
movingMin = _register("min", "movingMin", "Minimum of the preceding window at each point.")
movingMax = _register("max", "movingMax", "Maximum of the preceding window at each point.")
movingMedian = _register("median", "movingMedian", "Median of the preceding window at each point.")


@function("Calculate", [SL,
                        WINDOW], lazy=True)
async def exponentialMovingAverage(ctx, seriesList, windowSize):
    """Exponential moving average: ema = c * value + (1 - c) * previous ema with
    c = 2 / (windowSize + 1) (windowSize in seconds for an interval), seeded with the
    average of the first window; values rounded to 6 decimals, nulls stay null."""
    points, seconds, label = parse_window(windowSize, "exponentialMovingAverage")
    hist, preview = await with_history(ctx, seriesList, points, seconds)
    c = 2.0 / ((seconds if seconds is not None else points) + 1)
    out = []
    for s in hist:
        wp = preview // s.step if seconds is not None else points
        head = s.values[:wp]
        head = head[~np.isnan(head)]
        ema = float(np.add.accumulate(head)[-1] / len(head)) if len(head) else 0.0
        # A recurrence: each value needs the previous one, so this runs point by point
        # (in graphite-web's float order); nulls keep the running value and stay null.
        res = [round(ema, 6)]
        for v in s.values[wp:].tolist():
            if v != v:
                res.append(None)
            else:
                ema = c * v + (1 - c) * ema
                res.append(round(ema, 6))
        vals = np.array(res, dtype=np.float64)  # None -> nan
        # one more value than the points after the window: graphite-web draws the last one at `until`
        r = shifted(s, f"exponentialMovingAverage({s.name},{label})", vals, s.start + preview)
        r.tags["exponentialMovingAverage"] = str(windowSize)
        out.append(r)
    return out


@function("Calculate", [SL, Param("points", "integer", required=True), Param("windowTolerance", "float", default=0.1)])
def stdev(ctx, seriesList, points, windowTolerance=0.1):
    """Standard deviation of the last `points` points (this one included) at each point;
    null where the share of non-null points in the window is below windowTolerance."""
    p = as_int(points, "stdev", "points")
    if p < 1 or (isinstance(points, float) and not points.is_integer()):
        raise QueryError(f"stdev: points must be a positive integer, got {points!r}")
    tol = as_float(windowTolerance, "stdev", "windowTolerance")
    out = []
    for s in seriesList:
        v = s.values
        n = len(v)
        known = ~np.isnan(v)
        new = np.where(known, v, 0.0)
        dropped = np.zeros(n)
        dropped[p:] = new[: max(0, n - p)]
        # graphite-web keeps running sums, taking the value leaving the window off before
        # adding the new one; accumulating the interleaved steps in that order gives the
        # same floats (its rounding drift included).
        steps = np.empty(2 * n)
        steps[0::2], steps[1::2] = -dropped, new
        total = np.add.accumulate(steps)[1::2] if n else np.empty(0)
        steps[0::2], steps[1::2] = -dropped * dropped, new * new
        squares = np.add.accumulate(steps)[1::2] if n else np.empty(0)
        seen = np.cumsum(known)
        valid = seen - np.concatenate((np.zeros(min(p, n), np.int64), seen[: max(0, n - p)]))
        with np.errstate(invalid="ignore", divide="ignore"):
            dev = np.sqrt(valid * squares - total * total) / valid
        ok = (valid > 0) & (valid / p >= tol)
        name = f"stdev({s.name},{p})"
        r = s.copy(name=name, path_expression=name, values=np.where(ok, dev, np.nan))
        r.tags["stdev"] = str(p)
        out.append(r)
    return out
