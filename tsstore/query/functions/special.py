"""Special: series made from nothing, from tags or from events, settings that travel with a
series (consolidateBy, setXFilesFactor), legends (cactiStyle, substr), changed, fallbackSeries."""
from __future__ import annotations

import math
import random
import re

import numpy as np

from tsstore import events as ev
from tsstore.index import tagquery
from tsstore.query.errors import QueryError
from tsstore.query.functions.naming import format_units, tags_of_name, unit_system
from tsstore.query.functions.params import SL, as_float, as_int
from tsstore.query.functions.registry import Param, function
from tsstore.query.series import TimeSeries

CONSOLIDATION = ["sum", "average", "avg", "avg_zero", "min", "max", "first", "last"]


@function("Special", [SL,
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
    ctx.budget.charge("constantLine makes", points=3, series=1)
    step = max(1, (ctx.end - ctx.start) // 2)
    name = str(v)  # graphite-web names it by the float: constantLine(42) is "42.0"
    return [TimeSeries(name, ctx.start, ctx.start + 3 * step, step, np.full(3, v), f"constantLine({name})")]


@function("Special", [SL, Param("xFilesFactor", "float", required=True)],
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
    return await ctx.fetch(names, call)


@function("Special", [Param("tags", "string", required=True, multiple=True)])
async def events(ctx, *tags):
    """Number of events at each second carrying all the tags ('*' for every event)."""
    name = 'events("' + '", "'.join(str(t) for t in tags) + '")'
    wanted = None if tags == ("*",) else [str(t) for t in tags]
    start, end = int(ctx.start), int(ctx.end)
    ctx.budget.charge(f"events over {end - start} s (a point per second) would make", points=max(end - start, 0), series=1)
    found = ev.select(await ctx.store.events_between(start, end), wanted)
    values = np.full(max(end - start, 0), np.nan)
    offsets = np.array([int(e.when) - start for e in found], dtype=np.int64)
    offsets = offsets[(offsets >= 0) & (offsets < len(values))]
    if len(offsets):
        counts = np.bincount(offsets, minlength=len(values)).astype(float)
        values = np.where(counts > 0, counts, np.nan)
    return [TimeSeries(name, start, end, 1, values, name, {"name": name}, consolidation_func="sum")]


def _integral(v: float):
    return int(v) if math.isfinite(v) else v


@function("Special", [SL, Param("system", "string", options=["si", "binary"]), Param("units", "string")])
def cactiStyle(ctx, seriesList, system=None, units=None):
    """Appends the current, maximum and minimum values to the names in aligned columns
    (with unit prefixes when system is 'si' or 'binary', and units appended)."""
    if not seriesList:
        return []
    if system:
        system = unit_system(system, "cactiStyle")
        pattern = "%.2f %s" if units else "%.2f%s"

        def fmt(x):
            return pattern % format_units(x, system, units)
    else:
        def fmt(x):
            return "%.2f %s" % (x, units) if units else "%.2f" % x

    stats = []
    for s in seriesList:
        known = s.values[~np.isnan(s.values)]
        stats.append((float(known[-1]), float(known.max()), float(known.min())) if len(known) else (None, None, None))
    # column widths as graphite-web sizes them: from the integer part, 3 standing in for 0 or none
    widths = [max(len(fmt(_integral(st[i] or 3))) for st in stats) + 3 for i in range(3)]
    name_width = max(len(s.name) for s in seriesList)
    out = []
    for s, st in zip(seriesList, stats):
        cur, mx, mn = ("nan" if v is None else fmt(v) for v in st)
        name = (f"{s.name.ljust(name_width)} Current:{cur.ljust(widths[0])} Max:{mx.ljust(widths[1])}"
                f" Min:{mn.ljust(widths[2])} ")
        out.append(s.copy(name=name))
    return out


@function("Special", [SL])
def changed(ctx, seriesList):
    """1 where the value differs from the previous non-null value, 0 elsewhere (nulls
    included)."""
    out = []
    for s in seriesList:
        idx = np.flatnonzero(~np.isnan(s.values))
        values = np.zeros(len(s.values))
        values[idx[1:]] = (s.values[idx[1:]] != s.values[idx[:-1]]).astype(float)
        name = f"changed({s.name})"
        out.append(s.copy(name=name, path_expression=name, values=values))
    return out


@function("Special", [SL])
def cumulative(ctx, seriesList):
    """consolidateBy(seriesList, 'sum'): points merged for maxDataPoints are added up."""
    return consolidateBy(ctx, seriesList, "sum")


@function("Special", [SL, Param("fallback", "seriesList", required=True)])
def fallbackSeries(ctx, seriesList, fallback):
    """seriesList, or fallback when seriesList is empty."""
    return seriesList if seriesList else fallback


@function("Special", [Param("name", "string", required=True), Param("step", "integer", default=60)],
          aliases=("randomWalk",))
def randomWalkFunction(ctx, name, step=60):
    """A random walk from 0 over the requested range (each step adds a random number
    between -0.5 and 0.5), for testing without data."""
    step = as_int(step, "randomWalk", "step")
    if step <= 0:
        raise QueryError(f"randomWalk: step must be a positive number of seconds, got {step}")
    count = max(0, -(-(ctx.end - ctx.start) // step))
    ctx.budget.charge(f"randomWalk over {ctx.end - ctx.start} s at a {step} s step would make", points=count, series=1)
    values = np.zeros(count)
    if count > 1:
        rng = np.random.default_rng(random.getrandbits(64))
        values[1:] = np.cumsum(rng.random(count - 1) - 0.5)
    name = str(name)
    return [TimeSeries(name, ctx.start, ctx.end, step, values, name, tags_of_name(name))]


@function("Special", [SL, Param("start", "node", default=0), Param("stop", "node", default=0)])
def substr(ctx, seriesList, start=0, stop=0):
    """Names each series by the nodes start to stop (exclusive; 0 means to the end) of the
    path inside its name's innermost parentheses."""
    first = as_int(start, "substr", "start")
    last = as_int(stop, "substr", "stop")
    out = []
    for s in seriesList:
        left = s.name.rfind("(") + 1
        right = s.name.find(")")
        inner = s.name[left:right if right >= 0 else len(s.name)]
        nodes = inner.split(".")
        name = ".".join(nodes[first:] if last == 0 else nodes[first:last])
        out.append(s.copy(name=re.sub(",.*$", "", name)))  # substr(func(a.b, 5), 1) is b, not "b, 5"
    return out
