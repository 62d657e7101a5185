"""Combine, continued: functions over pairs of lists (sumSeriesLists, divideSeriesLists, ...),
map/reduce, applyByNode, percentiles across series, weighted averages and powSeries."""
from __future__ import annotations

import asyncio
import re

import numpy as np

from tsstore.query import grammar
from tsstore.query.errors import QueryError
from tsstore.query.functions._common import agg_func_name, aggregate_columns, as_float, as_int, combined_tags, flatten, fmt_g, normalize, path_expressions, stack
from tsstore.query.functions.registry import Param, function, get
from tsstore.query.series import TimeSeries
from tsstore.index.tags import parse_tags

SL = Param("seriesList", "seriesList", required=True)
FIRST = Param("seriesListFirstPos", "seriesList", required=True)
SECOND = Param("seriesListSecondPos", "seriesList", required=True)

_WRAPPED = re.compile(r"^[a-z]+[(].+[)]$", re.IGNORECASE)


# -- helpers ----------------------------------------------------------------------------
def _name_tags(name: str) -> dict:
    """The tags graphite-web gives a new series made from a name alone: a function-wrapped
    name is only a name; a plain (possibly tagged) path is parsed."""
    if _WRAPPED.match(name):
        return {"name": name}
    try:
        return parse_tags(name)
    except Exception:  # an unparsable path keeps just its name, as graphite-web does
        return {"name": name}


def _new(name: str, start: int, step: int, values: np.ndarray, xff: float, tags: dict | None = None) -> TimeSeries:
    return TimeSeries(name, start, start + len(values) * step, step, values, name,
                      tags if tags is not None else _name_tags(name), xfiles_factor=xff)


def _request_xff(ctx, explicit=None, fname: str = "aggregate") -> float:
    """xFilesFactor of query-time aggregation: the argument, else the request's
    xFilesFactor parameter, else 0 (graphite-web's DEFAULT_XFILES_FACTOR)."""
    if explicit is not None:
        return as_float(explicit, fname, "xFilesFactor")
    params = getattr(ctx, "params", None)
    raw = params.get("xFilesFactor") if params is not None and hasattr(params, "get") else None
    if raw in (None, ""):
        return 0.0
    try:
        return float(raw)
    except ValueError:
        raise QueryError(f"xFilesFactor must be a number, got {raw!r}") from None


def _aggregate(series: list[TimeSeries], func: str, xff: float) -> TimeSeries | None:
    """graphite-web's aggregate() of one list: name '<func>Series(<pathExpressions>)', the
    tags every input shares plus aggregatedBy."""
    normed, start, end, step = normalize([series])
    if not normed:
        return None
    name = f"{func}Series({path_expressions(normed)})"
    values = aggregate_columns(stack(normed), func, xff)
    return _new(name, start, step, values, xff, combined_tags(normed, name, func))


def _first_path(name: str) -> str:
    """The first path expression inside a function-wrapped name (graphite-web's
    _getFirstPathExpression); the name itself when it does not parse."""
    try:
        node = grammar.parse_target(name)
    except grammar.TargetSyntaxError:
        return name
    while isinstance(node, grammar.Call):
        if not node.args:
            return name
        node = node.args[0]
    return node.text if isinstance(node, grammar.PathExpr) else name


def _node_or_tag(series: TimeSeries, n, path: str) -> str:
    """graphite-web's getNodeOrTag: an integral number picks a node (a missing node falls
    back to a tag of that name), anything else a tag ('' when absent)."""
    if isinstance(n, (int, float)) and not isinstance(n, bool) and n == int(n):
        try:
            return path.split(";", 2)[0].split(".")[int(n)]
        except IndexError:
            pass
    return series.tags.get(str(n), "")


def _agg_key(series: TimeSeries, nodes) -> str:
    path = _first_path(series.name) if series.name.endswith(")") else series.name
    return ".".join(_node_or_tag(series, n, path) for n in nodes)


