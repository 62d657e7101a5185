"""The carbon plaintext parser and series registry: the pure-Python twin, which defines the
behaviour; ext/carbon_parser.pyx (tsstore.ingest._carbon_parser) replaces SeriesRegistry and
CarbonLineParser when built (TSSTORE_NO_EXTENSIONS=1 keeps these). The tests run every case
against both and compare them on generated streams.

    registry = SeriesRegistry()                  # shared by every connection
    parser = CarbonLineParser(registry)          # one per connection
    batch = parser.feed(data, now=int(time.time()))
    batch.sids, batch.timestamps, batch.values   # numpy arrays; registry.name_of(sid)

A line is the bytes between two '\\n'. Per line, as carbon does (decode, strip, split,
float(), float()), the outcome is the first that applies of:

* longer than max_line_length bytes (the '\\n' excluded) -> ``line_too_long``; it is never
  buffered beyond that length, and the rest up to its '\\n' is skipped;
* not valid UTF-8 -> ``bad_utf8``;
* blank (only whitespace) -> skipped, not counted at all;
* not exactly 3 whitespace-separated fields (Python ``str.split()``, so Unicode
  whitespace separates too) -> ``bad_field_count``;
* value not accepted by ``float()`` -> ``bad_value``; timestamp -> ``bad_timestamp``;
* then the point rules of tsstore.ingest.points: value NaN -> ``nan_values`` (dropped
  silently); timestamp NaN, infinite or beyond +-2**62 s -> ``bad_timestamp``; a tagged
  name that breaks the tag rules -> ``bad_tags``;
* otherwise a point: the name (canonical when tagged), ``int(timestamp)`` truncated
  toward zero, with -1 meaning ``now``, and the value.

Every line that is not blank counts in ``lines``; so lines == points + nan_values + the
drop counters. Each drop also appends (reason, text) to ``recent_errors`` (the last 32): the
line decoded with bad bytes shown as \\xNN, stripped and cut to 400 characters (an over-long
line: from its first max_line_length + 1 bytes, whatever the reads were).

A registry may be shared by parsers in one thread (or under the GIL); a parser belongs to
one connection.
"""
from __future__ import annotations

import sys
from collections import deque

import numpy as np

from tsstore import _ext
from tsstore.index import tags
from tsstore.ingest import points

DROP_REASONS = ("bad_field_count", "bad_value", "bad_timestamp", "line_too_long", "bad_utf8", "bad_tags")
ERROR_TEXT_CHARS = 400


def error_text(raw: bytes) -> str:
    """The logged form of a bad line: decoded (bad bytes escaped), stripped, cut to 400 chars."""
    return raw[: ERROR_TEXT_CHARS * 4].decode("utf-8", "backslashreplace").strip()[:ERROR_TEXT_CHARS]


def resolves_to_itself(text: str) -> bool:
    """True when a line whose first field is `text` is stored under exactly `text`."""
    if text.split() != [text]:
        return False
    try:
        return points.series_key(text) == text
    except tags.InvalidTagError:
        return False


def classify_line(raw: bytes):
    """The outcome of one line (at most max_line_length bytes), by the rules above, before
    its name is resolved: None for a blank line, the counter it adds to when it is no point
    (a drop reason or "nan_values"), else (first field, timestamp, value) as floats."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return "bad_utf8"
    fields = text.split()
    if not fields:
        return None
    if len(fields) != 3:
        return "bad_field_count"
    try:
        value = float(fields[1])
    except ValueError:
        return "bad_value"
    try:
        ts = float(fields[2])
    except ValueError:
        return "bad_timestamp"
    if points.is_nan(value):
        return "nan_values"
    if not points.timestamp_ok(ts):
        return "bad_timestamp"
    return fields[0], ts, value


class SeriesRegistry:
    """Dense integer ids for series names, shared by all connections.

    Two maps: names (canonical, as given to id_of) and wire spellings (the first field of a
    line, e.g. a tagged name with its tags in any order) that resolved to a name.
    """

    def __init__(self):
        self._ids: dict[bytes, int] = {}
        self._wire: dict[bytes, int] = {}
        self._names: list[str] = []

    def __len__(self) -> int:
        return len(self._names)

    def get(self, name) -> int:
        return self._ids.get(bytes(memoryview(name)), -1)

    def memory_bytes(self) -> int:
        """Bytes of the maps and names (the twin's is an estimate: its objects' sizes)."""
        return (sys.getsizeof(self._ids) + sys.getsizeof(self._wire) + sys.getsizeof(self._names)
                + sum(sys.getsizeof(k) for k in self._ids) + sum(sys.getsizeof(t) for t in self._names))

    def id_of(self, name) -> int:
        name = bytes(memoryview(name))
        sid = self._ids.get(name)
        if sid is None:
            text = name.decode("utf-8")  # raises on invalid UTF-8: nothing is registered
            sid = len(self._names)
            self._names.append(text)
            self._ids[name] = sid
            if resolves_to_itself(text):
                self._wire[name] = sid
        return sid

    def name_of(self, sid: int) -> str:
        if not 0 <= sid < len(self._names):
            raise IndexError(f"no series with id {sid}")
        return self._names[sid]

    def names_since(self, first_sid: int) -> list[str]:
        return self._names[max(first_sid, 0):]

    def wire_id(self, field: str) -> int:
        """Id of a line's first field (already split and decoded); -1 when its tags are invalid."""
        raw = field.encode("utf-8")
        sid = self._wire.get(raw)
        if sid is None:
            try:
                key = points.series_key(field)
            except tags.InvalidTagError:
                return -1
            sid = self.id_of(key.encode("utf-8"))
            self._wire[raw] = sid
        return sid


