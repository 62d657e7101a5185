"""The Store protocol that the embedded (SQLite) and Cassandra stores both implement, and
SegmentStore, the windowing and segment coding they share (WINDOW_SLOTS, COMPACT_AFTER,
the path-tree rows of a name).

Data model (DESIGN.md, "Storage layout"):

* A series is created once with its rollups, aggregation method and xFilesFactor
  (carbon fixes them at creation; editing the conf files later affects new series only).
* Each rollup level is an aligned slot grid. Level 0 (the finest) keeps one value per
  slot (one column); coarser levels keep five columns, SUM, COUNT, MIN, MAX, LAST, where
  COUNT counts the finest slots that were known, so xFilesFactor stays exact.
* A write is a `Slots` block for one (series, level). Stores cut it into fixed windows
  of WINDOW_SLOTS slots and append one *segment* per touched window. A read merges
  the segments of each window by slot; the most recently written segment wins, which
  is whisper's last-write-wins rule and makes WAL replays and resends idempotent.
"""
from __future__ import annotations

import abc
import asyncio
import time
from dataclasses import dataclass

import numpy as np

from tsstore.store import segment_codec as codec
from tsstore.index import globs
from tsstore.model import AGG_COLUMNS, RAW_COLUMNS, Node, SeriesMeta, Slots, WriteRequest
from tsstore.events import Event

# Slots per storage window (one Cassandra partition / one SQLite key range).
WINDOW_SLOTS = 4096
# A (series, level, window) with this many segments is rewritten as one (read-merge-write).
COMPACT_AFTER = 16


def tree_rows(name: str) -> list[tuple[str, str, bool]]:
    """(parent, child, is_leaf) for every level of a dotted path; the root's parent is ''."""
    parts = name.split(".")
    return [(".".join(parts[:i]), part, i == len(parts) - 1) for i, part in enumerate(parts)]


def merge_last_wins(parts: list[Slots], columns: int) -> Slots:
    """Merge slot blocks given oldest first; where slots repeat, the later block wins."""
    parts = [p for p in parts if len(p)]
    if not parts:
        return Slots.empty(columns)
    if len(parts) == 1:
        return parts[0]
    ts = np.concatenate([p.ts for p in parts])
    vals = np.concatenate([p.values for p in parts])
    # Reverse so np.unique's "first occurrence" is the latest write.
    uniq, idx = np.unique(ts[::-1], return_index=True)
    return Slots(uniq, vals[::-1][idx])


@dataclass(frozen=True)
class SegmentRow:
    name: str
    level: int
    window: int  # window start timestamp
    seq: int  # write order: later segments win
    blob: bytes
    expires_at: int  # epoch seconds after which the whole segment is outside retention


class _SeqClock:
    """Monotonic segment sequence numbers (ns since epoch, strictly increasing)."""

    def __init__(self):
        self._last = 0

    def next(self) -> int:
        now = time.time_ns()
        self._last = now if now > self._last else self._last + 1
        return self._last


