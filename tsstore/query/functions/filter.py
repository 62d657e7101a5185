"""Filter Series and Filter Data: keep or drop series, or drop values."""
from __future__ import annotations

import math
import re

import numpy as np

from tsstore.query.errors import QueryError
from tsstore.query.functions._common import as_float, as_int, fmt_g, series_stat
from tsstore.query.functions.registry import Param, function

SL = Param("seriesList", "seriesList", required=True)


def _ranked(series, func: str, n, highest: bool):
    n = as_int(n, "highest" if highest else "lowest", "n")
    scored = [(series_stat(s.values, func), i, s) for i, s in enumerate(series)]
    # series whose statistic is null never rank (graphite-web drops None keys)
    scored = [t for t in scored if not math.isnan(t[0])]
    scored.sort(key=lambda t: (t[0], t[1]) if not highest else (-t[0], t[1]))
    return [s for _, _, s in scored[:n]]


@function("Filter Series", [SL, Param("n", "integer", default=1), Param("func", "aggFunc", default="average")])
def highest(ctx, seriesList, n=1, func="average"):
    """The n series with the highest value of func (average by default)."""
    return _ranked(seriesList, func, n, True)


@function("Filter Series", [SL, Param("n", "integer", default=1), Param("func", "aggFunc", default="average")])
def lowest(ctx, seriesList, n=1, func="average"):
    """The n series with the lowest value of func (average by default)."""
    return _ranked(seriesList, func, n, False)


def _register_ranked(name, func, high, doc):
    @function("Filter Series", [SL, Param("n", "integer", required=True)], name=name)
    def ranked(ctx, seriesList, n=1):
        return _ranked(seriesList, func, n, high)

    ranked.__doc__ = doc
    return ranked


highestAverage = _register_ranked("highestAverage", "average", True, "The n series with the highest average.")
highestCurrent = _register_ranked("highestCurrent", "current", True, "The n series with the highest last value.")
highestMax = _register_ranked("highestMax", "max", True, "The n series with the highest maximum.")
lowestAverage = _register_ranked("lowestAverage", "average", False, "The n series with the lowest average.")
lowestCurrent = _register_ranked("lowestCurrent", "current", False, "The n series with the lowest last value.")


def _register_threshold(name, func, above, doc):
    @function("Filter Series", [SL, Param("n", "float", required=True)], name=name)
    def threshold(ctx, seriesList, n):
        limit = as_float(n, name, "n")
        out = []
        for s in seriesList:
            v = series_stat(s.values, func)
            if not math.isnan(v) and ((v > limit) if above else (v < limit)):
                out.append(s)
        return out

    threshold.__doc__ = doc
    return threshold


currentAbove = _register_threshold("currentAbove", "current", True, "Series whose last value is above n.")
currentBelow = _register_threshold("currentBelow", "current", False, "Series whose last value is below n.")
averageAbove = _register_threshold("averageAbove", "average", True, "Series whose average is above n.")
averageBelow = _register_threshold("averageBelow", "average", False, "Series whose average is below n.")
maximumAbove = _register_threshold("maximumAbove", "max", True, "Series whose maximum is above n.")
maximumBelow = _register_threshold("maximumBelow", "max", False, "Series whose maximum is below n.")
minimumAbove = _register_threshold("minimumAbove", "min", True, "Series whose minimum is above n.")
minimumBelow = _register_threshold("minimumBelow", "min", False, "Series whose minimum is below n.")


def _regex(pattern, func):
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise QueryError(f"{func}: pattern {pattern!r} is not a valid regular expression: {exc}") from None


@function("Filter Series", [SL, Param("pattern", "string", required=True)])
def exclude(ctx, seriesList, pattern):
    """Drops the series whose name matches the regular expression."""
    rx = _regex(pattern, "exclude")
    return [s for s in seriesList if not rx.search(s.name)]


@function("Filter Series", [SL, Param("pattern", "string", required=True)])
def grep(ctx, seriesList, pattern):
    """Keeps the series whose name matches the regular expression."""
    rx = _regex(pattern, "grep")
    return [s for s in seriesList if rx.search(s.name)]


@function("Filter Series", [SL, Param("n", "integer", required=True)])
def limit(ctx, seriesList, n):
    """The first n series."""
    return seriesList[: as_int(n, "limit", "n")]


@function("Filter Series", [SL, Param("xFilesFactor", "float")])
def removeEmptySeries(ctx, seriesList, xFilesFactor=None):
    """Drops series with no values (or fewer non-null values than xFilesFactor asks)."""
    out = []
    for s in seriesList:
        known = int(np.count_nonzero(~np.isnan(s.values)))
        xff = s.xfiles_factor if xFilesFactor is None else float(xFilesFactor)
        if known and len(s.values) and known / len(s.values) >= xff:
            out.append(s)
    return out


def _remove(name, above, doc):
    @function("Filter Data", [SL, Param("n", "float", required=True)], name=name)
    def remove(ctx, seriesList, n):
        limit = as_float(n, name, "n")
        out = []
        for s in seriesList:
            with np.errstate(invalid="ignore"):
                drop = s.values > limit if above else s.values < limit
            label = f"{name}({s.name}, {fmt_g(limit)})"
            out.append(s.copy(name=label, values=np.where(drop, np.nan, s.values), path_expression=label))
        return out

    remove.__doc__ = doc
    return remove


removeAboveValue = _remove("removeAboveValue", True, "Sets values above n to null.")
removeBelowValue = _remove("removeBelowValue", False, "Sets values below n to null.")
