"""Graph: drawing options. They ride along in series.options (graphite-web keeps them on
the series for its PNG renderer); the JSON answer is the series unchanged, as graphite-web's."""
from __future__ import annotations

import numpy as np

from tsstore.query.functions._common import as_float, as_int
from tsstore.query.functions.registry import Param, function

SL = Param("seriesList", "seriesList", required=True)


def _with_option(seriesList, rename=None, tag=None, **options):
    """Copies with drawing options set; rename(name) gives the new name where graphite-web
    changes it (stacked, dashed, secondYAxis, drawAsInfinite)."""
    out = []
    for s in seriesList:
        r = s.copy(name=rename(s.name), path_expression=rename(s.name)) if rename else s.copy()
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
    n = as_int(dashLength, "dashed", "dashLength")
    return _with_option(seriesList, lambda name: f"dashed({name}, {n})", ("dashed", n), dashed=n)


@function("Graph", [SL, Param("alpha", "float", required=True)])
def alpha(ctx, seriesList, alpha):
    """Draws the series with this opacity (0 to 1)."""
    return _with_option(seriesList, alpha=as_float(alpha, "alpha", "alpha"))


@function("Graph", [SL, Param("stack", "string")])
def stacked(ctx, seriesList, stack=None):
    """Draws the series stacked (in the named stack): each value becomes the running total
    of this point across the series so far (a null stays null and adds nothing)."""


    out = _with_option(seriesList, lambda name: f"stacked({name})", ("stacked", stack or "__DEFAULT__"),
                        stacked=True, stack=stack or "__DEFAULT__")
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
