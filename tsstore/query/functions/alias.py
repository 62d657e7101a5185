"""Alias: rename series (legends depend on these names): fixed names, nodes and tags,
substitutions, names from another query or the series' own statistics, case."""
from __future__ import annotations


import numpy as np

from tsstore.index.user_regex import UserRegexError, compile_user
from tsstore.query import grammar
from tsstore.query.aggregation import AGG_FUNCS, series_value
from tsstore.query.errors import QueryError
from tsstore.query.functions.naming import format_units, metric_path, node_value
from tsstore.query.functions.params import SL
from tsstore.query.functions.registry import Param, function


def _renamed(s, name):
    return s.copy(name=name)


@function("Alias", [SL, Param("newName", "string", required=True)])
def alias(ctx, seriesList, newName):
    """Gives every series the same new name."""
    return [_renamed(s, str(newName)) for s in seriesList]


@function("Alias", [SL, Param("nodes", "nodeOrTag", required=True, multiple=True)])
def aliasByNode(ctx, seriesList, *nodes):
    """Names each series by some nodes of its path (negative counts from the end; a tag
    name takes that tag's value), joined with '.'."""
    if not nodes:
        raise QueryError("aliasByNode: at least one node is required")
    return [_renamed(s, ".".join(node_value(s, n) for n in nodes)) for s in seriesList]


@function("Alias", [SL, Param("tags", "nodeOrTag", required=True, multiple=True)])
def aliasByTags(ctx, seriesList, *tags):
    """Names each series by the values of the given tags (or nodes), joined with '.'."""
    return [_renamed(s, ".".join(node_value(s, t) for t in tags)) for s in seriesList]


@function("Alias", [SL])
def aliasByMetric(ctx, seriesList):
    """Names each series by the last node of its path."""
    return [_renamed(s, metric_path(s.name).split(";")[0].split(".")[-1]) for s in seriesList]


@function("Alias", [SL, Param("search", "string", required=True), Param("replace", "string", required=True)])
def aliasSub(ctx, seriesList, search, replace):
    """Renames with a regular expression substitution (Python re.sub: \\1 refers to group 1)."""
    try:
        rx = compile_user(search)
        return [_renamed(s, rx.sub(replace, s.name)) for s in seriesList]
    except UserRegexError as exc:
        raise QueryError(f"aliasSub: bad search or replace pattern: {exc}") from None


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
        rx = compile_user(str(search))
        queries = [rx.sub(str(replace), s.name) for s in seriesList]
    except UserRegexError as exc:
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


# the options as graphite-web lists them: its 'sumSeries' forms too (they print "(?)")
@function("Alias", [SL, Param("valuesTypes", "string", multiple=True,
                              options=AGG_FUNCS + [f + "Series" for f in AGG_FUNCS] + ["si", "binary"])])
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
                value = series_value(s.values, str(vtype))
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
