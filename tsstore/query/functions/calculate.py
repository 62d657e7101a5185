"""Calculate: moving windows and other derived statistics."""
from __future__ import annotations

import math

import numpy as np

from tsstore.index import tags as tagging
from tsstore.query.errors import QueryError
from tsstore.query.functions._common import as_float, as_int, fmt_g
from tsstore.query.functions.registry import AGG_FUNCS, Param, function
from tsstore.query.functions.windows import WINDOW_SUGGESTIONS, moving_window, reduce_rows
from tsstore.query.series import TimeSeries

WINDOW = Param("windowSize", "intOrInterval", required=True, suggestions=WINDOW_SUGGESTIONS)
SL = Param("seriesList", "seriesList", required=True)


def _register(func: str, tag: str, doc: str):
    @function("Calculate", [SL, WINDOW, Param("xFilesFactor", "float")], name=tag, lazy=True)
    async def moving(ctx, seriesList, windowSize, xFilesFactor=None):
        return await moving_window(ctx, seriesList, windowSize, func, xFilesFactor, tag)

    moving.__doc__ = doc
    return moving


movingAverage = _register("average", "movingAverage", "Average of the preceding window (points or interval) at each point.")
movingSum = _register("sum", "movingSum", "Sum of the preceding window at each point.")
movingMin = _register("min", "movingMin", "Minimum of the preceding window at each point.")
movingMax = _register("max", "movingMax", "Maximum of the preceding window at each point.")
movingMedian = _register("median", "movingMedian", "Median of the preceding window at each point.")


def _whole_series_stat(values: np.ndarray, func: str):
    """graphite-web's aggregation function over a whole series, nulls included: None when
    it has no value, except count (0) and avg_zero (nulls count as 0); multiply is None
    when any value is null. count gives an int, as graphite-web's len()."""
    known = ~np.isnan(values)
    if func == "count":
        return int(known.sum())
    if func == "avg_zero":
        if not len(values):
            return None
        return float(np.add.accumulate(np.where(known, values, 0.0))[-1] / len(values))
    if func == "multiply" and not known.all():
        return None
    v = float(reduce_rows(values[None, :], func)[0])
    return None if math.isnan(v) else v


@function("Calculate", [SL, Param("func", "aggFunc", default="average"), Param("keepStep", "boolean", default=False)])
def aggregateLine(ctx, seriesList, func="average", keepStep=False):
    """A horizontal line at `func` of each series (a three-point line across the range, or
    one value per point of the series with keepStep)."""
    if func not in AGG_FUNCS:
        raise QueryError(f"aggregateLine: func must be one of {', '.join(AGG_FUNCS)}, got {func!r}")
    out = []
    for s in seriesList:
        value = _whole_series_stat(s.values, func)
        name = f"aggregateLine({s.name}, {'None' if value is None else fmt_g(value)})"
        v = np.nan if value is None else float(value)
        if keepStep:
            out.append(s.copy(name=name, path_expression=name, values=np.full(len(s.values), v)))
        else:
            # graphite-web draws constantLine(value) renamed: its name tag stays str(value)
            step = max(1, (ctx.end - ctx.start) // 2)
            out.append(TimeSeries(name, ctx.start, ctx.start + 3 * step, step, np.full(3, v), name, {"name": str(value)}))
    return out


def _percentile(ordered: np.ndarray, n: float) -> float:
    """NIST percentile of sorted non-null values, nearest rank (graphite-web's, no interpolation)."""
    rank_f = n / 100.0 * (len(ordered) + 1)
    rank = int(rank_f)
    rank += int(math.ceil(rank_f - rank))
    if rank == 0:
        return float(ordered[0])
    if rank - 1 == len(ordered):
        return float(ordered[-1])
    return float(ordered[rank - 1])


@function("Calculate", [SL, Param("n", "float", required=True)])
def nPercentile(ctx, seriesList, n):
    """A horizontal line at the n-th percentile of each series (series without values are
    left out)."""
    pct = as_float(n, "nPercentile", "n")
    if not 0 < pct <= 100:
        raise QueryError(f"nPercentile: n must be greater than 0 and at most 100, got {n!r}")
    out = []
    for s in seriesList:
        ordered = np.sort(s.values[~np.isnan(s.values)])
        if not len(ordered):
            continue
        name = f"nPercentile({s.name}, {fmt_g(pct)})"
        count = max(0, int((s.end - s.start) / s.step))
        r = s.copy(name=name, path_expression=name, values=np.full(count, _percentile(ordered, pct)),
                   end=s.start + count * s.step)
        r.tags["nPercentile"] = str(pct)  # graphite-web validates n to a float: 95 -> "95.0"
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


@function("Calculate", [Param("name", "string", required=True)])
def identity(ctx, name):
    """A series named `name` whose value at each minute is its own timestamp."""
    label = str(name)
    values = np.arange(ctx.start, ctx.end, 60, dtype=np.float64)
    try:
        tags = tagging.parse_tags(label)
    except Exception:  # not a valid tagged name: graphite-web keeps the name alone
        tags = {"name": label}
    return [TimeSeries(label, ctx.start, ctx.start + len(values) * 60, 60, values, f'identity("{label}")', tags)]
