"""Graphite events (Grafana annotations): what an event is, how a posted one is read, and how
events are picked by tags, as graphite-web does it.

An event has a time (`when`, epoch seconds, sub-second kept but answered as whole seconds), a
short text (`what`), free text (`data`) and a list of tags (whitespace-separated words; a
posted list is joined with spaces first, as graphite-web stores it). The stores only keep and
range-scan events; tag matching happens here so both stores answer the same.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

# Bounds of what one event may carry (graphite-web's column is 255 characters for `what`).
MAX_WHAT_LENGTH = 255
MAX_DATA_BYTES = 64 * 1024
MAX_TAGS = 64


class InvalidEvent(ValueError):
    """A posted event that cannot be stored; the message names the field and the fix."""


@dataclass
class Event:
    when: float
    what: str
    data: str = ""
    tags: list[str] = field(default_factory=list)
    id: int = 0

    def as_json(self) -> dict:
        """The /events/get_data shape: when in whole epoch seconds, tags as a list."""
        return {"when": int(math.floor(self.when)), "what": self.what, "data": self.data, "tags": list(self.tags), "id": self.id}


def split_tags(tags) -> list[str]:
    """Tags as graphite-web keeps them: a list is joined by spaces, then split on whitespace."""
    if tags is None:
        return []
    if isinstance(tags, list):
        if not all(isinstance(t, str) for t in tags):
            raise InvalidEvent('"tags" must be an array of strings or a space-separated string')
        tags = " ".join(tags)
    if not isinstance(tags, str):
        raise InvalidEvent('"tags" must be an array or space-separated string')
    return tags.split()


def from_post(body, now: float | None = None) -> Event:
    """An Event from a POST /events body (already decoded JSON)."""
    if not isinstance(body, dict):
        raise InvalidEvent("the event must be a JSON object like {\"what\": \"deploy\", \"tags\": [\"release\"], \"when\": 1700000000, \"data\": \"...\"}")
    what = body.get("what")
    if not isinstance(what, str) or not what:
        raise InvalidEvent('"what" is required: a short text naming the event, e.g. "deploy v1.2"')
    if len(what) > MAX_WHAT_LENGTH:
        raise InvalidEvent(f'"what" is {len(what)} characters long; the limit is {MAX_WHAT_LENGTH}')
    data = body.get("data", "")
    if data is None:
        data = ""
    if not isinstance(data, str):
        raise InvalidEvent('"data" must be a string')
    if len(data.encode()) > MAX_DATA_BYTES:
        raise InvalidEvent(f'"data" is larger than the limit of {MAX_DATA_BYTES} bytes')
    tags = split_tags(body.get("tags"))
    if len(tags) > MAX_TAGS:
        raise InvalidEvent(f"an event may carry at most {MAX_TAGS} tags, this one has {len(tags)}")
    when = body.get("when")
    if when is None:
        when = time.time() if now is None else now
    elif isinstance(when, bool) or not isinstance(when, (int, float)) or not math.isfinite(when) or not 0 <= when < 2**33:
        raise InvalidEvent(f'"when" must be epoch seconds (a number), got {when!r}')
    return Event(float(when), what, data, tags)


def select(events: list[Event], tags: list[str] | None, set_operation: str | None = None) -> list[Event]:
    """Events carrying the tags: all of them by default and for 'intersection', any of them for
    'union'; no tags means every event. Sorted by time, then by id (order of arrival)."""
    out = events
    if tags:
        wanted = set(tags)
        if set_operation == "union":
            out = [e for e in events if wanted & set(e.tags)]
        else:
            out = [e for e in events if wanted <= set(e.tags)]
    return sorted(out, key=lambda e: (e.when, e.id))