class PointBatch:
    """Points of one feed: parallel numpy arrays (sids, timestamps, values) owned by the batch."""

    __slots__ = ("sids", "timestamps", "values")

    def __init__(self, sids, timestamps, values):
        self.sids, self.timestamps, self.values = sids, timestamps, values

    def __len__(self) -> int:
        return len(self.sids)

    def __repr__(self) -> str:
        return f"PointBatch({len(self)} points)"


class CarbonLineParser:
    """One per connection: keeps the partial last line between feeds."""

    def __init__(self, registry: SeriesRegistry, max_line_length: int = 16384):
        if max_line_length < 1:
            raise ValueError("max_line_length must be at least 1")
        self.registry = registry
        self.max_line_length = max_line_length
        self.stats = {"lines": 0, "points": 0, "nan_values": 0, **{r: 0 for r in DROP_REASONS}}
        self.recent_errors: deque = deque(maxlen=32)
        self._partial = b""
        self._skipping = False  # inside an over-long line, until its newline

    def reset(self) -> None:
        """Forget the partial line (a TCP connection closed: carbon discards it)."""
        self._partial = b""
        self._skipping = False

    def feed(self, data, now: int) -> PointBatch:
        """Points of the complete lines in `data` (bytes-like); the last partial line is kept."""
        data = memoryview(data).tobytes()
        out = ([], [], [])
        pos, n = 0, len(data)
        if self._skipping:
            nl = data.find(b"\n")
            if nl < 0:
                return _batch(out)
            self._skipping = False
            pos = nl + 1
        while True:
            nl = data.find(b"\n", pos)
            if nl < 0:
                break
            line = self._partial + data[pos:nl] if self._partial else data[pos:nl]
            self._partial = b""
            pos = nl + 1
            if len(line) > self.max_line_length:
                self._too_long(line)
            else:
                self._line(line, now, out)
        if pos < n:
            if len(self._partial) + n - pos > self.max_line_length:
                self._too_long(self._partial + data[pos : pos + self.max_line_length + 1])
                self._partial = b""
                self._skipping = True
            else:
                self._partial += data[pos:]
        return _batch(out)

    def finish(self, now: int) -> PointBatch:
        """Parse a last line that had no newline (a UDP datagram's last line)."""
        line = self._partial
        skipping = self._skipping
        self.reset()
        out = ([], [], [])
        if line and not skipping:
            self._line(line, now, out)
        return _batch(out)

    def _drop(self, reason: str, raw: bytes) -> None:
        self.stats[reason] += 1
        self.recent_errors.append((reason, error_text(raw)))

    def _too_long(self, line: bytes) -> None:
        self.stats["lines"] += 1
        self._drop("line_too_long", line[: self.max_line_length + 1])

    def _line(self, raw: bytes, now: int, out) -> None:
        outcome = classify_line(raw)
        if outcome is None:
            return  # blank line
        self.stats["lines"] += 1
        if outcome == "nan_values":
            self.stats["nan_values"] += 1
            return
        if isinstance(outcome, str):
            self._drop(outcome, raw)
            return
        field, ts, value = outcome
        sid = self.registry.wire_id(field)
        if sid < 0:
            self._drop("bad_tags", raw)
            return
        out[0].append(sid)
        out[1].append(points.stamp(ts, now))
        out[2].append(value)
        self.stats["points"] += 1


def _batch(out) -> PointBatch:
    return PointBatch(np.array(out[0], np.int64), np.array(out[1], np.int64), np.array(out[2], np.float64))


# Last: the compiled module imports the helpers above from this one.
compiled = _ext.switch(globals(), "tsstore.ingest._carbon_parser", ("SeriesRegistry", "CarbonLineParser"))
