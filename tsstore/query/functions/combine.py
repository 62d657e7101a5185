"""Combine: functions that make one series out of several."""
from __future__ import annotations

import numpy as np

from tsstore.query.errors import QueryError
from tsstore.query.functions._common import (
    agg_func_name,
    aggregate_series,
    flatten,
    node_value,
    normalize,
    path_expressions,
    stack,
)
from tsstore.query.functions.registry import Param, function
from tsstore.query.series import TimeSeries

SERIES_LISTS = Param("seriesLists", "seriesList", required=True, multiple=True)


@function("Combine", [Param("seriesList", "seriesList", required=True), Param("func", "aggFunc", required=True),
                      Param("xFilesFactor", "float")])
def aggregate(ctx, seriesList, func, xFilesFactor=None):
    """Aggregate the series with the given function (sum, average, max, ...) into one."""
    return aggregate_series([seriesList], agg_func_name(func), xff=xFilesFactor)


def _simple(func: str, doc: str, aliases=(), name=None):
    @function("Combine", [SERIES_LISTS], name=name or f"{func}Series", aliases=aliases)
    def combined(ctx, *seriesLists):
        return aggregate_series(seriesLists, func)

    combined.__doc__ = doc
    return combined


sumSeries = _simple("sum", "Adds the series point by point (nulls are skipped).", aliases=("sum",))
averageSeries = _simple("average", "Averages the series point by point (nulls are skipped).", aliases=("avg",))
maxSeries = _simple("max", "The largest value at each point.")
minSeries = _simple("min", "The smallest value at each point.")
diffSeries = _simple("diff", "The first series minus all the others, point by point.")


@function("Combine", [SERIES_LISTS])
def multiplySeries(ctx, *seriesLists):
    """Multiplies the series point by point (a null anywhere makes that point null)."""
    if len(seriesLists) == 1 and len(seriesLists[0]) == 1:
        return list(seriesLists[0])  # graphite-web's legacy rule: one series comes back as it is
    return aggregate_series(seriesLists, "multiply")


rangeOfSeries = _simple("rangeOf", "Maximum minus minimum at each point.", name="rangeOfSeries")
stddevSeries = _simple("stddev", "Standard deviation of the series at each point.")


