"""Tagged series names: `name;tag1=value1;tag2=value2` (and the OpenMetrics form
`name{tag="value",...}`), validated and put in canonical form as carbon and graphite-web do.

Canonical form: the metric name (leading '~' removed) then `;tag=value` for every other
tag, sorted by tag; a repeated tag keeps its last value.
"""
from __future__ import annotations

import re


class InvalidTagError(ValueError):
    pass


_OPENMETRICS = re.compile(r'^([^{]+)\{(.*)\}$')
_OM_PAIR = re.compile(r'\s*([^=,\s]+)\s*=\s*"((?:[^"\\]|\\.)*)"\s*(?:,|$)')


def is_tagged(name: str) -> bool:
    return ";" in name or name.endswith('"}')


def _validate(tag: str, value: str, path: str) -> None:
    if not tag:
        raise InvalidTagError(f"tag name is empty in {path!r}")
    bad = next((c for c in ";!^=" if c in tag), None)
    if bad:
        raise InvalidTagError(f"tag name {tag!r} contains {bad!r} in {path!r}")
    if not value:
        raise InvalidTagError(f"tag {tag!r} has an empty value in {path!r}")
    if ";" in value:
        raise InvalidTagError(f"value of tag {tag!r} contains ';' in {path!r}")
    if value.startswith("~"):
        raise InvalidTagError(f"value of tag {tag!r} starts with '~' in {path!r}")


def parse(path: str) -> tuple[str, dict[str, str]]:
    """(metric name, {tag: value}) of a tagged path, validated; raises InvalidTagError."""
    om = _OPENMETRICS.match(path) if path.endswith('"}') else None
    if om:
        metric, body = om.group(1), om.group(2)
        pairs, pos = [], 0
        for m in _OM_PAIR.finditer(body):
            if m.start() != pos:
                raise InvalidTagError(f"cannot parse tags {body!r} in {path!r}")
            pairs.append((m.group(1), m.group(2).replace('\\"', '"')))
            pos = m.end()
        if pos != len(body):
            raise InvalidTagError(f"cannot parse tags {body!r} in {path!r}")
    else:
        metric, *segments = path.split(";")
        pairs = []
        for seg in segments:
            if "=" not in seg:
                raise InvalidTagError(f"tag segment {seg!r} has no '=' in {path!r}")
            tag, _, value = seg.partition("=")
            pairs.append((tag, value))
    tags: dict[str, str] = {}
    for tag, value in pairs:
        _validate(tag, value, path)
        tags[tag] = value
    name = metric.lstrip("~")
    if not name:
        raise InvalidTagError(f"metric name is empty in {path!r}")
    tags["name"] = name
    return name, tags


def canonical(path: str) -> str:
    """'disk.used;rack=a1;datacenter=dc1' -> 'disk.used;datacenter=dc1;rack=a1'."""
    name, tags = parse(path)
    return name + "".join(f";{t}={v}" for t, v in sorted(tags.items()) if t != "name")


def parse_tags(canonical_path: str) -> dict[str, str]:
    """{tag: value} including 'name' of a path (an untagged path gives {'name': path})."""
    if ";" not in canonical_path:
        return {"name": canonical_path}
    return parse(canonical_path)[1]
