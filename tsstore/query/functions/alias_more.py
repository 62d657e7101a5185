"""More Alias functions: names from another query, from the series' own statistics, case."""
from __future__ import annotations

import math
import re

import numpy as np

from tsstore.query import grammar
from tsstore.query.errors import QueryError
from tsstore.query.functions.filter_more import agg_value
from tsstore.query.functions.registry import AGG_FUNCS, Param, function

SL = Param("seriesList", "seriesList", required=True)

# graphite-web's unit prefixes (largest first), as its legends and cactiStyle print them
UNIT_SYSTEMS = {
    "binary": (("Pi", 1024.0 ** 5), ("Ti", 1024.0 ** 4), ("Gi", 1024.0 ** 3), ("Mi", 1024.0 ** 2), ("Ki", 1024.0)),
    "si": (("P", 1000.0 ** 5), ("T", 1000.0 ** 4), ("G", 1000.0 ** 3), ("M", 1000.0 ** 2), ("k", 1000.0)),
    "sec": (("Y", 31536000), ("M", 2592000), ("D", 86400), ("H", 3600), ("m", 60)),
    "msec": (("Y", 31536000000), ("M", 2592000000), ("D", 86400000), ("H", 3600000), ("m", 60000), ("s", 1000)),
    "none": (),
}


def format_units(v, system: str, units: str | None = None) -> tuple[float, str]:
    """(scaled value, prefix[+units]): v divided by the largest unit it reaches."""
    scaled, prefix = v, ""
    for p, size in UNIT_SYSTEMS[system]:
        if abs(v) >= size:
            scaled, prefix = v / size, p
            break
    if math.isfinite(scaled) and scaled - math.floor(scaled) < 1e-11 and v > 1:
        scaled = float(math.floor(scaled))
    return scaled, prefix + units if units else prefix


def unit_system(system, func: str) -> str:
    if system not in UNIT_SYSTEMS:
        raise QueryError(f"{func}: system must be one of {', '.join(UNIT_SYSTEMS)}, got {system!r}")
    return system


async def _evaluate_text(ctx, target: str, func: str):
    try:
        node = grammar.parse_target(target)
    except grammar.TargetSyntaxError as exc:
        raise QueryError(f"{func}: {exc}") from None
    return await ctx.evaluate(node)


@function("Alias", [SL, Param("search", "string", required=True), Param("replace", "string", required=True),
                    Param("newName", "string", required=True)])
async def aliasQuery(ctx, seriesList, search, replace, newName):
    """Names each series from another query: search/replace (regular expression) turns its
    name into a target, and the last value of that target's first series is put into
    newName with a %-format (e.g. 'Channel %d MHz')."""
    try:
        rx = re.compile(str(search))
        queries = [rx.sub(str(replace), s.name) for s in seriesList]
    except re.error as exc:
        raise QueryError(f"aliasQuery: bad search or replace pattern: {exc}") from None
    out = []
    for s, query in zip(seriesList, queries):
        found = await _evaluate_text(ctx, query, "aliasQuery")
        if not found:
            raise QueryError(f"aliasQuery: no series found with query: {query}")
        known = found[0].values[~np.isnan(found[0].values)]
        if not len(known):
            raise QueryError(f"aliasQuery: the series of {query!r} has no value to name with")
        try:
            name = str(newName) % float(known[-1])
        except (TypeError, ValueError) as exc:
            raise QueryError(f"aliasQuery: newName {newName!r} must hold one %-format for the value: {exc}") from None
        out.append(s.copy(name=name))
    return out


@function("Alias", [SL, Param("valuesTypes", "string", multiple=True, options=AGG_FUNCS + ["si", "binary"])])
def legendValue(ctx, seriesList, *valueTypes):
    """Appends statistics to each name: ' (avg: 12.5)' for every value type given (avg,
    last, max, min, total, ... any aggregation function). A last argument 'si' or 'binary'
    prints them with unit prefixes in aligned columns instead."""
    if not valueTypes:
        raise QueryError("legendValue: at least one value type is required")
    system = None
    if valueTypes[-1] in ("si", "binary"):
        system, valueTypes = valueTypes[-1], valueTypes[:-1]
    out = [s.copy() for s in seriesList]
    for vtype in valueTypes:
        for s in out:
            try:
                value = agg_value(s.values, str(vtype))
            except QueryError:
                value = "(?)"  # an unknown value type is shown, not refused
            if system is None:
                s.name += f" ({vtype}: {value})"
            else:
                if isinstance(value, str) or value is None:
                    text = value
                else:
                    text = "%.2f%s" % format_units(value, system)
                s.name = "%-20s%-5s%-10s" % (s.name, vtype, text)
    return out


@function("Alias", [SL])
def upper(ctx, seriesList):
    """Upper-cases the names."""
    return [s.copy(name=s.name.upper()) for s in seriesList]


@function("Alias", [SL])
def lower(ctx, seriesList):
    """Lower-cases the names."""
    return [s.copy(name=s.name.lower()) for s in seriesList]
