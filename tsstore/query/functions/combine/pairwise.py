"""Combine: series combined member by member or with one other (divideSeries, asPercent,
the *SeriesLists functions, weightedAverage, powSeries)."""
from __future__ import annotations

import numpy as np

from tsstore.query import aggregation
from tsstore.query.errors import QueryError
from tsstore.query.functions.align import normalize, padded, stack
from tsstore.query.functions.combine.aggregate import aggregate_series
from tsstore.query.functions.naming import aggregation_key, tags_of_name
from tsstore.query.functions.params import SL, XFF, agg_func_name, request_xff
from tsstore.query.functions.registry import Param, function
from tsstore.query.functions.results import derived, new_series
from tsstore.query.series import TimeSeries

FIRST = Param("seriesListFirstPos", "seriesList", required=True)
SECOND = Param("seriesListSecondPos", "seriesList", required=True)


@function("Combine", [Param("dividendSeriesList", "seriesList", required=True), Param("divisorSeries", "seriesList", required=True)])
def divideSeries(ctx, dividendSeriesList, divisorSeries):
    """Divides each series by one divisor series (null where the divisor is 0 or null). With
    no divisor at all every point is null and the series is named divideSeries(x,MISSING)."""
    if not divisorSeries:  # graphite-web renames the dividends in place and nulls them
        return [derived(s, f"divideSeries({s.name},MISSING)", np.full(len(s.values), np.nan)) for s in dividendSeriesList]
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
        # a new TimeSeries in graphite-web: its tags come from the (function-like) name alone
        out.append(TimeSeries(name, start, start + len(vals) * step, step, vals, name, tags_of_name(name)))
    return out


@function("Combine", [SL, Param("total", "any"),
                      Param("nodes", "nodeOrTag", multiple=True)], aliases=("pct",), aggregator=True)
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
        out.append(TimeSeries(name, start, start + len(vals) * step, step, vals, name, tags_of_name(name)))
    return out


def _pairs(first, second, fname: str, p1: str, p2: str):
    for param, value in ((p1, first), (p2, second)):
        if not isinstance(value, list) or not all(isinstance(s, TimeSeries) for s in value):
            raise QueryError(f"{fname}: {param} must be a series list, got {value!r}")
    if len(first) != len(second):
        raise QueryError(f"{fname}: {p1} and {p2} must have the same number of series (got {len(first)} and {len(second)})")
    return zip(first, second)


def _lists(ctx, first, second, func: str, xff, fname: str) -> list[TimeSeries]:
    func = agg_func_name(func, fname)
    xff = request_xff(ctx, xff, fname)
    out = []
    for a, b in _pairs(first, second, fname, "seriesListFirstPos", "seriesListSecondPos"):
        (agg,) = aggregate_series([[a, b]], func, xff=xff)
        # renamed after the pair's names; the name tag and pathExpression keep the aggregate's
        out.append(agg.copy(name=f"{func}Series({a.name},{b.name})"))
    return out


@function("Combine", [FIRST, SECOND, Param("func", "aggFunc", required=True), XFF])
def aggregateSeriesLists(ctx, seriesListFirstPos, seriesListSecondPos, func, xFilesFactor=None):
    """Aggregates two lists member by member (first[0] with second[0], ...) with the given
    function; the lists must have the same length."""
    return _lists(ctx, seriesListFirstPos, seriesListSecondPos, func, xFilesFactor, "aggregateSeriesLists")


@function("Combine", [FIRST, SECOND], aggregator=True)
def sumSeriesLists(ctx, seriesListFirstPos, seriesListSecondPos):
    """Adds two lists member by member (first[0] + second[0], ...)."""
    return _lists(ctx, seriesListFirstPos, seriesListSecondPos, "sum", None, "sumSeriesLists")


@function("Combine", [FIRST, SECOND], aggregator=True)
def diffSeriesLists(ctx, seriesListFirstPos, seriesListSecondPos):
    """Subtracts two lists member by member (first[0] - second[0], ...)."""
    return _lists(ctx, seriesListFirstPos, seriesListSecondPos, "diff", None, "diffSeriesLists")


@function("Combine", [FIRST, SECOND], aggregator=True)
def multiplySeriesLists(ctx, seriesListFirstPos, seriesListSecondPos):
    """Multiplies two lists member by member (first[0] * second[0], ...)."""
    return _lists(ctx, seriesListFirstPos, seriesListSecondPos, "multiply", None, "multiplySeriesLists")