@function("Combine", [SERIES_LISTS])
def countSeries(ctx, *seriesLists):
    """The number of series, as a series (zero when there are none)."""
    series, start, end, step = normalize(seriesLists)
    name = f"countSeries({path_expressions(series)})"
    if not series:
        step = max(1, (ctx.end - ctx.start) // 2)
        return [TimeSeries(name, ctx.start, ctx.end + step, step, np.zeros(3), name)]
    width = max(len(s.values) for s in series)
    return [TimeSeries(name, start, start + width * step, step, np.full(width, float(len(series))), name)]


@function("Combine", [SERIES_LISTS])
def group(ctx, *seriesLists):
    """Joins several series lists into one."""
    return flatten(seriesLists)


@function("Combine", [Param("dividendSeriesList", "seriesList", required=True), Param("divisorSeries", "seriesList", required=True)])
def divideSeries(ctx, dividendSeriesList, divisorSeries):
    """Divides each series by one divisor series (null where the divisor is 0 or null)."""
    if len(divisorSeries) != 1:
        raise QueryError(f"divideSeries second argument must reference exactly 1 series (got {len(divisorSeries)})")
    divisor = divisorSeries[0]
    out = []
    for s in dividendSeriesList:
        (a, b), start, end, step = normalize([[s, divisor]])
        m = stack([a, b])
        with np.errstate(invalid="ignore", divide="ignore"):
            vals = np.where((m[1] == 0) | np.isnan(m[1]), np.nan, m[0] / m[1])
        name = f"divideSeries({s.name},{divisor.name})"
        out.append(TimeSeries(name, start, start + len(vals) * step, step, vals, name, dict(s.tags, name=name)))
    return out


@function("Combine", [Param("seriesList", "seriesList", required=True), Param("total", "any"),
                      Param("nodes", "nodeOrTag", multiple=True)], aliases=("pct",))
def asPercent(ctx, seriesList, total=None, *nodes):
    """Each series as a percent of a total: the sum of all (default), a number, or a series."""
    if not seriesList:
        return []
    if nodes:
        raise QueryError("asPercent: grouping by nodes is not supported yet")
    if total is None:
        (tot,) = aggregate_series([seriesList], "sum")
        total_name = tot.name
        totals = [tot]
    elif isinstance(total, (int, float)) and not isinstance(total, bool):
        totals, total_name = None, str(total)
    elif isinstance(total, list):
        if len(total) == 1:
            totals, total_name = total, total[0].name
        elif len(total) == len(seriesList):
            totals = None
            total_name = None
        else:
            raise QueryError(f"asPercent: total must be one series or as many as seriesList ({len(seriesList)}), got {len(total)}")
    else:
        raise QueryError(f"asPercent: total must be a number or a series list, got {total!r}")
    out = []
    for i, s in enumerate(seriesList):
        if totals is None and isinstance(total, list):
            pair, tname = [s, total[i]], total[i].name
        elif totals is None:
            pair, tname = [s], total_name
        else:
            pair, tname = [s, totals[0]], total_name
        normed, start, end, step = normalize([pair])
        m = stack(normed)
        with np.errstate(invalid="ignore", divide="ignore"):
            denom = m[1] if len(pair) == 2 else np.full(m.shape[1], float(total))
            vals = np.where((denom == 0) | np.isnan(denom) | np.isnan(m[0]), np.nan, m[0] / denom * 100.0)
        name = f"asPercent({s.name},{tname})"
        out.append(TimeSeries(name, start, start + len(vals) * step, step, vals, name, dict(s.tags, name=name)))
    return out


def _grouped(series, key_of, func, name_of=None):
    groups: dict[str, list] = {}
    for s in series:
        groups.setdefault(key_of(s), []).append(s)
    out = []
    for key, members in groups.items():
        (agg,) = aggregate_series([members], func, name=key)
        out.append(agg)
    return out


@function("Combine", [Param("seriesList", "seriesList", required=True), Param("nodeNum", "nodeOrTag", required=True),
                      Param("callback", "aggOrSeriesFunc", default="average")])
def groupByNode(ctx, seriesList, nodeNum, callback="average"):
    """Groups the series by one node of their path and aggregates each group."""
    return _grouped(seriesList, lambda s: node_value(s, nodeNum), agg_func_name(callback))


@function("Combine", [Param("seriesList", "seriesList", required=True), Param("callback", "aggOrSeriesFunc", required=True),
                      Param("nodes", "nodeOrTag", multiple=True)])
def groupByNodes(ctx, seriesList, callback, *nodes):
    """Groups the series by several nodes of their path (joined by '.') and aggregates."""
    return _grouped(seriesList, lambda s: ".".join(node_value(s, n) for n in nodes), agg_func_name(callback))


@function("Combine", [Param("seriesList", "seriesList", required=True), Param("callback", "aggOrSeriesFunc", required=True),
                      Param("tags", "tag", required=True, multiple=True)])
def groupByTags(ctx, seriesList, callback, *tags):
    """Groups tagged series by the values of the given tags and aggregates each group."""
    if not tags:
        raise QueryError("groupByTags: at least one tag is required")
    func = agg_func_name(callback)
    groups: dict[tuple, list] = {}
    for s in seriesList:
        groups.setdefault(tuple(s.tags.get(t, "") for t in tags), []).append(s)
    out = []
    for values, members in groups.items():
        names = {m.tags.get("name", m.name) for m in members}
        base = names.pop() if len(names) == 1 else func
        key = base + "".join(f";{t}={v}" for t, v in sorted(zip(tags, values)) if t != "name")
        (agg,) = aggregate_series([members], func, name=key)
        agg.tags = {**{t: v for t, v in zip(tags, values)}, "name": base}
        out.append(agg)
    return out


def _wildcards(func):
    def by_wildcards(ctx, seriesList, *position):
        pos = {int(p) for p in position}
        groups: dict[str, list] = {}
        for s in seriesList:
            parts = s.name.split(".")
            groups.setdefault(".".join(p for i, p in enumerate(parts) if i not in pos), []).append(s)
        out = []
        for key, members in groups.items():
            # graphite-web names the series by the key but keeps the aggregate's tags
            (agg,) = aggregate_series([members], func)
            out.append(agg.copy(name=key, path_expression=key))
        return out

    return by_wildcards


@function("Combine", [Param("seriesList", "seriesList", required=True), Param("position", "node", multiple=True)])
def sumSeriesWithWildcards(ctx, seriesList, *position):
    """Sums the series that are alike once the given nodes are removed from their paths."""
    return _wildcards("sum")(ctx, seriesList, *position)


@function("Combine", [Param("seriesList", "seriesList", required=True), Param("position", "node", multiple=True)])
def averageSeriesWithWildcards(ctx, seriesList, *position):
    """Averages the series that are alike once the given nodes are removed from their paths."""
    return _wildcards("average")(ctx, seriesList, *position)


@function("Combine", [Param("seriesList", "seriesList", required=True), Param("func", "aggFunc", required=True),
                      Param("position", "node", multiple=True)])
def aggregateWithWildcards(ctx, seriesList, func, *position):
    """Aggregates the series that are alike once the given nodes are removed from their paths."""
    return _wildcards(agg_func_name(func))(ctx, seriesList, *position)
