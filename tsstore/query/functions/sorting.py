"""Sorting: reorder series."""
from __future__ import annotations

import math
import re

from tsstore.query.aggregation import series_stat
from tsstore.query.functions.params import SL
from tsstore.query.functions.registry import Param, function


def _sorted(series, func: str, reverse: bool):
    # graphite-web sorts by the statistic; a series with no values sorts as the lowest
    def key(s):
        v = series_stat(s.values, func)
        return -math.inf if math.isnan(v) else v

    return sorted(series, key=key, reverse=reverse)


@function("Sorting", [SL, Param("func", "aggFunc", default="average"), Param("reverse", "boolean", default=False)])
def sortBy(ctx, seriesList, func="average", reverse=False):
    """Sorts by a statistic, lowest first (reverse=true: highest first)."""
    return _sorted(seriesList, func, bool(reverse))


@function("Sorting", [SL])
def sortByMaxima(ctx, seriesList):
    """Sorts by maximum value, highest first."""
    return _sorted(seriesList, "max", True)


@function("Sorting", [SL])
def sortByMinima(ctx, seriesList):
    """Sorts by minimum value, lowest first."""
    return _sorted(seriesList, "min", False)


@function("Sorting", [SL])
def sortByTotal(ctx, seriesList):
    """Sorts by the sum of the values, highest first."""
    return _sorted(seriesList, "sum", True)


def _natural_key(name: str):
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name)]


@function("Sorting", [SL, Param("natural", "boolean", default=False), Param("reverse", "boolean", default=False)])
def sortByName(ctx, seriesList, natural=False, reverse=False):
    """Sorts by name (natural=true: numbers inside names compare as numbers)."""
    return sorted(seriesList, key=(lambda s: _natural_key(s.name)) if natural else (lambda s: s.name), reverse=bool(reverse))
