"""Names of series as graphite-web writes them: numbers in names, path expressions, the path
inside a function-wrapped name, nodes and tags picked from a name, the tags of a new series
made from a name alone, and unit prefixes in legends."""
from __future__ import annotations

import math
import re

from tsstore.index import tags as tagnames
from tsstore.query import grammar
from tsstore.query.errors import QueryError
from tsstore.query.series import TimeSeries

_INNER_PATH = re.compile(r"(?:.*\()?(?P<name>[-\w*.:#$@;=~]+)(?:,|\)?.*)?")
_CALL_LIKE = re.compile(r"^[a-z]+[(].+[)]$", re.IGNORECASE)

# graphite-web's unit prefixes (largest first), as its legends and cactiStyle print them
UNIT_SYSTEMS = {
    "binary": (("Pi", 1024.0 ** 5), ("Ti", 1024.0 ** 4), ("Gi", 1024.0 ** 3), ("Mi", 1024.0 ** 2), ("Ki", 1024.0)),
    "si": (("P", 1000.0 ** 5), ("T", 1000.0 ** 4), ("G", 1000.0 ** 3), ("M", 1000.0 ** 2), ("k", 1000.0)),
    "sec": (("Y", 31536000), ("M", 2592000), ("D", 86400), ("H", 3600), ("m", 60)),
    "msec": (("Y", 31536000000), ("M", 2592000000), ("D", 86400000), ("H", 3600000), ("m", 60000), ("s", 1000)),
    "none": (),
}


def fmt_g(x) -> str:
    """Python's %g, as graphite-web prints factors in names (scale(x,2), offset(x,-1.5))."""
    return "%g" % x


def path_expressions(series: list[TimeSeries]) -> str:
    """graphite-web's formatPathExpressions: unique pathExpressions in order of appearance,
    joined by ','."""
    return ",".join(dict.fromkeys(s.path_expression for s in series))


def metric_path(name: str) -> str:
    """The path inside a function-wrapped name: 'scale(a.b.c,2)' -> 'a.b.c'."""
    m = _INNER_PATH.match(name)
    return m.group("name") if m else name


def first_path(name: str) -> str:
    """The first path expression inside a function-wrapped name (graphite-web's
    _getFirstPathExpression); the name itself when it does not parse."""
    try:
        node = grammar.parse_target(name)
    except grammar.TargetSyntaxError:
        return name
    while isinstance(node, grammar.Call):
        if not node.args:
            return name
        node = node.args[0]
    return node.text if isinstance(node, grammar.PathExpr) else name


def node_value(series: TimeSeries, node) -> str:
    """aliasByNode/aliasByTags: an int picks a node of the path (negative from the end); a
    string picks a tag."""
    if isinstance(node, str) and not node.lstrip("-").isdigit():
        return series.tags.get(node, "")
    parts = metric_path(series.name).split(";")[0].split(".")
    idx = int(node)
    try:
        return parts[idx]
    except IndexError:
        raise QueryError(f"node {idx} is out of range for {series.name!r} ({len(parts)} nodes)") from None


def node_or_tag(series: TimeSeries, n, path: str) -> str:
    """graphite-web's getNodeOrTag: an integral number picks a node of path (a missing node
    falls back to a tag of that name), anything else a tag ('' when absent)."""
    if isinstance(n, (int, float)) and not isinstance(n, bool) and n == int(n):
        try:
            return path.split(";", 2)[0].split(".")[int(n)]
        except IndexError:
            pass
    return series.tags.get(str(n), "")


def aggregation_key(series: TimeSeries, nodes) -> str:
    """graphite-web's aggKey: the nodes (or tags) of the series' first path, joined by '.'."""
    path = first_path(series.name) if series.name.endswith(")") else series.name
    return ".".join(node_or_tag(series, n, path) for n in nodes)


def parsed_tags(name: str) -> dict:
    """The tags of a (possibly tagged) name; {'name': name} when it does not parse."""
    try:
        return tagnames.parse_tags(name)
    except tagnames.InvalidTagError:
        return {"name": name}


def tags_of_name(name) -> dict:
    """The tags graphite-web gives a series it creates from a name alone: parsed from a
    tagged name, else {'name': name} (also for names that look like function calls)."""
    if not isinstance(name, str):
        return {"name": str(name)}  # graphite-web's tags hold strings: a missing label is 'None'
    if _CALL_LIKE.match(name):
        return {"name": name}
    return parsed_tags(name)


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
