"""The carbon point rules: what a received (name, timestamp, value) becomes, whatever protocol
brought it (plaintext lines, both parser twins, and pickle frames). As carbon does:

* a NaN value is dropped silently (counted, not an error);
* the timestamp must lie strictly within +-TS_LIMIT (2**62 s): beyond it, and for NaN or an
  infinity, there is no int64 slot to keep it in, so the point is refused;
* the stored timestamp is ``int(timestamp)``, truncated toward zero, and -1 (carbon tests
  ``int(ts) == -1``) means ``now``;
* a tagged name (``;`` or OpenMetrics ``{...}``) is stored under its canonical form, and a
  name that breaks the tag rules is refused (tags.InvalidTagError).

The compiled parser's hot path applies the same rules in C with these constants.
"""
from __future__ import annotations

from tsstore.index import tags

TS_LIMIT = 2.0**62  # timestamps must fit int64 seconds with room for slot arithmetic


def is_nan(value: float) -> bool:
    return value != value


def timestamp_ok(timestamp: float) -> bool:
    """True when the timestamp can be stored (false for NaN and the infinities too)."""
    return -TS_LIMIT < timestamp < TS_LIMIT


def stamp(timestamp: float, now: int) -> int:
    """The stored timestamp of an accepted one: truncated toward zero, -1 meaning now."""
    whole = int(timestamp)
    return now if whole == -1 else whole


def series_key(name: str) -> str:
    """The name a point is stored under; raises tags.InvalidTagError for bad tags."""
    return tags.canonical(name) if tags.is_tagged(name) else name
