"""Combine: aggregates of all the series given (aggregate, sumSeries, averageSeries, ...),
countSeries and percentileOfSeries."""
from __future__ import annotations

import numpy as np

from tsstore.query import aggregation
from tsstore.query.errors import QueryError
from tsstore.query.functions.align import normalize, stack
from tsstore.query.functions.naming import fmt_g, path_expressions
from tsstore.query.functions.params import (
    OPTIONAL_SERIES_LISTS,
    SERIES_LISTS,
    SL,
    XFF,
    agg_func_name,
    as_float,
    request_xff,
)
from tsstore.query.functions.registry import Param, function
from tsstore.query.functions.results import new_series
from tsstore.query.series import TimeSeries


def combined_tags(series: list[TimeSeries], name: str, func: str) -> dict:
    """Aggregates keep the tags all inputs share, name the result when names differ, and
    add aggregatedBy."""
    if not series:
        return {"name": name, "aggregatedBy": func}
    common = dict(series[0].tags)
    for s in series[1:]:
        common = {k: v for k, v in common.items() if s.tags.get(k) == v}
    if "name" not in common:
        common["name"] = name
    common["aggregatedBy"] = func
    return common


def aggregate_series(series_lists, func: str, xff=None) -> list[TimeSeries]:
    """graphite-web's aggregate(): one series named <func>Series(<the distinct pathExpressions>)."""
    series, start, end, step = normalize(series_lists)
    if not series:
        return []
    label = func  # graphite-web names and tags by the function as asked: aggregate(x, 'avg') is avgSeries
    name = f"{label}Series({path_expressions(series)})"
    xff = series[0].xfiles_factor if xff is None else xff
    values = aggregation.reduce(stack(series), func, xff=xff)
    tags = combined_tags(series, name, label)
    return [TimeSeries(name, start, start + len(values) * step if len(values) else end, step, values, name, tags, xfiles_factor=xff)]


@function("Combine", [SL, Param("func", "aggFunc", required=True), XFF])
def aggregate(ctx, seriesList, func, xFilesFactor=None):
    """Aggregate the series with the given function (sum, average, max, ...) into one."""
    return aggregate_series([seriesList], agg_func_name(func), xff=xFilesFactor)


def _simple(func: str, doc: str, aliases=(), name=None):
    @function("Combine", [SERIES_LISTS], name=name or f"{func}Series", aliases=aliases, aggregator=True)
    def combined(ctx, *seriesLists):
        return aggregate_series(seriesLists, func)

    combined.__doc__ = doc
    return combined


sumSeries = _simple("sum", "Adds the series point by point (nulls are skipped).", aliases=("sum",))
averageSeries = _simple("average", "Averages the series point by point (nulls are skipped).", aliases=("avg",))
maxSeries = _simple("max", "The largest value at each point.")
minSeries = _simple("min", "The smallest value at each point.")
diffSeries = _simple("diff", "The first series minus all the others, point by point.")


@function("Combine", [SERIES_LISTS], aggregator=True)
def multiplySeries(ctx, *seriesLists):
    """Multiplies the series point by point (a null anywhere makes that point null)."""
    if len(seriesLists) == 1 and len(seriesLists[0]) == 1:
        return list(seriesLists[0])  # graphite-web's legacy rule: one series comes back as it is
    return aggregate_series(seriesLists, "multiply")


rangeOfSeries = _simple("rangeOf", "Maximum minus minimum at each point.", name="rangeOfSeries")
stddevSeries = _simple("stddev", "Standard deviation of the series at each point.")


@function("Combine", [OPTIONAL_SERIES_LISTS], aggregator=True)
def countSeries(ctx, *seriesLists):
    """The number of series, as a series (countSeries() with no argument: a line at 0)."""
    if not seriesLists:  # graphite-web's constantLine(0), named "0" (an int: no float validation)
        step = max(1, (ctx.end - ctx.start) // 2)
        return [TimeSeries("0", ctx.start, ctx.start + 3 * step, step, np.zeros(3), "countSeries()")]
    series, start, end, step = normalize(seriesLists)
    if not series:  # lists given but all empty: graphite-web's normalize finds nothing, no series
        return []
    name = f"countSeries({path_expressions(series)})"
    width = max(len(s.values) for s in series)
    return [TimeSeries(name, start, start + width * step, step, np.full(width, float(len(series))), name)]


@function("Combine", [SL, Param("n", "float", required=True), Param("interpolate", "boolean", default=False)])
def percentileOfSeries(ctx, seriesList, n, interpolate=False):
    """The n-th percentile of the series' values at each point (nearest rank: a value of one
    of the series, unless interpolate is true)."""
    pct = as_float(n, "percentileOfSeries", "n")
    if not 0 < pct <= 100:
        raise QueryError(f"percentileOfSeries: n must be greater than 0 and at most 100, got {n!r}")
    if not seriesList:
        return []
    xff = request_xff(ctx)
    name = f"percentileOfSeries({seriesList[0].path_expression},{fmt_g(pct)})"
    normed, start, end, step = normalize([seriesList])
    m = np.sort(stack(normed), axis=0)  # nulls sort last
    k = (~np.isnan(m)).sum(axis=0)
    frac_rank = (pct / 100.0) * (k + 1)
    rank = np.floor(frac_rank).astype(np.int64)
    fraction = frac_rank - rank
    if not interpolate:
        rank = rank + (fraction > 0)
    cols = np.arange(m.shape[1])
    idx = np.clip(rank - 1, 0, np.maximum(k - 1, 0))
    values = m[idx, cols]
    if interpolate:
        nxt = m[np.clip(rank, 0, np.maximum(k - 1, 0)), cols]
        values = np.where(rank < k, values + fraction * (nxt - values), values)
    values = np.where(k > 0, values, np.nan)
    return [new_series(name, start, step, values, xff)]
