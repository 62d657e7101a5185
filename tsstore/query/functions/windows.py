"""Calculate: moving windows (movingWindow, the engine of movingAverage/movingSum/...) and the
exponential moving average.

Both fetch the window before `from` too, as graphite-web's bootstrap does: the series
argument is evaluated again over [from - window, until) and the result starts `window`
seconds after that fetch's first point. A window function sees the non-null values of the
points before each point (not the point itself); it runs on numpy views of all windows at
once (sliding_window_view: sums, averages, minima and maxima straight from the strided
windows; the other functions in chunks, so a long window over a long series stays small,
with sums added left to right as Python's sum() in graphite-web).
"""
from __future__ import annotations

import asyncio

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from tsstore.query.errors import QueryError
from tsstore.query.functions._common import as_float, interval
from tsstore.query.functions.registry import AGG_FUNCS, Param, function
from tsstore.query.series import TimeSeries

WINDOW_SUGGESTIONS = [5, 7, 10, "1min", "5min", "10min", "30min", "1hour"]
_CHUNK = 1 << 20  # window values handled per numpy step (8 MiB of float64)
# functions reduced straight from the strided windows, with the value a null is replaced by
_FAST = {"sum": 0.0, "total": 0.0, "average": 0.0, "avg": 0.0, "avg_zero": 0.0, "count": 0.0,
         "min": np.inf, "max": -np.inf}


# -- window arithmetic -------------------------------------------------------------------
def _seq_sum(m: np.ndarray) -> np.ndarray:
    """Row sums added left to right (Python's sum(), not numpy's pairwise sum)."""
    if m.shape[1] == 0:
        return np.zeros(m.shape[0])
    return np.add.accumulate(m, axis=1)[:, -1]


def reduce_rows(block: np.ndarray, func: str) -> np.ndarray:
    """graphite-web's aggregation function of the non-null values of each row (NaN = null);
    a row without values gives NaN."""
    known = ~np.isnan(block)
    cnt = known.sum(axis=1)
    rows = np.arange(block.shape[0])
    width = block.shape[1]
    zeroed = np.where(known, block, 0.0)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        if func in ("sum", "total"):
            out = _seq_sum(zeroed)
        elif func in ("average", "avg", "avg_zero"):  # avg_zero of non-null values is their average
            out = _seq_sum(zeroed) / cnt
        elif func == "count":
            out = cnt.astype(np.float64)
        elif func == "min":
            out = np.min(np.where(known, block, np.inf), axis=1) if width else np.full(len(rows), np.nan)
        elif func == "max":
            out = np.max(np.where(known, block, -np.inf), axis=1) if width else np.full(len(rows), np.nan)
        elif func in ("range", "rangeOf"):
            if not width:
                return np.full(len(rows), np.nan)
            out = np.max(np.where(known, block, -np.inf), axis=1) - np.min(np.where(known, block, np.inf), axis=1)
        elif func == "median":
            ordered = np.sort(block, axis=1)  # nulls sort last
            mid = cnt // 2
            hi = ordered[rows, np.minimum(mid, max(width - 1, 0))] if width else np.full(len(rows), np.nan)
            lo = ordered[rows, np.maximum(mid - 1, 0)] if width else hi
            out = np.where(cnt % 2 == 0, (lo + hi) / 2, hi)
        elif func == "diff":  # the first value minus the others, added in order
            first = np.argmax(known, axis=1)
            terms = -zeroed
            if width:
                terms[rows, first] = zeroed[rows, first]
            out = _seq_sum(terms)
        elif func == "stddev":  # population standard deviation
            mean = _seq_sum(zeroed) / cnt
            dev = block - mean[:, None]
            out = np.sqrt(_seq_sum(np.where(known, dev * dev, 0.0)) / cnt)
        elif func == "multiply":
            ones = np.where(known, block, 1.0)
            out = np.multiply.accumulate(ones, axis=1)[:, -1] if width else np.ones(len(rows))
        elif func in ("last", "current"):
            out = block[rows, width - 1 - np.argmax(known[:, ::-1], axis=1)] if width else np.full(len(rows), np.nan)
        else:
            raise QueryError(f"unsupported aggregation function {func!r}")
    return np.where(cnt > 0, out, np.nan)


