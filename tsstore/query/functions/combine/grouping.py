"""Combine: aggregates per group of series (groupByNode(s), groupByTags, the *WithWildcards
functions), group, and map/reduce, applyByNode."""
from __future__ import annotations

import asyncio

from tsstore.query import grammar
from tsstore.query.errors import QueryError
from tsstore.query.functions.align import flatten
from tsstore.query.functions.combine.aggregate import aggregate_series
from tsstore.query.functions.naming import aggregation_key
from tsstore.query.functions.params import (
    OPTIONAL_SERIES_LISTS,
    SL,
    agg_func_name,
    as_int,
    request_xff,
)
from tsstore.query.functions.registry import Param, function


async def group_result(ctx, members, callback, fname: str):
    """One group's series, as graphite-web's groupBy* functions make it: a callback naming a
    series function marked aggregator (sumSeries, countSeries, asPercent, ...) is called on
    the group and its first series kept; any other is an aggregation for aggregate()."""
    fn = ctx.lookup(callback) if isinstance(callback, str) else None
    if fn is not None and fn.aggregator:
        result = fn.func(ctx, members)
        if asyncio.iscoroutine(result):
            result = await result
        if not result:
            raise QueryError(f"{fname}: the callback {callback} gave no series for a group")
        return result[0]
    (agg,) = aggregate_series([members], agg_func_name(callback, fname))
    return agg


async def _grouped(ctx, series, key_of, callback, fname: str):
    groups: dict[str, list] = {}
    for s in series:
        groups.setdefault(key_of(s), []).append(s)
    # graphite-web only renames each group's series to its key (even an empty one): the tags
    # and pathExpression stay the callback's, e.g. name=sumSeries(servers.*.cpu.*)
    return [(await group_result(ctx, members, callback, fname)).copy(name=key) for key, members in groups.items()]


@function("Combine", [SL, Param("nodeNum", "nodeOrTag", required=True),
                      Param("callback", "aggOrSeriesFunc", default="average")])
async def groupByNode(ctx, seriesList, nodeNum, callback="average"):
    """Groups the series by one node of their path and aggregates each group."""
    return await _grouped(ctx, seriesList, lambda s: aggregation_key(s, [nodeNum]), callback, "groupByNode")


@function("Combine", [SL, Param("callback", "aggOrSeriesFunc", required=True),
                      Param("nodes", "nodeOrTag", multiple=True)])
async def groupByNodes(ctx, seriesList, callback, *nodes):
    """Groups the series by several nodes of their path (joined by '.'; no nodes: one group
    named '') and aggregates each group."""
    return await _grouped(ctx, seriesList, lambda s: aggregation_key(s, nodes), callback, "groupByNodes")


@function("Combine", [SL, Param("callback", "aggOrSeriesFunc", required=True),
                      Param("tags", "tag", required=True, multiple=True)])
async def groupByTags(ctx, seriesList, callback, *tags):
    """Groups tagged series by the values of the given tags and aggregates each group."""
    if not tags:
        raise QueryError("groupByTags: at least one tag is required")
    groups: dict[tuple, list] = {}
    for s in seriesList:
        groups.setdefault(tuple(s.tags.get(t, "") for t in tags), []).append(s)
    names = {m.tags.get("name", m.name) for m in seriesList}
    # the groups' name: their own name tag when grouping by name, else the one name all the
    # series share, else the callback as given (graphite-web: sumSeries stays sumSeries)
    shared = names.pop() if len(names) == 1 else str(callback)
    out = []
    for values, members in groups.items():
        base = values[tags.index("name")] if "name" in tags else shared
        key = base + "".join(f";{t}={v}" for t, v in sorted(zip(tags, values)) if t != "name")
        agg = (await group_result(ctx, members, callback, "groupByTags")).copy(name=key, path_expression=key)
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
            # graphite-web renames the aggregate to the key: its tags and pathExpression stay
            (agg,) = aggregate_series([members], func)
            out.append(agg.copy(name=key))
        return out

    return by_wildcards


@function("Combine", [SL, Param("position", "node", multiple=True)], aggregator=True)
def sumSeriesWithWildcards(ctx, seriesList, *position):
    """Sums the series that are alike once the given nodes are removed from their paths."""
    return _wildcards("sum")(ctx, seriesList, *position)


@function("Combine", [SL, Param("position", "node", multiple=True)], aggregator=True)
def averageSeriesWithWildcards(ctx, seriesList, *position):
    """Averages the series that are alike once the given nodes are removed from their paths."""
    return _wildcards("average")(ctx, seriesList, *position)


@function("Combine", [SL, Param("func", "aggFunc", required=True),
                      Param("position", "node", multiple=True)])
def aggregateWithWildcards(ctx, seriesList, func, *position):
    """Aggregates the series that are alike once the given nodes are removed from their paths."""
    return _wildcards(agg_func_name(func))(ctx, seriesList, *position)


@function("Combine", [SL, Param("position", "node", multiple=True)], aggregator=True)
def multiplySeriesWithWildcards(ctx, seriesList, *position):
    """Multiplies the series that are alike once the given nodes are removed from their paths."""
    pos = {as_int(p, "multiplySeriesWithWildcards", "position") for p in position}
    xff = request_xff(ctx)
    groups: dict[str, list] = {}
    for s in seriesList:
        key = ".".join(p for i, p in enumerate(s.name.split(".")) if i not in pos)
        groups.setdefault(key, []).append(s)
    return [aggregate_series([members], "multiply", xff=xff)[0].copy(name=key) for key, members in groups.items()]


@function("Combine", [OPTIONAL_SERIES_LISTS])
def group(ctx, *seriesLists):
    """Joins several series lists into one."""
    return flatten(seriesLists)


@function("Combine", [SL, Param("mapNodes", "nodeOrTag", required=True, multiple=True)], aliases=("map",))
def mapSeries(ctx, seriesList, *mapNodes):
    """Groups the series by the given nodes (or tags) for reduceSeries: the series come back
    group after group, each group in order of first appearance."""
    if not mapNodes:
        raise QueryError("mapSeries: at least one node is required")
    groups: dict[str, list] = {}
    for s in seriesList:
        groups.setdefault(aggregation_key(s, mapNodes), []).append(s)
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
    fn = ctx.lookup(reduceFunction) if isinstance(reduceFunction, str) else None
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