def _padded(values: np.ndarray, width: int) -> np.ndarray:
    if len(values) >= width:
        return values
    out = np.full(width, np.nan)
    out[: len(values)] = values
    return out


def _pairs(first, second, fname: str, p1: str, p2: str):
    for param, value in ((p1, first), (p2, second)):
        if not isinstance(value, list) or not all(isinstance(s, TimeSeries) for s in value):
            raise QueryError(f"{fname}: {param} must be a series list, got {value!r}")
    if len(first) != len(second):
        raise QueryError(f"{fname}: {p1} and {p2} must have the same number of series (got {len(first)} and {len(second)})")
    return zip(first, second)


# -- lists pairwise -----------------------------------------------------------------------
def _lists(ctx, first, second, func: str, xff, fname: str) -> list[TimeSeries]:
    func = agg_func_name(func, fname)
    xff = _request_xff(ctx, xff, fname)
    out = []
    for a, b in _pairs(first, second, fname, "seriesListFirstPos", "seriesListSecondPos"):
        agg = _aggregate([a, b], func, xff)
        # renamed after the pair's names; the name tag and pathExpression keep the aggregate's
        out.append(agg.copy(name=f"{func}Series({a.name},{b.name})"))
    return out


@function("Combine", [FIRST, SECOND, Param("func", "aggFunc", required=True), Param("xFilesFactor", "float")])
def aggregateSeriesLists(ctx, seriesListFirstPos, seriesListSecondPos, func, xFilesFactor=None):
    """Aggregates two lists member by member (first[0] with second[0], ...) with the given
    function; the lists must have the same length."""
    return _lists(ctx, seriesListFirstPos, seriesListSecondPos, func, xFilesFactor, "aggregateSeriesLists")


@function("Combine", [FIRST, SECOND])
def sumSeriesLists(ctx, seriesListFirstPos, seriesListSecondPos):
    """Adds two lists member by member (first[0] + second[0], ...)."""
    return _lists(ctx, seriesListFirstPos, seriesListSecondPos, "sum", None, "sumSeriesLists")


@function("Combine", [FIRST, SECOND])
def diffSeriesLists(ctx, seriesListFirstPos, seriesListSecondPos):
    """Subtracts two lists member by member (first[0] - second[0], ...)."""
    return _lists(ctx, seriesListFirstPos, seriesListSecondPos, "diff", None, "diffSeriesLists")


@function("Combine", [FIRST, SECOND])
def multiplySeriesLists(ctx, seriesListFirstPos, seriesListSecondPos):
    """Multiplies two lists member by member (first[0] * second[0], ...)."""
    return _lists(ctx, seriesListFirstPos, seriesListSecondPos, "multiply", None, "multiplySeriesLists")


@function("Combine", [Param("dividendSeriesList", "seriesList", required=True),
                      Param("divisorSeriesList", "seriesList", required=True)])
def divideSeriesLists(ctx, dividendSeriesList, divisorSeriesList):
    """Divides two lists member by member (first[0] / second[0], ...); null where the
    divisor is 0 or null."""
    xff = _request_xff(ctx)
    out = []
    for a, b in _pairs(dividendSeriesList, divisorSeriesList, "divideSeriesLists", "dividendSeriesList", "divisorSeriesList"):
        (na, nb), start, end, step = normalize([[a, b]])
        m = stack([na, nb])
        with np.errstate(invalid="ignore", divide="ignore"):
            values = np.where((m[1] == 0) | np.isnan(m[1]), np.nan, m[0] / m[1])
        out.append(_new(f"divideSeries({a.name},{b.name})", start, step, values, xff))
    return out


# -- wildcards, map / reduce, applyByNode -------------------------------------------------
@function("Combine", [SL, Param("position", "node", multiple=True)])
def multiplySeriesWithWildcards(ctx, seriesList, *position):
    """Multiplies the series that are alike once the given nodes are removed from their paths."""
    pos = {as_int(p, "multiplySeriesWithWildcards", "position") for p in position}
    xff = _request_xff(ctx)
    groups: dict[str, list] = {}
    for s in seriesList:
        key = ".".join(p for i, p in enumerate(s.name.split(".")) if i not in pos)
        groups.setdefault(key, []).append(s)
    return [_aggregate(members, "multiply", xff).copy(name=key) for key, members in groups.items()]