def window_reduce(values: np.ndarray, points: int, func: str, xff: float) -> np.ndarray:
    """For each point from index `points` on: `func` of the non-null values among the
    `points` values before it, null when fewer than xff * points of them are non-null."""
    n = len(values) - points
    if n <= 0:
        return np.empty(0)
    if points <= 0:
        return np.full(n, np.nan)
    nulls = np.isnan(values)
    counts = np.cumsum(np.concatenate(([0], ~nulls)))
    known = counts[points:points + n] - counts[:n]
    fill = _FAST.get(func)
    with np.errstate(invalid="ignore", divide="ignore"):
        if fill is not None:
            # the common functions reduce the strided windows of one null-filled copy
            # (no copy per window; numpy's pairwise sum differs from graphite-web's
            # left-to-right one only in the last bits)
            windows = sliding_window_view(np.where(nulls, fill, values), points)[:n]
            if func in ("min", "max"):
                out = windows.min(axis=1) if func == "min" else windows.max(axis=1)
            elif func == "count":
                out = known.astype(np.float64)
            else:
                out = windows.sum(axis=1)
                if func not in ("sum", "total"):
                    out = out / known
        else:
            windows = sliding_window_view(values, points)[:n]
            out = np.empty(n)
            rows = max(1, _CHUNK // points)
            for lo in range(0, n, rows):
                out[lo:lo + rows] = reduce_rows(windows[lo:lo + rows], func)
    ok = (known > 0) & (known / points >= (xff or 0.0))
    return np.where(ok, out, np.nan)


def graphite_points(values: np.ndarray, start: int, end: int, step: int) -> np.ndarray:
    """The values graphite-web renders: it pairs them with range(start, end + 1, step), so a
    series with more values than that range has its tail dropped."""
    room = max(0, (end - start) // step + 1) if step > 0 and end >= start else 0
    return values[:room]


def shifted(s: TimeSeries, name: str, values: np.ndarray, start: int, tags: dict | None = None,
            path_expression: str | None = None) -> TimeSeries:
    """A copy of s with new name/values starting at `start`, trimmed to what graphite-web
    renders for a series that keeps s's end."""
    vals = graphite_points(values, start, s.end, s.step)
    r = s.copy(name=name, values=vals, start=start, end=start + len(vals) * s.step,
               path_expression=path_expression or name)
    if tags is not None:
        r.tags = tags
    return r


# -- fetching with history ----------------------------------------------------------------
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
    largest step among the series."""
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
    if func not in AGG_FUNCS:
        raise QueryError(f"{fname}: func must be one of {', '.join(AGG_FUNCS)}, got {func!r}")
    need = None if xff is None else as_float(xff, fname, "xFilesFactor")
    points, seconds, label = parse_window(window_size, fname)
    hist, preview = await with_history(ctx, expr, points, seconds)
    tag = "moving" + func.capitalize()
    out = []
    for s in hist:
        wp = preview // s.step if seconds is not None else points
        name = f"{tag}({s.name},{label})"
        vals = window_reduce(s.values, wp, func, s.xfiles_factor if need is None else need)
        r = shifted(s, name, vals, s.start + preview)
        r.tags[tag] = str(window_size)
        out.append(r)
    return out


@function("Calculate", [Param("seriesList", "seriesList", required=True),
                        Param("windowSize", "intOrInterval", required=True, suggestions=WINDOW_SUGGESTIONS),
                        Param("func", "aggFunc", default="average"), Param("xFilesFactor", "float")], lazy=True)
async def movingWindow(ctx, seriesList, windowSize, func="average", xFilesFactor=None):
    """`func` of the preceding window (a number of points or an interval) at each point;
    null where fewer than xFilesFactor of the window's points are non-null."""
    return await moving_window(ctx, seriesList, windowSize, func, xFilesFactor, "movingWindow")


@function("Calculate", [Param("seriesList", "seriesList", required=True),
                        Param("windowSize", "intOrInterval", required=True, suggestions=WINDOW_SUGGESTIONS)], lazy=True)
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
