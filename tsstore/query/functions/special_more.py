"""More Special and Graph functions: legends (cactiStyle, substr), changed, cumulative,
fallbackSeries, randomWalk, and the drawn lines (threshold, verticalLine, areaBetween)."""
from __future__ import annotations

import math
import random
import re
from datetime import datetime, timezone

import numpy as np

from tsstore.index import tags as tagnames
from tsstore.query.attime import UTC, AtTimeError, parse_time
from tsstore.query.errors import QueryError
from tsstore.query.functions._common import as_int
from tsstore.query.functions.alias_more import format_units, unit_system
from tsstore.query.functions.registry import Param, function
from tsstore.query.functions.special import consolidateBy, constantLine
from tsstore.query.series import TimeSeries

SL = Param("seriesList", "seriesList", required=True)
_CALL_NAME = re.compile(r"^[a-z]+[(].+[)]$", re.IGNORECASE)


def tags_of_name(name) -> dict:
    """The tags graphite-web gives a series it creates: parsed from a tagged name, else
    {'name': name} (also for names that look like function calls)."""
    if not isinstance(name, str):
        return {"name": str(name)}  # graphite-web's tags hold strings: a missing label is 'None'
    if _CALL_NAME.match(name):
        return {"name": name}
    try:
        return tagnames.parse_tags(name)
    except tagnames.InvalidTagError:
        return {"name": name}


def _integral(v: float):
    return int(v) if math.isfinite(v) else v


# -- Special ---------------------------------------------------------------------------
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
        out.append(s.copy(name=".".join(nodes[first:] if last == 0 else nodes[first:last])))
    return out


# -- Graph -----------------------------------------------------------------------------
@function("Graph", [SL])
def areaBetween(ctx, seriesList):
    """Draws the area between exactly two series (the first invisible, both stacked; use
    areaMode=stacked). Both are named areaBetween(<path of the second>)."""
    if len(seriesList) != 2:
        raise QueryError(f"areaBetween: the series argument must reference exactly 2 series, got {len(seriesList)}")
    lower_s, upper_s = seriesList
    name = f"areaBetween({upper_s.path_expression})"
    tags = dict(upper_s.tags, areaBetween="1")
    lo = lower_s.copy(name=name, tags=dict(tags))
    lo.options.update(stacked=True, invisible=True)
    hi = upper_s.copy(name=name, tags=tags)
    hi.options["stacked"] = True
    return [lo, hi]


@function("Graph", [Param("value", "float", required=True), Param("label", "string"), Param("color", "string")])
def threshold(ctx, value, label=None, color=None):
    """A horizontal line at value across the graph, named label, drawn in color."""
    (line,) = constantLine(ctx, value)
    line = line.copy(name=str(label)) if label else line
    if color:
        line.options["color"] = str(color)
    return [line]


@function("Graph", [Param("ts", "date", required=True), Param("label", "string"), Param("color", "string")])
def verticalLine(ctx, ts, label=None, color=None):
    """A vertical line at the time ts (absolute, or relative to now, as from/until are),
    named label, drawn in color; ts must lie inside the requested range."""
    now = datetime.fromtimestamp(ctx.now, timezone.utc)
    try:
        at = parse_time(ts, now, ctx.tz or UTC)
    except AtTimeError as exc:
        raise QueryError(f"verticalLine: ts {ts!r} is not a time: {exc}") from None
    if at < ctx.start:
        raise QueryError(f"verticalLine(): timestamp {at} exists before start of range")
    if at > ctx.end:
        raise QueryError(f"verticalLine(): timestamp {at} exists after end of range")
    name = None if label is None else str(label)
    # graphite-web: start = end = ts, so one point [1.0, ts] is rendered
    line = TimeSeries(name, at, at + 1, 1, np.ones(1), name, tags_of_name(name))
    line.options["drawAsInfinite"] = True
    if color:
        line.options["color"] = str(color)
    return [line]
