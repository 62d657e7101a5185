"""More Filter Series / Filter Data functions: percentiles, deviance, filterSeries, unique,
useSeriesAbove.

The statistics here are computed the way graphite-web computes them (nulls skipped, sums
added left to right, the NIST percentile without interpolation), so that a threshold or a
name built from them comes out identical.
"""
from __future__ import annotations

import math
import re

import numpy as np

from tsstore.query import grammar
from tsstore.query.errors import QueryError
from tsstore.query.functions._common import as_float, as_int, fmt_g, series_list
from tsstore.query.functions.registry import AGG_FUNCS, Param, function

SL = Param("seriesList", "seriesList", required=True)

_AGG_ALIASES = {"avg": "average", "total": "sum", "current": "last", "rangeOf": "range"}


def _seq_sum(values: np.ndarray) -> float:
    """Left-to-right sum (Python's sum(), not numpy's pairwise one)."""
    return float(np.cumsum(values)[-1]) if len(values) else 0.0


def agg_value(values: np.ndarray, func: str, who: str = "aggregate"):
    """One statistic of a series as graphite-web's aggregation functions give it: None when
    there is no value (count gives 0; multiply is None as soon as one value is null)."""
    func = _AGG_ALIASES.get(func, func)
    known = values[~np.isnan(values)]
    n = len(known)
    if func == "count":
        return n
    if func == "avg_zero":
        return _seq_sum(np.nan_to_num(values, nan=0.0)) / len(values) if len(values) else None
    if func == "multiply":
        return float(np.cumprod(values)[-1]) if len(values) and n == len(values) else None
    if func not in ("average", "median", "sum", "min", "max", "diff", "stddev", "range", "last"):
        raise QueryError(f"{who}: unsupported aggregation function {func!r} (one of {', '.join(AGG_FUNCS)})")
    if not n:
        return None
    if func == "average":
        return _seq_sum(known) / n
    if func == "sum":
        return _seq_sum(known)
    if func == "min":
        return float(known.min())
    if func == "max":
        return float(known.max())
    if func == "last":
        return float(known[-1])
    if func == "range":
        return float(known.max()) - float(known.min())
    if func == "diff":
        return _seq_sum(np.concatenate([known[:1], -known[1:]]))
    if func == "median":
        ordered = np.sort(known)
        mid = n // 2
        return float(ordered[mid - 1] + ordered[mid]) / 2 if n % 2 == 0 else float(ordered[mid])
    mean = _seq_sum(known) / n  # stddev (population)
    dev = known - mean
    return math.sqrt(_seq_sum(dev * dev) / n)


def percentile_ranks(counts: np.ndarray, n: float) -> np.ndarray:
    """Index into each sorted sample of the n-th percentile (NIST method, no interpolation:
    rank = ceil(n/100 * (count+1)), clamped to the first and last value)."""
    fractional = (n / 100.0) * (counts + 1)
    rank = np.trunc(fractional)
    rank = (rank + np.ceil(fractional - rank)).astype(np.int64)
    return np.clip(rank - 1, 0, np.maximum(counts - 1, 0))


def percentile(values, n: float):
    """The n-th percentile of the non-null values (None when there is none)."""
    known = np.sort(np.asarray(values, np.float64))
    known = known[~np.isnan(known)]
    if not len(known):
        return None
    return float(known[percentile_ranks(np.array([len(known)]), n)[0]])


def _percent(n, func: str, low: float, low_open: bool = False) -> float:
    v = as_float(n, func, "n")
    if not (low < v <= 100 if low_open else low <= v <= 100):
        bound = f"above {fmt_g(low)}" if low_open else f"between {fmt_g(low)} and 100"
        raise QueryError(f"{func}: n must be a percentage {bound}, got {n!r}")
    return v


# -- Filter Series ---------------------------------------------------------------------
@function("Filter Series", [SL, Param("n", "float", required=True)])
def averageOutsidePercentile(ctx, seriesList, n):
    """Keeps the series whose average lies outside the band between the (100-n)th and the
    nth percentile of all the averages (n below 50 means 100-n); a series without values
    has no average and is kept."""
    n = _percent(n, "averageOutsidePercentile", 0)
    if n < 50:
        n = 100 - n
    averages = [agg_value(s.values, "average") for s in seriesList]
    known = [a for a in averages if a is not None]
    low, high = percentile(known, 100 - n), percentile(known, n)
    return [s for s, a in zip(seriesList, averages) if a is None or not (low < a < high)]


@function("Filter Series", [SL, Param("n", "float", required=True)])
def removeBetweenPercentile(ctx, seriesList, n):
    """Keeps the series that have at least one value outside the band between the
    (100-n)th and the nth percentile of all the series' values at that time (n below 50
    means 100-n); nulls are neither inside nor outside."""
    n = _percent(n, "removeBetweenPercentile", 0)
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
    if func not in AGG_FUNCS:
        raise QueryError(f"filterSeries: func must be one of {', '.join(AGG_FUNCS)}, got {func!r}")
    if operator not in _OPERATORS:
        raise QueryError(f"filterSeries: operator must be one of {', '.join(sorted(_OPERATORS))}, got {operator!r}")
    limit = as_float(threshold, "filterSeries", "threshold")
    test = _OPERATORS[operator]
    return [s for s in seriesList if test(agg_value(s.values, func, "filterSeries"), limit)]


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
        dev = known - _seq_sum(known) / len(known)
        scored.append((_seq_sum(dev * dev) / len(known), s))
    scored.sort(key=lambda t: -t[0])  # stable: ties keep their order
    return [s for _, s in scored][:n]


@function("Filter Series", [Param("seriesLists", "seriesList", required=True, multiple=True)])
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
        rx = re.compile(str(search))
        names = [rx.sub(str(replace), s.name) for s in seriesList
                 if np.any(~np.isnan(s.values)) and np.nanmax(s.values) > limit]
    except re.error as exc:
        raise QueryError(f"useSeriesAbove: bad search or replace pattern: {exc}") from None
    if not names:
        return []
    target = "group(" + ",".join(names) + ")"
    try:
        node = grammar.parse_target(target)
    except grammar.TargetSyntaxError as exc:
        raise QueryError(f"useSeriesAbove: the new names do not make a target: {exc}") from None
    return [s for s in await ctx.evaluate(node) if len(s.values)]


# -- Filter Data -------------------------------------------------------------------------
def _remove_percentile(name: str, above: bool, doc: str):
    @function("Filter Data", [SL, Param("n", "float", required=True)], name=name)
    def remove(ctx, seriesList, n):
        n = _percent(n, name, 0, low_open=True)
        out = []
        for s in seriesList:
            label = f"{name}({s.name}, {fmt_g(n)})"
            limit = percentile(s.values, n)
            values = s.values
            if limit is not None:
                with np.errstate(invalid="ignore"):
                    values = np.where(values > limit if above else values < limit, np.nan, values)
            r = s.copy(name=label, path_expression=label, values=values.copy())
            if limit is not None:  # graphite-web's nPercentile tags the series it reads
                r.tags["nPercentile"] = str(n)
            out.append(r)
        return out

    remove.__doc__ = doc
    return remove


removeAbovePercentile = _remove_percentile(
    "removeAbovePercentile", True, "Sets the values above the series' nth percentile to null.")
removeBelowPercentile = _remove_percentile(
    "removeBelowPercentile", False, "Sets the values below the series' nth percentile to null.")
