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
import functools
import hashlib
import json
import socket
import threading
import time
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from tsstore.store import segment_codec as codec
from tsstore.store.activity import ActivityTracker, newest_per_series
from tsstore.index import globs
from tsstore.model import AGG_COLUMNS, COUNT, Node, Rollup, SeriesMeta, Slots, WriteBatch, WriteRequest, columns_of
from tsstore.events import Event

# Slots per storage window (one Cassandra partition / one SQLite key range).
WINDOW_SLOTS = 4096
# A (series, level, window) with this many segments is rewritten as one (read-merge-write).
COMPACT_AFTER = 16


@functools.lru_cache(maxsize=256)
def rollups_text(rollups: tuple[Rollup, ...]) -> str:
    """How both stores keep a series' rollups: json [[step, points], ...]. Cached: a store
    holds a handful of distinct schemas, and creating a million series asks a million times."""
    return json.dumps([[r.step, r.points] for r in rollups])


@functools.lru_cache(maxsize=256)
def rollups_of_text(text: str) -> tuple[Rollup, ...]:
    """rollups_text read back (the same tuple for every series of a schema)."""
    return tuple(Rollup(step, points) for step, points in json.loads(text))


def tree_rows_of(names) -> list[tuple[str, str, bool]]:
    """(parent, child, is_leaf) for every level of many dotted paths (the root's parent is
    ''), each branch row once: a million series under a few thousand branches are a million
    leaf rows, not four million rows to upsert."""
    rows, branches = [], set()
    for name in names:
        end = name.rfind(".")
        rows.append((name[:end] if end >= 0 else "", name[end + 1:], True))
        while end >= 0:
            branch = name[:end]
            if branch in branches:
                break  # and so is every shorter prefix
            branches.add(branch)
            end = branch.rfind(".")
            rows.append((branch[:end] if end >= 0 else "", branch[end + 1:], False))
    return rows


def merge_last_wins(parts: list[Slots], columns: int) -> Slots:
    """Merge slot blocks given oldest first; where slots repeat, the later block wins, except
    that a coarse slot (five columns) counting more finest slots wins over one counting fewer
    (coarse_winners)."""
    parts = [p for p in parts if len(p)]
    if not parts:
        return Slots.empty(columns)
    if len(parts) == 1:
        return parts[0]
    ts = np.concatenate([p.ts for p in parts])
    vals = np.concatenate([p.values for p in parts])
    if columns == AGG_COLUMNS:
        keep = coarse_winners(ts, vals[:, COUNT], np.arange(len(ts)))
        return Slots(ts[keep], vals[keep])
    # Reverse so np.unique's "first occurrence" is the latest write.
    uniq, idx = np.unique(ts[::-1], return_index=True)
    return Slots(uniq, vals[::-1][idx])


def coarse_winners(ts: np.ndarray, counts: np.ndarray, order: np.ndarray) -> np.ndarray:
    """The positions of the rows that win each coarse slot, sorted by slot: the most finest
    slots counted, then the latest written (highest `order`). One process's writes of a slot
    only count up (it adds finest slots, or re-derives from the store, which holds them all);
    writers that each saw part of a slot write partial aggregates, and the one re-derived
    from their merged finest data counts them all: it wins whichever clock wrote it last."""
    by = np.lexsort((order, counts, ts))
    last_of_slot = np.ones(len(by), bool)
    last_of_slot[:-1] = ts[by][1:] != ts[by][:-1]
    return by[last_of_slot]


@dataclass
class Segments:
    """The segments one WriteBatch encodes to, columnar: segment i is a piece of block
    blocks[i] cut at window windows[i], written with seq seqs[i] (later segments win)."""

    blocks: np.ndarray  # int64: the batch block it belongs to
    windows: np.ndarray  # int64: window start timestamp
    seqs: np.ndarray  # int64
    expires_at: np.ndarray  # int64: epoch seconds after which it is wholly outside retention
    blobs: list[bytes]

    def __len__(self) -> int:
        return len(self.blocks)


# The low bits of a segment's sequence number name the writer: compaction on Cassandra sees
# when more than one process wrote a window, and where two writers wrote different values
# into one slot, the higher writer id wins (write_order; at a coarse level, among writes
# counting as many finest slots): every reader and every compaction order then give the same
# answer, whatever the writers' clocks.
WRITER_BITS = 12
WRITER_MASK = (1 << WRITER_BITS) - 1


