"""Alias: rename series (legends depend on these names)."""
from __future__ import annotations

import re

from tsstore.query.errors import QueryError
from tsstore.query.functions._common import metric_path, node_value
from tsstore.query.functions.registry import Param, function

SL = Param("seriesList", "seriesList", required=True)


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
        rx = re.compile(search)
        return [_renamed(s, rx.sub(replace, s.name)) for s in seriesList]
    except re.error as exc:
        raise QueryError(f"aliasSub: bad search or replace pattern: {exc}") from None