@function("Combine", [SL, Param("mapNodes", "nodeOrTag", required=True, multiple=True)], aliases=("map",))
def mapSeries(ctx, seriesList, *mapNodes):
    """Groups the series by the given nodes (or tags) for reduceSeries: the series come back
    group after group, each group in order of first appearance."""
    if not mapNodes:
        raise QueryError("mapSeries: at least one node is required")
    groups: dict[str, list] = {}
    for s in seriesList:
        groups.setdefault(_agg_key(s, mapNodes), []).append(s)
    return [s for members in groups.values() for s in members]


@function("Combine", [Param("seriesLists", "seriesLists", required=True), Param("reduceFunction", "string", required=True),
                      Param("reduceNode", "node", required=True), Param("reduceMatchers", "string", required=True, multiple=True)],
          aliases=("reduce",))
async def reduceSeries(ctx, seriesLists, reduceFunction, reduceNode, *reduceMatchers):
    """Reduces mapped series: the series whose node reduceNode equals one of reduceMatchers
    are passed, in the matchers' order, to reduceFunction, one result per path prefix,
    named '<prefix>.reduce.<reduceFunction>'."""
    node = as_int(reduceNode, "reduceSeries", "reduceNode")
    if not reduceMatchers:
        raise QueryError("reduceSeries: at least one reduceMatcher is required")
    fn = get(reduceFunction) if isinstance(reduceFunction, str) else None
    if fn is None:
        raise QueryError(f"reduceSeries: reduceFunction must name a render function, got {reduceFunction!r}")
    if fn.lazy:
        raise QueryError(f"reduceSeries: {reduceFunction} cannot be used as reduceFunction")
    if not isinstance(seriesLists, list):
        raise QueryError(f"reduceSeries: seriesLists must be series lists (mapSeries), got {seriesLists!r}")
    groups: dict[str, list] = {}
    for s in flatten(seriesLists):
        parts = s.name.split(".")
        try:
            part = parts[node]
        except IndexError:
            raise QueryError(f"reduceSeries: reduceNode {node} is out of range for {s.name!r} ({len(parts)} nodes)") from None
        if part in reduceMatchers:
            key = ".".join(parts[:node]) + ".reduce." + reduceFunction
            groups.setdefault(key, [None] * len(reduceMatchers))[reduceMatchers.index(part)] = s
    out = []
    for key, members in groups.items():
        missing = [m for m, s in zip(reduceMatchers, members) if s is None]
        if missing:
            raise QueryError(f"reduceSeries: no series for {', '.join(map(repr, missing))} under {key[:key.rfind('.reduce.')]!r}")
        result = fn.func(ctx, *[[s] for s in members])
        if asyncio.iscoroutine(result):
            result = await result
        result = flatten(result or [])
        if result:
            out.append(result[0].copy(name=key))
    return out


@function("Combine", [SL, Param("nodeNum", "node", required=True), Param("templateFunction", "string", required=True),
                      Param("newName", "string")])
