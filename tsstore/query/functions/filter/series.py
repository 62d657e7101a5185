"""Filter Series: keep or drop whole series, by a statistic, a percentile, a name or a count.

The statistics are the aggregation table's (nulls skipped, sums added left to right, the NIST
percentile without interpolation), so that a threshold or a name built from them comes out as
graphite-web's."""
from __future__ import annotations

import math

import numpy as np

from tsstore.index.user_regex import UserRegexError, compile_user
from tsstore.query import grammar
from tsstore.query.aggregation import (
    percentile,
    percentile_ranks,
    sequential_sum,
    series_stat,
    series_value,
)
from tsstore.query.errors import QueryError
from tsstore.query.functions.params import (
    SERIES_LISTS,
    SL,
    XFF,
    agg_func,
    as_float,
    as_int,
    percentage,
    series_list,
)
from tsstore.query.functions.registry import Param, function


def _ranked(series, func: str, n, highest: bool):
    n = as_int(n, "highest" if highest else "lowest", "n")
    scored = [(series_stat(s.values, func), i, s) for i, s in enumerate(series)]
    # series whose statistic is null never rank (graphite-web drops None keys)
    scored = [t for t in scored if not math.isnan(t[0])]
    scored.sort(key=lambda t: (t[0], t[1]) if not highest else (-t[0], t[1]))
    return [s for _, _, s in scored[:n]]


# graphite-web declares n required (/functions) but its Python default of 1 applies
@function("Filter Series", [SL, Param("n", "integer", required=True), Param("func", "aggFunc", default="average")])
def highest(ctx, seriesList, n=1, func="average"):
    """The n series with the highest value of func (average by default)."""
    return _ranked(seriesList, func, n, True)


# graphite-web declares n required (/functions) but its Python default of 1 applies
@function("Filter Series", [SL, Param("n", "integer", required=True), Param("func", "aggFunc", default="average")])
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
        return compile_user(pattern)
    except UserRegexError as exc:
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


@function("Filter Series", [SL, XFF])
def removeEmptySeries(ctx, seriesList, xFilesFactor=None):
    """Drops series with no values (or fewer non-null values than xFilesFactor asks)."""
    out = []
    for s in seriesList:
        known = int(np.count_nonzero(~np.isnan(s.values)))
        xff = s.xfiles_factor if xFilesFactor is None else float(xFilesFactor)
        if known and len(s.values) and known / len(s.values) >= xff:
            out.append(s)
    return out


@function("Filter Series", [SL, Param("n", "float", required=True)])
def averageOutsidePercentile(ctx, seriesList, n):
    """Keeps the series whose average lies outside the band between the (100-n)th and the
    nth percentile of all the averages (n below 50 means 100-n); a series without values
    has no average and is kept."""
    n = percentage(n, "averageOutsidePercentile", 0)
    if n < 50:
        n = 100 - n
    averages = [series_value(s.values, "average") for s in seriesList]
    known = [a for a in averages if a is not None]
    low, high = percentile(known, 100 - n), percentile(known, n)
    return [s for s, a in zip(seriesList, averages) if a is None or not (low < a < high)]


@function("Filter Series", [SL, Param("n", "float", required=True)])
def removeBetweenPercentile(ctx, seriesList, n):
    """Keeps the series that have at least one value outside the band between the
    (100-n)th and the nth percentile of all the series' values at that time (n below 50
    means 100-n); nulls are neither inside nor outside."""
    n = percentage(n, "removeBetweenPercentile", 0)
    if n < 50:
        n = 100 - n
    if not seriesList:
        return []
    width = min(len(s.values) for s in seriesList)
    m = np.array([s.values[:width] for s in seriesList], np.float64).reshape(len(seriesList), width)
    ordered = np.sort(m, axis=0)  # nulls (NaN) sort last
    counts = (~np.isnan(m)).sum(axis=0)
    cols = np.arange(width)
    low = ordered[percentile_ranks(counts, 100 - n), cols]
    high = ordered[percentile_ranks(counts, n), cols]
    with np.errstate(invalid="ignore"):
        outside = (m <= low) | (m >= high)  # False wherever a value or the band is null
    return [s for s, keep in zip(seriesList, outside.any(axis=1)) if keep]


_OPERATORS = {
    "=": lambda v, t: v is not None and v == t,
    "!=": lambda v, t: v is None or v != t,
    ">": lambda v, t: v is not None and v > t,
    ">=": lambda v, t: v is not None and v >= t,
    "<": lambda v, t: v is None or v < t,
    "<=": lambda v, t: v is None or v <= t,
}


@function("Filter Series", [SL, Param("func", "aggFunc", required=True),
                            Param("operator", "string", required=True, options=sorted(_OPERATORS)),
                            Param("threshold", "float", required=True)])
def filterSeries(ctx, seriesList, func, operator, threshold):
    """Keeps the series whose func (average, max, last, ...) compares to threshold with the
    operator (=, !=, >, >=, <, <=). A series with no values counts as below anything."""
    agg_func(func, "filterSeries")
    if operator not in _OPERATORS:
        raise QueryError(f"filterSeries: operator must be one of {', '.join(sorted(_OPERATORS))}, got {operator!r}")
    limit = as_float(threshold, "filterSeries", "threshold")
    test = _OPERATORS[operator]
    return [s for s in seriesList if test(series_value(s.values, func, "filterSeries"), limit)]


@function("Filter Series", [SL, Param("n", "integer", required=True)])
def mostDeviant(ctx, seriesList, n):
    """The n series with the largest variance around their own mean (series without values
    are left out)."""
    n = as_int(n, "mostDeviant", "n")
    scored = []
    for s in seriesList:
        known = s.values[~np.isnan(s.values)]
        if not len(known):
            continue
        dev = known - float(sequential_sum(known)) / len(known)
        scored.append((float(sequential_sum(dev * dev)) / len(known), s))  # the variance
    scored.sort(key=lambda t: -t[0])  # stable: ties keep their order
    return [s for _, s in scored][:n]


@function("Filter Series", [SERIES_LISTS])
def unique(ctx, *seriesLists):
    """The series of all the lists, each name once (the first one seen)."""
    seen, out = set(), []
    for lst in seriesLists:
        for s in series_list(lst, "unique", "seriesLists"):
            if s.name not in seen:
                seen.add(s.name)
                out.append(s)
    return out


@function("Filter Series", [SL, Param("value", "float", required=True), Param("search", "string", required=True),
                            Param("replace", "string", required=True)])
async def useSeriesAbove(ctx, seriesList, value, search, replace):
    """For each series whose maximum is above value, draws the series named by a regular
    expression search/replace on its name (e.g. reqs -> time) instead."""
    limit = as_float(value, "useSeriesAbove", "value")
    try:
        rx = compile_user(str(search))
        names = [rx.sub(str(replace), s.name) for s in seriesList
                 if np.any(~np.isnan(s.values)) and np.nanmax(s.values) > limit]
    except UserRegexError as exc:
        raise QueryError(f"useSeriesAbove: bad search or replace pattern: {exc}") from None
    if not names:
        return []
    target = "group(" + ",".join(names) + ")"
    try:
        node = grammar.parse_target(target)
    except grammar.TargetSyntaxError as exc:
        raise QueryError(f"useSeriesAbove: the new names do not make a target: {exc}") from None
    return [s for s in await ctx.evaluate(node) if len(s.values)]
