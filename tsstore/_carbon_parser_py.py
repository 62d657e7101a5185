"""Pure-Python twin of ext/carbon_parser.pyx: the carbon plaintext parser and series registry.

Behaviour is defined once and checked twice: tests run every case against both.

A line is `<path> <value> <timestamp>`, split only at '\\n', trimmed, split on runs of ASCII
whitespace into exactly three fields. Checks, in this order, each a counted drop:
field count (bad_field_count), value as Python float() (bad_value), timestamp as float()
and finite (bad_timestamp), then a NaN value is dropped silently (nan_values), then a new
name must be UTF-8 (bad_utf8) and, when tagged, valid tags (bad_tags; stored canonical).
A line longer than max_line_length bytes is dropped (line_too_long) without buffering it.
Timestamp -1 means now; others are truncated toward zero.
"""
from __future__ import annotations

import math
from collections import deque

import numpy as np

from tsstore import tags

DROP_REASONS = ("bad_field_count", "bad_value", "bad_timestamp", "line_too_long", "bad_utf8", "bad_tags")
_WS = b" \t\r\x0b\x0c"
TS_LIMIT = 2.0**62  # timestamps beyond this cannot be stored as int64 seconds


class SeriesRegistry:
    """Dense integer ids for series names; raw tagged spellings alias their canonical id."""

    def __init__(self):
        self._ids: dict[bytes, int] = {}
        self._names: list[str] = []

    def __len__(self) -> int:
        return len(self._names)

    def get(self, name: bytes) -> int:
        return self._ids.get(bytes(name), -1)

    def id_of(self, name: bytes) -> int:
        name = bytes(name)
        sid = self._ids.get(name)
        if sid is None:
            sid = len(self._names)
            self._names.append(name.decode("utf-8"))
            self._ids[name] = sid
        return sid

    def name_of(self, sid: int) -> str:
        return self._names[sid]

    def names_since(self, first_sid: int) -> list[str]:
        return self._names[first_sid:]

    def resolve_new(self, raw: bytes) -> int:
        """Id for a name seen on the wire for the first time; -2 bad UTF-8, -3 bad tags."""
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return -2
        if tags.is_tagged(text):
            try:
                text = tags.canonical(text)
            except tags.InvalidTagError:
                return -3
        sid = self.id_of(text.encode("utf-8"))
        self._ids[raw] = sid
        return sid


class PointBatch:
    __slots__ = ("sids", "timestamps", "values")

    def __init__(self, sids, timestamps, values):
        self.sids, self.timestamps, self.values = sids, timestamps, values

    def __len__(self) -> int:
        return len(self.sids)


def _empty_batch() -> PointBatch:
    return PointBatch(np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.float64))


class CarbonLineParser:
    def __init__(self, registry: SeriesRegistry, max_line_length: int = 16384):
        self.registry = registry
        self.max_line_length = max_line_length
        self.stats = {"lines": 0, "points": 0, "nan_values": 0, **{r: 0 for r in DROP_REASONS}}
        self.recent_errors: deque = deque(maxlen=32)
        self._partial = b""
        self._skipping = False  # inside an over-long line, until its newline

    def reset(self) -> None:
        self._partial = b""
        self._skipping = False

    def _drop(self, reason: str, line: bytes) -> None:
        self.stats[reason] += 1
        self.recent_errors.append((reason, line[:400].decode("utf-8", "replace")))

    def feed(self, data, now: int) -> PointBatch:
        data = bytes(data)
        out_s, out_t, out_v = [], [], []
        start = 0
        while True:
            nl = data.find(b"\n", start)
            if nl < 0:
                break
            piece = data[start:nl]
            start = nl + 1
            if self._skipping:
                self._skipping = False
                self._partial = b""
                continue
            line = self._partial + piece if self._partial else piece
            self._partial = b""
            if len(line) > self.max_line_length:
                self._drop("line_too_long", line)
                continue
            self._line(line, now, out_s, out_t, out_v)
        tail = data[start:]
        if tail and not self._skipping:
            if len(self._partial) + len(tail) > self.max_line_length:
                self._drop("line_too_long", self._partial + tail)
                self._partial = b""
                self._skipping = True
            else:
                self._partial += tail
        return PointBatch(np.array(out_s, np.int64), np.array(out_t, np.int64), np.array(out_v, np.float64))

    def finish(self, now: int) -> PointBatch:
        """Parse a last line that had no newline (a UDP datagram's last line)."""
        if self._skipping or not self._partial:
            self.reset()
            return _empty_batch()
        line, self._partial = self._partial, b""
        out_s, out_t, out_v = [], [], []
        self._line(line, now, out_s, out_t, out_v)
        return PointBatch(np.array(out_s, np.int64), np.array(out_t, np.int64), np.array(out_v, np.float64))

    def _line(self, line: bytes, now: int, out_s, out_t, out_v) -> None:
        stripped = line.strip(_WS)
        if not stripped:
            return
        self.stats["lines"] += 1
        fields = stripped.split()
        if len(fields) != 3:
            self._drop("bad_field_count", line)
            return
        try:
            value = float(fields[1])
        except ValueError:
            self._drop("bad_value", line)
            return
        try:
            ts = float(fields[2])
        except ValueError:
            self._drop("bad_timestamp", line)
            return
        if not math.isfinite(ts) or not -TS_LIMIT < ts < TS_LIMIT:
            self._drop("bad_timestamp", line)
            return
        if value != value:
            self.stats["nan_values"] += 1
            return
        sid = self.registry.get(fields[0])
        if sid < 0:
            sid = self.registry.resolve_new(fields[0])
            if sid == -2:
                self._drop("bad_utf8", line)
                return
            if sid == -3:
                self._drop("bad_tags", line)
                return
        out_s.append(sid)
        out_t.append(now if ts == -1 else int(ts))
        out_v.append(value)
        self.stats["points"] += 1

