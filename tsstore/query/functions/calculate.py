"""Calculate: moving windows and other derived statistics."""
from __future__ import annotations

import numpy as np

from tsstore.query.engine import QueryError
from tsstore.query.functions._common import interval, series_stat
from tsstore.query.functions.registry import Param, function

WINDOW = Param("windowSize", "intOrInterval", required=True, suggestions=[5, 7, 10, "1min", "5min", "10min", "30min", "1hour"])


async def _moving(ctx, series_expr, window_size, func: str, tag: str, xff):
    """Moving `func` over the preceding window (points or an interval); the window before
    `from` is fetched too, so the first points have a full window."""
    if isinstance(window_size, str):
        seconds = interval(window_size, tag, "windowSize")
        if seconds <= 0:
            raise QueryError(f"{tag}: windowSize must be positive, got {window_size!r}")
        label = f'"{window_size}"'
    elif isinstance(window_size, (int, float)) and not isinstance(window_size, bool) and window_size > 0:
        seconds = None
        label = str(int(window_size))
    else:
        raise QueryError(f"{tag}: windowSize must be a number of points or an interval string, got {window_size!r}")
    # Fetch enough history: for a point count we do not know the step yet; take the step
    # from a first evaluation.
    base = await ctx.evaluate(series_expr)
    if not base:
        return []
    out = []
    for s in base:
        points = int(seconds // s.step) if seconds is not None else int(window_size)
        if points < 1:
            points = 1
        back = points * s.step
        (hist,) = [h for h in await ctx.with_range(ctx.start - back, ctx.end).evaluate(series_expr) if h.name == s.name] or [s]
        offset = max(0, (s.start - hist.start) // hist.step)
        vals = hist.values
        res = np.full(len(s.values), np.nan)
        for i in range(len(s.values)):
            j = i + offset
            window = vals[max(0, j - points): j]  # the points before this one, not itself
            known = window[~np.isnan(window)]
            need = xff if xff is not None else s.xfiles_factor
            if len(known) and len(known) / points >= (need or 0):
                res[i] = series_stat(window, func)
        name = f"{tag}({s.name},{label})"
        r = s.copy(name=name, values=res, path_expression=name)
        r.tags[tag] = str(window_size)
        out.append(r)
    return out


def _register(func: str, tag: str, doc: str):
    @function("Calculate", [Param("seriesList", "seriesList", required=True), WINDOW, Param("xFilesFactor", "float")],
              name=tag, lazy=True)
    async def moving(ctx, seriesList, windowSize, xFilesFactor=None):
        return await _moving(ctx, seriesList, windowSize, func, tag, xFilesFactor)

    moving.__doc__ = doc
    return moving


movingAverage = _register("average", "movingAverage", "Average of the preceding window (points or interval) at each point.")
movingSum = _register("sum", "movingSum", "Sum of the preceding window at each point.")
movingMin = _register("min", "movingMin", "Minimum of the preceding window at each point.")
movingMax = _register("max", "movingMax", "Maximum of the preceding window at each point.")
movingMedian = _register("median", "movingMedian", "Median of the preceding window at each point.")
