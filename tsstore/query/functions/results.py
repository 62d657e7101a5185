"""Result series built from an input series: a derived copy (new name and values, the
function's tags added), a renamed one (new name, pathExpression kept), a shifted one (a new
start, trimmed to what graphite-web renders), and new series made from a name alone.

pathExpression is what an aggregate of the result is named after (graphite-web's
formatPathExpressions): a function that builds its result with TimeSeries(...) or
series.copy(...) there gives it the new name (`derived`); one that only assigns
series.name keeps the input's, e.g. the glob it was fetched with (`renamed`)."""
from __future__ import annotations

import numpy as np

from tsstore.query.functions.naming import tags_of_name
from tsstore.query.series import TimeSeries


def derived(s: TimeSeries, name: str, values: np.ndarray, **tags) -> TimeSeries:
    """A new series from s: new name and values, input tags plus this function's tag."""
    out = s.copy(name=name, values=values, path_expression=name)
    out.tags.update({k: str(v) for k, v in tags.items()})
    return out


def renamed(s: TimeSeries, name: str, **tags) -> TimeSeries:
    """A copy of s with a new name and this function's tags, keeping s's pathExpression:
    averageSeries(timeShift(a.*, '1h')) is named averageSeries(a.*) in graphite-web."""
    out = s.copy(name=name)
    out.tags.update({k: str(v) for k, v in tags.items()})
    return out


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


def new_series(name: str, start: int, step: int, values: np.ndarray, xff: float, tags: dict | None = None) -> TimeSeries:
    """A series made by combining others, named `name` (its pathExpression too)."""
    return TimeSeries(name, start, start + len(values) * step, step, values, name,
                      tags if tags is not None else tags_of_name(name), xfiles_factor=xff)
