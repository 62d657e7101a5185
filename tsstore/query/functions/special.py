"""Special: series made from nothing, from tags, or settings that travel with a series."""
from __future__ import annotations

import numpy as np

from tsstore.index import tagquery
from tsstore.query.errors import QueryError
from tsstore.query.fetch import fetch_series
from tsstore.query.functions._common import as_float
from tsstore.query.functions.registry import Param, function
from tsstore.query.series import TimeSeries

CONSOLIDATION = ["sum", "average", "avg", "avg_zero", "min", "max", "first", "last"]


@function("Special", [Param("seriesList", "seriesList", required=True),
                      Param("consolidationFunc", "string", required=True, options=CONSOLIDATION)])
def consolidateBy(ctx, seriesList, consolidationFunc):
    """How points are merged when there are more than maxDataPoints (default average)."""
    if consolidationFunc not in CONSOLIDATION:
        raise QueryError(f"consolidateBy: consolidationFunc must be one of {', '.join(CONSOLIDATION)}, got {consolidationFunc!r}")
    out = []
    for s in seriesList:
        name = f'consolidateBy({s.name},"{consolidationFunc}")'
        r = s.copy(name=name, path_expression=name, consolidation_func=consolidationFunc)
        r.tags["consolidateBy"] = consolidationFunc
        out.append(r)
    return out


@function("Special", [Param("value", "float", required=True)])
def constantLine(ctx, value):
    """A horizontal line at value across the whole range (three points)."""
    v = as_float(value, "constantLine", "value")
    step = max(1, (ctx.end - ctx.start) // 2)
    name = str(v)  # graphite-web names it by the float: constantLine(42) is "42.0"
    return [TimeSeries(name, ctx.start, ctx.start + 3 * step, step, np.full(3, v), f"constantLine({value})")]


@function("Special", [Param("seriesList", "seriesList", required=True), Param("xFilesFactor", "float", required=True)],
          aliases=("xFilesFactor",))
def setXFilesFactor(ctx, seriesList, xFilesFactor):
    """The share of non-null values a consolidated point needs (0 to 1)."""
    xff = as_float(xFilesFactor, "setXFilesFactor", "xFilesFactor")
    if not 0 <= xff <= 1:
        raise QueryError(f"setXFilesFactor: xFilesFactor must be between 0 and 1, got {xFilesFactor!r}")
    out = []
    for s in seriesList:
        r = s.copy(xfiles_factor=xff)
        r.tags["xFilesFactor"] = str(xff)  # graphite-web validates the argument to a float first: 0 -> "0.0"
        out.append(r)
    return out


@function("Special", [Param("tagExpressions", "string", required=True, multiple=True)], lazy=True)
async def seriesByTag(ctx, *tagExpressions):
    """Tagged series matching every expression ('tag=value', '!=', '=~' regex, '!=~')."""
    try:
        names = await tagquery.find_series(ctx.store, [str(e) for e in tagExpressions])
    except tagquery.TagQueryError as exc:
        raise QueryError(f"seriesByTag: {exc}") from None
    # graphite-web keeps the call as written as the series' pathExpression
    call = ctx.call.text if ctx.call is not None else "seriesByTag(" + ",".join(repr(str(e)) for e in tagExpressions) + ")"
    return await fetch_series(ctx.store, names, ctx.start, ctx.end, ctx.now, call)