def writer_id_of(name: str) -> int:
    """A writer id from a name that stays the same across runs (a tool's host: an import run
    again must not turn into another writer that loses to its earlier run). Servers keep theirs
    in the data dir (tsstore.writer_id)."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "little") % (1 << WRITER_BITS)


def write_order(seq: int) -> tuple[int, int]:
    """Sort key of the segments of a store several processes write, the last winning a slot
    (merge_last_wins): by writer id, then each writer's own order (its clock orders only its
    own writes)."""
    return seq & WRITER_MASK, seq


class _SeqClock:
    """Monotonic segment sequence numbers: ns since epoch (to 4 us) with the writer id in the
    low WRITER_BITS, strictly increasing. The id is the host's (writer_id_of) until the server
    sets its data dir's (SegmentStore.set_writer)."""

    def __init__(self):
        self._last = 0
        self.writer = writer_id_of(socket.gethostname())
        self._lock = threading.Lock()  # batches are encoded on worker threads

    def set_writer(self, writer: int) -> None:
        """Hand out numbers in `writer`'s name from now on, still after every earlier one."""
        if not 0 <= writer <= WRITER_MASK:
            raise ValueError(f"writer id {writer} outside 0..{WRITER_MASK}")
        with self._lock:
            self.writer = writer
            self._last = (self._last >> WRITER_BITS) << WRITER_BITS | writer

    def take(self, n: int) -> np.ndarray:
        """n sequence numbers, all after every one handed out before, all this writer's."""
        unit = 1 << WRITER_BITS
        with self._lock:
            first = max((time.time_ns() >> WRITER_BITS) << WRITER_BITS | self.writer, self._last + unit)
            self._last = first + (n - 1) * unit
        return first + np.arange(n, dtype=np.int64) * unit