async def applyByNode(ctx, seriesList, nodeNum, templateFunction, newName=None):
    """For each unique path prefix (nodes 0..nodeNum) evaluates templateFunction with '%'
    replaced by the prefix; newName, when given, names the results ('%' is the prefix)."""
    n = as_int(nodeNum, "applyByNode", "nodeNum")
    if not isinstance(templateFunction, str):
        raise QueryError(f"applyByNode: templateFunction must be a string, got {templateFunction!r}")
    if newName is not None and not isinstance(newName, str):
        raise QueryError(f"applyByNode: newName must be a string, got {newName!r}")
    if not seriesList:
        return []
    prefixes = sorted({".".join(s.name.split(".")[: n + 1]) for s in seriesList})
    nodes = []
    for prefix in prefixes:
        target = templateFunction.replace("%", prefix)
        try:
            nodes.append(grammar.parse_target(target))
        except grammar.TargetSyntaxError as exc:
            raise QueryError(f"applyByNode: templateFunction gives a bad target: {exc}") from None
    results = await asyncio.gather(*(ctx.evaluate(node) for node in nodes))
    # graphite-web gives every result the range of the last input series (and its JSON
    # stops at that end)
    last = seriesList[-1]
    out = []
    for prefix, result in zip(prefixes, results):
        for r in flatten(result):
            count = max(0, -(-(last.end + 1 - last.start) // r.step)) if r.step > 0 else len(r.values)
            changes = dict(path_expression=prefix, start=last.start, end=last.end, values=r.values[:count].copy())
            if newName:
                changes["name"] = newName.replace("%", prefix)
            out.append(r.copy(**changes))
    return out


# -- across series ------------------------------------------------------------------------
@function("Combine", [SL, Param("n", "float", required=True), Param("interpolate", "boolean", default=False)])
def percentileOfSeries(ctx, seriesList, n, interpolate=False):
    """The n-th percentile of the series' values at each point (nearest rank: a value of one
    of the series, unless interpolate is true)."""
    pct = as_float(n, "percentileOfSeries", "n")
    if not 0 < pct <= 100:
        raise QueryError(f"percentileOfSeries: n must be greater than 0 and at most 100, got {n!r}")
    if not seriesList:
        return []
    xff = _request_xff(ctx)
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
    return [_new(name, start, step, values, xff)]


@function("Combine", [Param("seriesListAvg", "seriesList", required=True), Param("seriesListWeight", "seriesList", required=True),
                      Param("nodes", "nodeOrTag", multiple=True)])
def weightedAverage(ctx, seriesListAvg, seriesListWeight, *nodes):
    """Average of seriesListAvg weighted by seriesListWeight; the two are paired by the
    given nodes (or tags): sum(avg * weight) / sum(weight) at each point."""
    if len(seriesListAvg) != len(seriesListWeight):
        raise QueryError("weightedAverage: seriesListAvg and seriesListWeight must have the same number of series "
                         f"(got {len(seriesListAvg)} and {len(seriesListWeight)})")
    xff = _request_xff(ctx)
    pairs: dict[str, dict] = {}
    for avg, weight in zip(seriesListAvg, seriesListWeight):
        pairs.setdefault(_agg_key(avg, nodes), {})["avg"] = avg
        pairs.setdefault(_agg_key(weight, nodes), {})["weight"] = weight
    products = []
    for pair in pairs.values():
        if "avg" not in pair or "weight" not in pair:
            continue
        avg, weight = pair["avg"], pair["weight"]
        width = max(len(avg.values), len(weight.values))  # by position, as graphite-web does
        values = _padded(avg.values, width) * _padded(weight.values, width)
        name = f"product({weight.name},{avg.name})"
        products.append(TimeSeries(name, avg.start, avg.end, avg.step, values, name, {"name": name}))
    if not products:
        return []
    normed, start, end, step = normalize([products])
    sum_products = aggregate_columns(stack(normed), "sum", xff)
    sum_weights = _aggregate(seriesListWeight, "sum", xff).values
    width = max(len(sum_products), len(sum_weights))
    p, w = _padded(sum_products, width), _padded(sum_weights, width)
    with np.errstate(invalid="ignore", divide="ignore"):
        values = np.where(np.isnan(w) | (w == 0), np.nan, p / w)
    values = values[: (end - start) // step + 1]  # graphite-web's JSON stops at the products' end
    name = "weightedAverage({}, {}, {})".format(
        ",".join(sorted({s.path_expression for s in seriesListAvg})),
        ",".join(sorted({s.path_expression for s in seriesListWeight})),
        ",".join(map(str, nodes)),
    )
    return [_new(name, start, step, values, xff)]


@function("Combine", [Param("seriesList", "seriesList", required=True, multiple=True)])
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
    return [_new(name, start, step, acc, _request_xff(ctx))]