@function("Combine", [Param("dividendSeriesList", "seriesList", required=True),
                      Param("divisorSeriesList", "seriesList", required=True)])
def divideSeriesLists(ctx, dividendSeriesList, divisorSeriesList):
    """Divides two lists member by member (first[0] / second[0], ...); null where the
    divisor is 0 or null."""
    xff = request_xff(ctx)
    out = []
    for a, b in _pairs(dividendSeriesList, divisorSeriesList, "divideSeriesLists", "dividendSeriesList", "divisorSeriesList"):
        (na, nb), start, end, step = normalize([[a, b]])
        m = stack([na, nb])
        with np.errstate(invalid="ignore", divide="ignore"):
            values = np.where((m[1] == 0) | np.isnan(m[1]), np.nan, m[0] / m[1])
        out.append(new_series(f"divideSeries({a.name},{b.name})", start, step, values, xff))
    return out


@function("Combine", [Param("seriesListAvg", "seriesList", required=True), Param("seriesListWeight", "seriesList", required=True),
                      Param("nodes", "nodeOrTag", multiple=True)])
def weightedAverage(ctx, seriesListAvg, seriesListWeight, *nodes):
    """Average of seriesListAvg weighted by seriesListWeight; the two are paired by the
    given nodes (or tags): sum(avg * weight) / sum(weight) at each point."""
    if len(seriesListAvg) != len(seriesListWeight):
        raise QueryError("weightedAverage: seriesListAvg and seriesListWeight must have the same number of series "
                         f"(got {len(seriesListAvg)} and {len(seriesListWeight)})")
    xff = request_xff(ctx)
    pairs: dict[str, dict] = {}
    for avg, weight in zip(seriesListAvg, seriesListWeight):
        pairs.setdefault(aggregation_key(avg, nodes), {})["avg"] = avg
        pairs.setdefault(aggregation_key(weight, nodes), {})["weight"] = weight
    products = []
    for pair in pairs.values():
        if "avg" not in pair or "weight" not in pair:
            continue
        avg, weight = pair["avg"], pair["weight"]
        width = max(len(avg.values), len(weight.values))  # by position, as graphite-web does
        values = padded(avg.values, width) * padded(weight.values, width)
        name = f"product({weight.name},{avg.name})"
        products.append(TimeSeries(name, avg.start, avg.end, avg.step, values, name, {"name": name}))
    if not products:
        return []
    normed, start, end, step = normalize([products])
    sum_products = aggregation.reduce(stack(normed), "sum", xff=xff)
    (sum_weights,) = (s.values for s in aggregate_series([seriesListWeight], "sum", xff=xff))
    width = max(len(sum_products), len(sum_weights))
    p, w = padded(sum_products, width), padded(sum_weights, width)
    with np.errstate(invalid="ignore", divide="ignore"):
        values = np.where(np.isnan(w) | (w == 0), np.nan, p / w)
    values = values[: (end - start) // step + 1]  # graphite-web's JSON stops at the products' end
    name = "weightedAverage({}, {}, {})".format(
        ",".join(sorted({s.path_expression for s in seriesListAvg})),
        ",".join(sorted({s.path_expression for s in seriesListWeight})),
        ",".join(map(str, nodes)),
    )
    return [new_series(name, start, step, values, xff)]


@function("Combine", [Param("seriesList", "seriesList", required=True, multiple=True)], aggregator=True)
def powSeries(ctx, *seriesLists):
    """Raises the first series to the power of the second, the result to the third, ...
    point by point (null where any is null or the power is undefined)."""
    normed, start, end, step = normalize(seriesLists)
    if not normed:
        return []
    m = stack(normed)
    acc = m[0].copy()
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        for row in m[1:]:
            new = np.power(acc, row)
            undefined = (np.isnan(acc) | np.isnan(row) | np.isnan(new)
                         | ((acc == 0) & (row < 0) & np.isfinite(row))  # math.pow: domain error
                         | (np.isinf(new) & np.isfinite(acc) & np.isfinite(row)))  # overflow
            acc = np.where(undefined, np.nan, new)
    name = f"powSeries({','.join(s.name for s in normed)})"
    return [new_series(name, start, step, acc, request_xff(ctx))]