class SegmentCounts:
    """Segments written per (series, level, window) since that window was last compacted,
    kept without an object per series: a sorted table of (series key, level) -> its newest
    window and that window's count (20 bytes per series level). Writes to an older window (a
    backfill) are counted in a dict, dropped when it passes OLDER_MAX entries, which only
    delays those windows' compaction.

    A window the writes moved on from is reported too (left behind), once: it would otherwise
    never be compacted, and on Cassandra compaction is where a series that another process
    writes too is noticed (SegmentStore.on_shared_writes). Its count cannot tell whether it
    holds a segment since its last compaction (a compaction leaves one), nor another writer's;
    compacting a window with nothing to merge is one read."""

    OLDER_MAX = 100_000
    LEVEL_BITS = 4  # (key << LEVEL_BITS) | level: levels past 15 share a counter, harmlessly

    def __init__(self):
        self._ids = np.empty(0, np.int64)
        self._windows = np.empty(0, np.int64)
        self._counts = np.empty(0, np.int32)
        self._older: dict[tuple[int, int], int] = {}
        self._lock = threading.Lock()  # batches are counted on worker threads

    def add(self, keys: np.ndarray, level: int, windows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Count one segment for each (keys[i], level, windows[i]). Returns (the indexes i of
        the (key, level, window)s that reached COMPACT_AFTER, one each: their count restarts
        at 1, a compaction leaves one segment; the (key, window) rows, shape (n, 2), of the
        windows at `level` these writes left behind for a newer one)."""
        with self._lock:
            return self._add(keys, level, windows)

    def _add(self, keys: np.ndarray, level: int, windows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        n = len(keys)
        if not n:
            return np.empty(0, np.int64), np.empty((0, 2), np.int64)
        ids = (np.asarray(keys, np.int64) << self.LEVEL_BITS) | min(level, 2**self.LEVEL_BITS - 1)
        windows = np.asarray(windows, np.int64)
        order = np.lexsort((windows, ids))
        ids, windows = ids[order], windows[order]
        first = np.ones(n, bool)
        first[1:] = (ids[1:] != ids[:-1]) | (windows[1:] != windows[:-1])
        pair_at = np.flatnonzero(first)
        times = np.diff(np.append(pair_at, n)).astype(np.int32)
        pid, pwin = ids[pair_at], windows[pair_at]
        newest_of_id = np.ones(len(pid), bool)
        newest_of_id[:-1] = pid[1:] != pid[:-1]
        pos = np.searchsorted(self._ids, pid)
        clipped = np.minimum(pos, max(len(self._ids) - 1, 0))
        known = (pos < len(self._ids)) & (self._ids[clipped] == pid) if len(self._ids) else np.zeros(len(pid), bool)
        table_window = np.where(known, self._windows[clipped] if len(self._ids) else 0, np.iinfo(np.int64).min)
        count = np.zeros(len(pid), np.int64)
        same = known & (pwin == table_window)
        count[same] = self._counts[clipped[same]] + times[same]
        newer = newest_of_id & (pwin > table_window)
        count[newer] = times[newer]
        older = ~same & ~newer
        for i in np.flatnonzero(older).tolist():
            key = (int(pid[i]), int(pwin[i]))
            count[i] = self._older.get(key, 0) + int(times[i])
        due = count >= COMPACT_AFTER
        stored = np.where(due, 1, count).astype(np.int32)
        self._counts[clipped[same]] = stored[same]
        replace = newer & known
        left_behind = np.stack([pid[replace] >> self.LEVEL_BITS, self._windows[clipped[replace]]], axis=1)
        self._windows[clipped[replace]] = pwin[replace]
        self._counts[clipped[replace]] = stored[replace]
        new = newer & ~known
        if new.any():
            self._ids = np.insert(self._ids, pos[new], pid[new])
            self._windows = np.insert(self._windows, pos[new], pwin[new])
            self._counts = np.insert(self._counts, pos[new], stored[new])
        if older.any():
            if len(self._older) > self.OLDER_MAX:
                self._older.clear()
            for i in np.flatnonzero(older).tolist():
                self._older[(int(pid[i]), int(pwin[i]))] = int(stored[i])
        return np.sort(order[pair_at[due]]), left_behind


def batch_of_requests(level: int, requests: list[WriteRequest], keys: np.ndarray) -> WriteBatch:
    """One WriteBatch of per-series requests of one level (in order: later ones win)."""
    starts = np.zeros(len(requests) + 1, np.int64)
    np.cumsum([len(r.slots) for r in requests], out=starts[1:])
    return WriteBatch(
        level, np.asarray(keys, np.int64), np.array([r.step for r in requests], np.int64),
        np.array([r.retention for r in requests], np.int64), starts,
        np.concatenate([r.slots.ts for r in requests]).astype(np.int64),
        np.concatenate([r.slots.values for r in requests]).astype(np.float64).reshape(-1, columns_of(level)),
        lambda g: requests[g].name)


class Store(abc.ABC):
    """Everything ingest and the query engine need from a store."""

    kind: str = "abstract"

    async def open(self) -> None:  # noqa: B027 - optional hook
        pass

    async def close(self) -> None:  # noqa: B027 - optional hook
        pass

    def set_writer(self, writer: int) -> None:  # noqa: B027 - optional hook
        """See SegmentStore.set_writer."""

    def on_shared_writes(self, callback) -> None:  # noqa: B027 - optional hook
        """See SegmentStore.on_shared_writes; a store only one process writes never calls it."""

    def on_reconnect(self, callback) -> None:  # noqa: B027 - optional hook
        """Have `callback()` called, from any thread, whenever the store may take requests
        again after failing (a Cassandra node back up), so retries need not wait out a backoff.
        Stores that have no such moment never call it."""

    def on_created(self, callback) -> None:  # noqa: B027 - optional hook
        """Have `callback(names)` called, on the event loop, with the series this store object
        has just created, for indexes that otherwise learn of new series only at their next
        poll of the store (tree_poll_seconds) or once written (a store creating behind the
        ingest, tsstore.store.creation_behind). Stores that list a series once created never
        call it."""

    # -- series and the path tree -------------------------------------------------
    def know_every_name(self) -> None:  # noqa: B027 - optional hook
        """The ingesting process asks this once: keep a filter of the names the store holds
        (tsstore.store.name_filter), for names_maybe_held. Stores without one do nothing."""

    def names_maybe_held(self, names: list[str]) -> np.ndarray | None:
        """Per name, whether the store may hold it (False: new, as far as know_every_name's
        filter knows, so the ingest creates it without a lookup); None until such a filter is
        complete: look every name up."""
        return None

    def name_filter_bytes(self) -> int:
        """What know_every_name's filter takes (/tsstore/status: memory.name_filter_bytes)."""
        return 0

    @abc.abstractmethod
    async def create_series(self, metas: list[SeriesMeta]) -> np.ndarray:
        """Record new series (first creation wins) and add their paths to the tree; returns
        their series_keys, in order (creating is when a store learns them cheapest)."""

    async def create_series_columns(self, names: list[str], schemas: list, schema_of: np.ndarray) -> np.ndarray:
        """create_series of names created with schemas[schema_of[i]] (rollups, aggregation,
        xff): the ingest's form, with no object per series (SchemaResolver.schemas_for), for
        names it has just looked up and found absent (a store creating behind the ingest takes
        them as new without a lookup of its own). Stores that build their rows from metadata
        objects anyway take this default."""
        return await self.create_series([SeriesMeta(n, *schemas[i]) for n, i in zip(names, np.asarray(schema_of).tolist())])

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

    # True for a store whose tree_names_after lists every name, then the ones created since:
    # the in-memory path index (tsstore.index.paths) then answers finds for it.
    lists_tree_names = False

    async def tree_names_after(self, cursor, limit: int) -> tuple[str, int, object]:
        """The untagged series names created after `cursor` (0 or None: from the first), at
        most `limit` series looked at: (the names joined by '\n', how many series were looked
        at (tagged ones too), the cursor to pass next). A store may repeat its latest names
        (a returned cursor equal to the one passed: nothing newer). Only where
        lists_tree_names is True."""
        raise NotImplementedError(f"{type(self).__name__} does not list its names in creation order")

    async def series_count_estimate(self) -> int | None:
        """About how many series the store holds, when it can say cheaply (None: it cannot):
        the path index's build makes room for them first."""
        return None

    # True for a store that logs every series tagged or untagged (tagged_names and
    # tag_changes_after): the in-memory tag index (tsstore.index.tag_index) then answers tag
    # queries for it.
    keeps_tag_log = False

    async def tagged_names(self) -> tuple[list[str], object]:
        """(every tagged series' canonical name, the tag log position that list reflects)."""
        raise NotImplementedError(f"{type(self).__name__} keeps no tag log")

    async def tag_changes_after(self, cursor, limit: int) -> tuple[list[tuple[str, bool]], object]:
        """([(name, tagged (True) or untagged (False))] logged after `cursor`, in order, at most
        `limit`; the cursor to pass next). A store may repeat its latest changes (a returned
        cursor equal to the one passed: nothing newer). TagLogTrimmed when the log no longer
        reaches back to `cursor` (the caller reads tagged_names again)."""
        raise NotImplementedError(f"{type(self).__name__} keeps no tag log")

    # -- lifecycle: last writes and deletions (tsstore.lifecycle) -----------------------
    # True for a store that can delete series and logs each deletion (deletions_after): the
    # path index then removes what any process deleted.
    keeps_deletion_log = False

    async def last_writes(self, names: list[str]) -> dict[str, int]:
        """The recorded last write (newest finest slot, epoch seconds, to within
        tsstore.store.activity's granule) of each named series that has one."""
        return {}

    async def delete_series(self, names: list[str], request: str) -> int:
        """Remove series wholly: points of every level, metadata, tree nodes (and branches
        left empty), tags, last write; log each name with `request` (what asked for it, as
        JSON text) in the deletion log. Returns how many existed."""
        raise NotImplementedError(f"{type(self).__name__} cannot delete series")

    async def deletion_cursor(self):
        """The deletion log's position now (for deletions_after)."""
        raise NotImplementedError(f"{type(self).__name__} keeps no deletion log")

    async def deletions_after(self, cursor, limit: int) -> tuple[list[tuple[float, str, str]], object]:
        """([(when, name, request)] logged after `cursor`, oldest first, at most `limit`; the
        cursor to pass next). A store may repeat its latest rows."""
        raise NotImplementedError(f"{type(self).__name__} keeps no deletion log")

    async def deletions_since(self, when: float, limit: int) -> list[tuple[float, str, str]]:
        """The deletion log's rows from `when` on (epoch seconds), oldest first, at most `limit`."""
        raise NotImplementedError(f"{type(self).__name__} keeps no deletion log")

    async def still_deleted_after(self, cursor, limit: int) -> tuple[list[str], object, bool]:
        """The series the deletion log names after `cursor` that the store does not hold again
        (created anew since: the log and the series are read apart), each once; the cursor to
        pass next; and whether the log had anything newer than `cursor`."""
        rows, after = await self.deletions_after(cursor, limit)
        names = list(dict.fromkeys(name for _, name, _ in rows))
        again = await self.get_series(names) if names else {}
        return [n for n in names if n not in again], after, bool(rows) and after != cursor

    # -- points ------------------------------------------------------------------
    @abc.abstractmethod
    async def series_keys(self, names: list[str]) -> np.ndarray:
        """The store's key (int64) of each created series, for WriteBatch.keys; a name never
        created is a KeyError. Callers that write often keep them (ingest: one per series)."""

    @abc.abstractmethod
    async def write_batch(self, batch: WriteBatch) -> None:
        """Durably store a batch's slots (later writes of a slot win); returns when the store
        has acknowledged them."""

    async def write(self, requests: list[WriteRequest]) -> None:
        """Durably store per-series requests (imports, re-derivations): a batch per level, in
        order, so a later request for a slot wins over an earlier one."""
        by_level: dict[int, list[WriteRequest]] = defaultdict(list)
        for r in requests:
            if len(r.slots):
                by_level[r.level].append(r)
        for level, group in sorted(by_level.items()):
            await self.write_batch(batch_of_requests(level, group, await self.series_keys([r.name for r in group])))

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
        self._segment_counts = SegmentCounts()
        self._activity = ActivityTracker()
        self._shared_writes = None  # on_shared_writes' callback
        self._names = None  # the ingest's NameFilter (know_every_name), kept by each store its own way

    def name_filter_bytes(self) -> int:
        return self._names.nbytes if self._names is not None else 0

    def set_writer(self, writer: int) -> None:
        """The writer id in this store's segment sequence numbers from now on (a server's: its data
        dir's, tsstore.writer_id). Only a store several processes write orders by it."""
        self._seq.set_writer(writer)

    def on_shared_writes(self, callback) -> None:
        """Have callback([(name, start, end)]) called when the store sees that more than one
        process wrote a series' finest slots in [start, end) (a store several processes write:
        Cassandra, at compaction)."""
        self._shared_writes = callback

    def windows_to_compact(self, groups: np.ndarray, level: int, windows: np.ndarray,
                           also: np.ndarray | list = ()) -> list[tuple[int, int]]:
        """The (group, window)s to compact after writing a row of groups[i] in windows[i] at
        `level`, each once: those that reached COMPACT_AFTER and those the writes moved on from
        (SegmentCounts), and the rows at the indexes `also`."""
        reached, left_behind = self._segment_counts.add(groups, level, windows)
        rows = np.union1d(reached, np.asarray(also, np.int64))
        return list(dict.fromkeys([*zip(groups[rows].tolist(), windows[rows].tolist()), *map(tuple, left_behind.tolist())]))

    def _noted_shared(self, spans: list[tuple[str, int, int]]) -> None:
        if spans and self._shared_writes is not None:
            self._shared_writes(spans)

    def activity_due(self, batch: WriteBatch) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(keys, newest slot, a block of each) of the series whose last-write row this
        finest-level batch must update (tsstore.store.activity); nothing for coarser levels."""
        if batch.level != 0:
            return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.int64)
        keys, newest, blocks = newest_per_series(batch.keys, batch.ts, batch.starts)
        due = self._activity.due(keys, newest)
        return keys[due], newest[due], blocks[due]

    @staticmethod
    def window_of(ts: int, step: int) -> int:
        span = step * WINDOW_SLOTS
        return (ts // span) * span

    def encode(self, batch: WriteBatch) -> Segments:
        """A batch's segments, encoded in one codec call; every segment gets its own seq,
        increasing in block order, so two blocks for the same (series, level, window) in one
        batch are two segments, the later winning."""
        blocks, windows, blobs = codec.encode_batch(batch.ts, batch.values, batch.starts, batch.steps, WINDOW_SLOTS)
        expires = windows + batch.steps[blocks] * WINDOW_SLOTS + batch.retentions[blocks]
        return Segments(blocks, windows, self._seq.take(len(blocks)), expires, blobs)

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
