"""Graph: drawing options, and the drawn lines and areas (threshold, verticalLine,
areaBetween). The options ride along in series.options (graphite-web keeps them on
the series for its PNG renderer); the JSON answer is the series unchanged, as graphite-web's."""
from __future__ import annotations

from datetime import datetime, timezone

import numpy as np

from tsstore.query.attime import UTC, AtTimeError, parse_time
from tsstore.query.errors import QueryError
from tsstore.query.functions.naming import fmt_g, tags_of_name
from tsstore.query.functions.params import SL, as_float
from tsstore.query.functions.registry import Param, function
from tsstore.query.functions.special import constantLine
from tsstore.query.series import TimeSeries


def _with_option(seriesList, rename=None, tag=None, **options):
    """Copies with drawing options set; rename(name) gives the new name where graphite-web
    changes it (dashed, secondYAxis, drawAsInfinite). It renames in place, so the
    pathExpression stays the input's."""
    out = []
    for s in seriesList:
        r = s.copy(name=rename(s.name)) if rename else s.copy()
        r.options.update(options)
        if tag:  # the renaming ones also tag the series as graphite-web does
            r.tags[tag[0]] = str(tag[1])
        out.append(r)
    return out


@function("Graph", [SL, Param("theColor", "string", required=True)])
def color(ctx, seriesList, theColor):
    """Draws the series in this color."""
    return _with_option(seriesList, color=str(theColor))


@function("Graph", [SL, Param("width", "float", required=True)])
def lineWidth(ctx, seriesList, width):
    """Draws the series with this line width."""
    return _with_option(seriesList, lineWidth=as_float(width, "lineWidth", "width"))


@function("Graph", [SL, Param("dashLength", "integer", default=5)])
def dashed(ctx, seriesList, dashLength=5):
    """Draws the series dashed."""
    n = as_float(dashLength, "dashed", "dashLength")
    # graphite-web does not enforce the integer type: dashed(x, 2.5) is named with %g and
    # tagged with the value as given
    raw = dashLength if isinstance(dashLength, (int, float)) else n
    return _with_option(seriesList, lambda name: f"dashed({name}, {fmt_g(n)})", ("dashed", raw), dashed=raw)


@function("Graph", [SL, Param("alpha", "float", required=True)])
def alpha(ctx, seriesList, alpha):
    """Draws the series with this opacity (0 to 1)."""
    return _with_option(seriesList, alpha=as_float(alpha, "alpha", "alpha"))


@function("Graph", [SL, Param("stack", "string")])
def stacked(ctx, seriesList, stack=None, stackName=None):
    """Draws the series stacked (in the named stack): each value becomes the running total
    of this point across the series so far (a null stays null and adds nothing)."""
    # stackName: graphite-web's Python name for stack, which it also accepts by keyword
    name = stack if stackName is None else stackName
    if name is None or name == "__DEFAULT__":
        out = _with_option(seriesList, lambda n: f"stacked({n})", ("stacked", "__DEFAULT__"),
                           stacked=True, stack="__DEFAULT__")
    else:  # a named stack keeps the names (graphite-web's legend work-around) and adds no tag
        out = _with_option(seriesList, stacked=True, stack=str(name))
    for r in out:  # graphite-web returns series.copy(): the pathExpression is the name
        r.path_expression = r.name
    total = np.zeros(max((len(s.values) for s in out), default=0))
    for s in out:
        known = ~np.isnan(s.values)
        total[: len(s.values)][known] += s.values[known]
        s.values = np.where(known, total[: len(s.values)], np.nan)
    return out


@function("Graph", [SL])
def secondYAxis(ctx, seriesList):
    """Draws the series against the right-hand y axis."""
    return _with_option(seriesList, lambda name: f"secondYAxis({name})", ("secondYAxis", 1), secondYAxis=True)


@function("Graph", [SL])
def drawAsInfinite(ctx, seriesList):
    """Draws non-zero values as vertical lines."""
    return _with_option(seriesList, lambda name: f"drawAsInfinite({name})", ("drawAsInfinite", 1), drawAsInfinite=True)


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
    ctx.budget.charge("verticalLine makes", points=1, series=1)
    # graphite-web: start = end = ts, so one point [1.0, ts] is rendered
    line = TimeSeries(name, at, at + 1, 1, np.ones(1), name, tags_of_name(name))
    line.options["drawAsInfinite"] = True
    if color:
        line.options["color"] = str(color)
    return [line]