class Store(abc.ABC):
    """Everything ingest and the query engine need from a store."""

    kind: str = "abstract"

    async def open(self) -> None:  # noqa: B027 - optional hook
        pass

    async def close(self) -> None:  # noqa: B027 - optional hook
        pass

    # -- series and the path tree -------------------------------------------------
    @abc.abstractmethod
    async def create_series(self, metas: list[SeriesMeta]) -> None:
        """Record new series (first creation wins) and add their paths to the tree."""

    @abc.abstractmethod
    async def get_series(self, names: list[str]) -> dict[str, SeriesMeta]:
        """Metadata of the named series that exist."""

    @abc.abstractmethod
    async def children(self, parent: str) -> list[Node]:
        """Direct children of a branch ('' is the root), sorted by name."""

    # -- the tag index (tagged series are indexed when created) ---------------------
    @abc.abstractmethod
    async def tag_names(self) -> list[str]:
        """Every tag name used by a tagged series, sorted."""

    @abc.abstractmethod
    async def tag_values(self, tag: str) -> dict[str, int]:
        """{value: number of series} for one tag."""

    @abc.abstractmethod
    async def series_with_tag(self, tag: str, value: str | None = None) -> list[str]:
        """Canonical names of the series having tag (= value when given), sorted."""

    @abc.abstractmethod
    async def forget_tagged(self, names: list[str]) -> int:
        """Remove tagged series from the tag index (/tags/delSeries); their points stay until
        they expire, as graphite-web leaves the whisper files. Returns how many were indexed."""

    # -- events (Grafana annotations) --------------------------------------------------
    @abc.abstractmethod
    async def add_event(self, event: Event) -> int:
        """Store an event durably; returns its id."""

    @abc.abstractmethod
    async def events_between(self, start: float, end: float) -> list[Event]:
        """Every event with start <= when <= end (tag selection is done by tsstore.events)."""

    @abc.abstractmethod
    async def get_event(self, event_id: int) -> Event | None:
        """One event by id."""

    async def children_many(self, parents: list[str]) -> list[list[Node]]:
        """children() of several parents (stores override it to batch the lookups)."""
        return list(await asyncio.gather(*(self.children(p) for p in parents)))

    async def find(self, pattern: str) -> list[Node]:
        """Nodes matching a Graphite glob, walking one level per component."""
        return await globs.find_in_tree(self.children_many, pattern)

    # -- points ------------------------------------------------------------------
    @abc.abstractmethod
    async def write(self, requests: list[WriteRequest]) -> None:
        """Durably store the slots; returns when the store has acknowledged them."""

    async def read(self, name: str, level: int, step: int, start: int, end: int) -> Slots:
        """Merged slots of one series level with start <= ts < end."""
        return (await self.read_many([name], {name: (level, step)}, start, end))[name]

    @abc.abstractmethod
    async def read_many(
        self, names: list[str], level_of: dict[str, tuple[int, int]], start: int, end: int
    ) -> dict[str, Slots]:
        """Merged slots of several series with start <= ts < end; level_of maps a name to
        (level, step). A series with nothing stored gets empty slots."""

    @abc.abstractmethod
    async def expire(self, now: int) -> int:
        """Remove data outside retention; returns the number of segments removed."""

    async def disk_bytes(self) -> int:
        """Bytes the store uses on disk (for the bytes-per-point figures)."""
        return 0


class SegmentStore(Store):
    """Windowing and segment coding shared by the stores; subclasses move rows."""

    def __init__(self):
        self._seq = _SeqClock()

    @staticmethod
    def window_of(ts: int, step: int) -> int:
        span = step * WINDOW_SLOTS
        return (ts // span) * span

    def encode_requests(self, requests: list[WriteRequest]) -> list[tuple[WriteRequest, SegmentRow]]:
        """Segment rows for many requests, encoded in one codec call per column count.

        Every row gets its own seq, increasing in request order: two requests for the same
        (series, level, window) in one call (re-derived slots do that) must be two segments,
        the later one winning, not one row overwriting the other."""
        out: list[tuple[WriteRequest, SegmentRow]] = []
        for columns in (RAW_COLUMNS, AGG_COLUMNS):
            group = [r for r in requests if r.slots.values.shape[1] == columns and len(r.slots)]
            if not group:
                continue
            starts = np.zeros(len(group) + 1, np.int64)
            np.cumsum([len(r.slots) for r in group], out=starts[1:])
            ts = np.concatenate([r.slots.ts for r in group])
            values = np.concatenate([r.slots.values for r in group])
            steps = np.array([r.step for r in group], np.int64)
            for g, window, blob in codec.encode_batch(ts, values, starts, steps, WINDOW_SLOTS):
                req = group[g]
                expires = window + req.step * WINDOW_SLOTS + req.retention
                out.append((req, SegmentRow(req.name, req.level, window, self._seq.next(), blob, expires)))
        return out

    @staticmethod
    def decode_rows(blobs: list[tuple[int, bytes]], window_step: int, columns: int) -> Slots:
        """Decode (window, blob) pairs given in write order and merge them."""
        parts = []
        for window, blob in blobs:
            ts, values = codec.decode(blob, window, window_step)
            parts.append(Slots(ts, values))
        return merge_last_wins(parts, columns)

    def windows_between(self, step: int, start: int, end: int) -> list[int]:
        span = step * WINDOW_SLOTS
        first = self.window_of(start, step)
        return list(range(first, end, span)) if end > start else []
