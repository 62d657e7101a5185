"""Tagged series names, validated and put in canonical form as carbon and graphite-web do.

Two spellings are parsed:

* carbon: ``name;tag1=value1;tag2=value2`` (split on ``;``, each segment split at its
  first ``=``);
* OpenMetrics: ``name{tag1="value1",tag2="value2"}``, recognised only when the path ends
  in ``"}`` and contains ``{``. Inside a quoted value ``\\"`` and ``\\\\`` are escapes.

Rules (shared by carbon and graphite-web): the metric name is non-empty; a tag is
non-empty and contains none of ``;!^=``; a value is non-empty, contains no ``;`` and does
not start with ``~``. The tag ``name`` is always the metric name with its leading ``~``
removed (an explicit ``name=`` tag is overridden; a name of only ``~`` is invalid). A
repeated tag keeps its last value.

Canonical form: the name, then ``;tag=value`` for every other tag. The segments are
sorted as whole ``;tag=value`` strings, which is what carbon does: it equals sorting by
tag except when one tag is a prefix of another and the next character sorts before
``=`` (``core1`` comes before ``core`` because ``1`` < ``=``).
"""
from __future__ import annotations

import re


class InvalidTagError(ValueError):
    """A tagged path breaks the tag syntax; the message names the problem."""


_PROHIBITED_IN_TAG = ";!^="

# One OpenMetrics pair: tag up to the first '=', a quoted value of escapes or plain
# characters, then ',' or the end. carbon's separator is written '(:?,|$)', so ':,' also
# separates pairs; we accept the same inputs.
_OPENMETRICS_PAIR = re.compile(r'([^=]+)="((?:\\["\\]|[^"\\])+)"(?::?,|$)')


def is_tagged(path: str) -> bool:
    """True when `path` uses either tag syntax and must be canonicalised."""
    return ";" in path or (path.endswith('"}') and "{" in path)


def _check(tag: str, value: str, path: str) -> None:
    if not tag:
        raise InvalidTagError(f"empty tag name in {path!r}")
    for char in _PROHIBITED_IN_TAG:
        if char in tag:
            raise InvalidTagError(f"tag {tag!r} contains {char!r} (tags may not contain any of ;!^=) in {path!r}")
    if not value:
        raise InvalidTagError(f"tag {tag!r} has an empty value in {path!r}")
    if ";" in value:
        raise InvalidTagError(f"value {value!r} of tag {tag!r} contains ';' in {path!r}")
    if value[0] == "~":
        raise InvalidTagError(f"value {value!r} of tag {tag!r} starts with '~' in {path!r}")


def _name_tag(metric: str, path: str) -> str:
    if not metric:
        raise InvalidTagError(f"no metric name before the tags in {path!r}")
    name = metric.lstrip("~")
    if not name:
        raise InvalidTagError(f"metric name {metric!r} is empty once its leading '~' are removed in {path!r}")
    return name


def _parse_openmetrics(path: str) -> dict[str, str]:
    parts = path[:-1].split("{")
    if len(parts) != 2:
        raise InvalidTagError(f"more than one '{{' in {path!r}")
    metric, rest = parts
    name = _name_tag(metric, path)
    tags: dict[str, str] = {}
    while rest:
        m = _OPENMETRICS_PAIR.match(rest)
        if m is None:
            raise InvalidTagError(f'cannot read tag=\"value\" at {rest!r} in {path!r}')
        tag, value = m.group(1), m.group(2).replace('\\"', '"').replace("\\\\", "\\")
        _check(tag, value, path)
        tags[tag] = value
        rest = rest[m.end():]
    tags["name"] = name
    return tags


def _parse_carbon(path: str) -> dict[str, str]:
    metric, *segments = path.split(";")
    name = _name_tag(metric, path)
    tags: dict[str, str] = {}
    for segment in segments:
        tag, eq, value = segment.partition("=")
        if not eq:
            raise InvalidTagError(f"tag segment {segment!r} has no '=' in {path!r}")
        _check(tag, value, path)
        tags[tag] = value
    tags["name"] = name
    return tags


def parse(path: str) -> tuple[str, dict[str, str]]:
    """(metric name, {tag: value} including 'name') of a tagged path; raises InvalidTagError."""
    if path.endswith('"}') and "{" in path:
        tags = _parse_openmetrics(path)
    else:
        tags = _parse_carbon(path)
    return tags["name"], tags


def format_path(tags: dict[str, str]) -> str:
    """Canonical path of a tag set (which must hold 'name')."""
    return tags["name"] + "".join(sorted(f";{tag}={value}" for tag, value in tags.items() if tag != "name"))


def canonical(path: str) -> str:
    """'disk.used;rack=a1;datacenter=dc1' -> 'disk.used;datacenter=dc1;rack=a1'."""
    return format_path(parse(path)[1])


def parse_tags(path: str) -> dict[str, str]:
    """{tag: value} including 'name'; an untagged path gives {'name': path}."""
    if not is_tagged(path):
        return {"name": path}
    return parse(path)[1]


def tag_rows(name: str) -> list[tuple[str, str]]:
    """(tag, value) pairs of a canonical tagged name ('name;a=1;b=2'); [] if untagged."""
    if ";" not in name:
        return []
    metric, *pairs = name.split(";")
    rows = [("name", metric)]
    for pair in pairs:
        tag, _, value = pair.partition("=")
        rows.append((tag, value))
    return rows
