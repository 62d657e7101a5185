"""The tag index in memory: seriesByTag, /tags/findSeries and the autocomplete endpoints
answered with numpy over posting lists instead of a store query per value and a parse per
candidate name.

Every tagged series (canonical name, tsstore.index.tags) gets an id; each of its (tag, value)
pairs, the `name` tag included, is an entry (series id, pair id). Entries are grouped by
tag, so an expression costs one pass over the entries of its tag: the distinct values of
the tag are matched once each (a regex per value, not per series), then the entries whose
value matched mark their series. A series without the tag has the empty value for it, as
graphite-web's tag databases read it. Series removed (/tags/delSeries) stay as ids with a
cleared `alive` bit; one tagged again comes back to life.

Entries added since the last grouping are scanned as a tail, as in tsstore.index.paths.
StoreTagIndex keeps one equal to a store's tag table: built in the background, then caught
up before each query with the store's tag log (Store.tag_changes_after: the embedded store's
tag_log table, Cassandra's tag_log), which records every series tagged or removed, by any
process or node.
"""
from __future__ import annotations

import asyncio
import heapq
import logging
import threading
import time
from array import array

import numpy as np

from tsstore.index.path_table import group_by, positions_of_ranges
from tsstore.index.store_sync import StoreSync
from tsstore.index.tagquery import TagExpr, parse_exprs
from tsstore.index.tags import tag_rows

log = logging.getLogger(__name__)

MIN_REGROUP = 65_536
FEW_CANDIDATES = 8  # read the candidates' own entries once they are under 1/8 of the series
CHUNK_NAMES = 200_000


class TagLogTrimmed(Exception):
    """A store's tag log no longer holds the changes after a reader's position (the store
    raises it; the index then reads every tagged series again)."""


class TagIndex:
    """Thread-safe (one lock)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._names: list[str] = []  # series id -> canonical name
        self._id_of: dict[str, int] = {}
        self._alive = bytearray()
        self._removed = 0  # series with a cleared alive bit
        self._tag_ids: dict[str, int] = {}
        self._tags: list[str] = []
        self._pair_ids: dict[tuple[int, str], int] = {}
        self._pair_tag = array("i")
        self._pair_value: list[str] = []
        self._entry_series = array("i")
        self._entry_pair = array("i")
        self._series_first = array("i")  # series id -> its first entry (its entries are consecutive)
        self._sorted_upto = 0  # ids below it are in name order (a build adds its names sorted)
        self._by_tag = None  # entries grouped by tag: (series ids, pair ids, offsets, how many entries)

    # -- changes -------------------------------------------------------------------
    def add(self, names) -> int:
        """Tag these canonical names (again); returns how many were new."""
        with self._lock:
            return self._add(names)

    def add_sorted(self, names: list[str]) -> int:
        """add() of names in name order (a build): results come out sorted without a sort."""
        with self._lock:
            in_order = self._sorted_upto == len(self._names)
            new = self._add(names)
            if in_order and (not names or not self._sorted_upto or self._names[self._sorted_upto - 1] <= names[0]):
                self._sorted_upto = len(self._names)
            return new

    def _add(self, names) -> int:
        new = 0
        for name in names:
            sid = self._id_of.get(name)
            if sid is not None:
                self._removed -= not self._alive[sid]
                self._alive[sid] = 1
                continue
            sid = self._id_of[name] = len(self._names)
            self._names.append(name)
            self._alive.append(1)
            self._series_first.append(len(self._entry_series))
            new += 1
            for tag, value in tag_rows(name):
                tid = self._tag_ids.get(tag)
                if tid is None:
                    tid = self._tag_ids[tag] = len(self._tags)
                    self._tags.append(tag)
                pid = self._pair_ids.get((tid, value))
                if pid is None:
                    pid = self._pair_ids[(tid, value)] = len(self._pair_value)
                    self._pair_tag.append(tid)
                    self._pair_value.append(value)
                self._entry_series.append(sid)
                self._entry_pair.append(pid)
        return new

    def remove(self, names) -> int:
        """Untag these names (graphite-web's delSeries); how many were tagged."""
        with self._lock:
            gone = 0
            for name in names:
                sid = self._id_of.get(name)
                if sid is not None and self._alive[sid]:
                    self._alive[sid] = 0
                    self._removed += 1
                    gone += 1
            return gone

    # -- columns -------------------------------------------------------------------
    def _entries(self) -> tuple[np.ndarray, np.ndarray]:
        return (np.frombuffer(self._entry_series, np.int32, len(self._entry_series)),
                np.frombuffer(self._entry_pair, np.int32, len(self._entry_pair)))

    def _pair_tags(self) -> np.ndarray:
        return np.frombuffer(self._pair_tag, np.int32, len(self._pair_tag))

    def _entries_of_tag(self, tid: int) -> tuple[np.ndarray, np.ndarray]:
        """(series ids, pair ids) of every entry of one tag: slices of the entries grouped by
        tag, and the entries added since scanned."""
        series, pairs = self._entries()
        if self._by_tag is None or len(series) - self._by_tag[3] > max(MIN_REGROUP, self._by_tag[3] // 8):
            order, offsets = group_by(self._pair_tags()[pairs], len(self._tags))
            self._by_tag = (series[order], pairs[order], offsets, len(series))
        grouped_series, grouped_pairs, offsets, grouped = self._by_tag
        lo, hi = (offsets[tid], offsets[tid + 1]) if tid + 1 < len(offsets) else (0, 0)
        tail = grouped + np.flatnonzero(self._pair_tags()[pairs[grouped:]] == tid)
        if len(tail):
            return np.concatenate([grouped_series[lo:hi], series[tail]]), np.concatenate([grouped_pairs[lo:hi], pairs[tail]])
        return grouped_series[lo:hi], grouped_pairs[lo:hi]

    def _entries_of_series(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(position in ids, pair id) of every entry of these series (a series' entries are
        consecutive, from _series_first)."""
        _, pairs = self._entries()
        first = np.frombuffer(self._series_first, np.int32, len(self._series_first))
        starts = first[ids].astype(np.int64)
        ends = np.where(ids + 1 < len(first), first[np.minimum(ids + 1, len(first) - 1)], len(pairs))
        lengths = ends - starts
        return np.repeat(np.arange(len(ids)), lengths), pairs[positions_of_ranges(starts, lengths)]

    # -- queries -------------------------------------------------------------------
    def _wanted_pairs(self, expr: TagExpr, tid: int, pairs: np.ndarray) -> np.ndarray:
        """A mask over all pair ids: those among `pairs` whose value satisfies expr."""
        wanted = np.zeros(len(self._pair_value), bool)
        if expr.op == "=":
            pid = self._pair_ids.get((tid, expr.spec))
            if pid is not None:
                wanted[pid] = True
            return wanted
        wanted[pairs] = True  # each distinct value once, whatever the number of series with it
        distinct = np.flatnonzero(wanted)
        wanted[distinct[~self._values_matching(expr, distinct)]] = False
        return wanted

    def _matching(self, expr: TagExpr) -> np.ndarray:
        """A mask over series ids: the series whose value of expr.tag satisfies expr (one
        pass over the tag's entries)."""
        n = len(self._names)
        tid = self._tag_ids.get(expr.tag)
        if tid is None:  # no series has the tag: each has the empty value
            return np.full(n, expr.matches_empty)
        series, pairs = self._entries_of_tag(tid)
        mask = np.zeros(n, bool)
        mask[series[self._wanted_pairs(expr, tid, pairs)[pairs]]] = True
        if expr.matches_empty:
            has_tag = np.zeros(n, bool)
            has_tag[series] = True
            mask |= ~has_tag
        return mask

    def _keep(self, expr: TagExpr, candidates: np.ndarray) -> np.ndarray:
        """The candidates (series ids) whose value of expr.tag satisfies expr, read from each
        candidate's own entries (a series' entries are added together): for the expressions
        after a selective first one."""
        tid = self._tag_ids.get(expr.tag)
        if tid is None:
            return candidates if expr.matches_empty else candidates[:0]
        owner, pairs = self._entries_of_series(candidates)
        of_tag = self._pair_tags()[pairs] == tid
        owner, tagged_pairs = owner[of_tag], pairs[of_tag]
        keep = np.zeros(len(candidates), bool)
        keep[owner[self._wanted_pairs(expr, tid, tagged_pairs)[tagged_pairs]]] = True
        if expr.matches_empty:
            has_tag = np.zeros(len(candidates), bool)
            has_tag[owner] = True
            keep |= ~has_tag
        return candidates[keep]

    def _values_matching(self, expr: TagExpr, pair_ids: np.ndarray) -> np.ndarray:
        """A mask over pair_ids: their values satisfy expr (!=, =~, !=~); a regex scans
        the values at once (UserRegex.matching) instead of matching each."""
        values = [self._pair_value[p] for p in pair_ids.tolist()]
        if expr.op == "!=":
            return np.fromiter((v != expr.spec for v in values), bool, len(values))
        hits = np.zeros(len(values), bool)
        hits[expr.regex.matching(values)] = True
        return hits if expr.op == "=~" else ~hits

    def _matched(self, exprs: list[TagExpr]) -> np.ndarray:
        """A mask over series ids: alive and matching every expression. The likely most
        selective (an exact value, of the name first) is matched over its tag's entries; the
        others over the entries of the series left, once they are few."""
        n = len(self._names)
        mask = np.frombuffer(self._alive, np.uint8, n).astype(bool)
        ordered = sorted(exprs, key=lambda e: (e.op != "=", e.tag != "name"))
        mask &= self._matching(ordered[0])
        candidates = None
        for expr in ordered[1:]:
            if candidates is None and mask.sum() * FEW_CANDIDATES > n:
                mask &= self._matching(expr)
                continue
            candidates = self._keep(expr, np.flatnonzero(mask) if candidates is None else candidates)
        if candidates is not None:
            mask = np.zeros(n, bool)
            mask[candidates] = True
        return mask

    def find(self, expr_texts: list[str]) -> list[str]:
        """Canonical names of the series matching every expression, sorted (TagQueryError
        for a bad query, as tsstore.index.tagquery.find_series)."""
        exprs = parse_exprs(expr_texts)
        with self._lock:
            ids = np.flatnonzero(self._matched(exprs))
            cut = int(np.searchsorted(ids, self._sorted_upto))
            names = self._names
            head = [names[i] for i in ids[:cut].tolist()]  # built in name order: sorted already
            tail = sorted(names[i] for i in ids[cut:].tolist())
        return list(heapq.merge(head, tail)) if tail else head

    def _pairs_of(self, expr_texts: list[str] | None, tid: int | None = None) -> np.ndarray:
        """The pair ids of the live series' entries (of tag tid, when given; of the series
        matching the expressions, when given): from each matching series' own entries when
        they are few, else from all the entries (of the tag)."""
        n = len(self._names)
        if not expr_texts and not self._removed and tid is not None:  # every series is alive: the tag's entries as they are
            return self._entries_of_tag(tid)[1]
        mask = self._matched(parse_exprs(expr_texts)) if expr_texts else np.frombuffer(self._alive, np.uint8, n).astype(bool)
        candidates = np.flatnonzero(mask) if expr_texts else None
        if candidates is not None and len(candidates) * FEW_CANDIDATES <= n:
            _, found = self._entries_of_series(candidates)
        else:
            series, found = self._entries() if tid is None else self._entries_of_tag(tid)
            found = found[mask[series]]
        return found if tid is None else found[self._pair_tags()[found] == tid]

    def tag_names(self, expr_texts: list[str] | None = None) -> list[str]:
        """Tags of the live series (matching the expressions, when given), sorted."""
        with self._lock:
            present = np.bincount(self._pair_tags()[self._pairs_of(expr_texts)], minlength=len(self._tags)) > 0
            return sorted(self._tags[t] for t in np.flatnonzero(present).tolist())

    def tag_values(self, tag: str, expr_texts: list[str] | None = None) -> dict[str, int]:
        """{value: live series with it} of one tag (among the series matching the
        expressions, when given), sorted by value."""
        with self._lock:
            tid = self._tag_ids.get(tag)
            if tid is None:
                return {}
            counts = np.bincount(self._pairs_of(expr_texts, tid), minlength=len(self._pair_value))
            distinct = np.flatnonzero(counts)
            return dict(sorted(zip((self._pair_value[p] for p in distinct.tolist()), counts[distinct].tolist())))

    @property
    def series_count(self) -> int:
        return len(self._names)


class StoreTagIndex(StoreSync):
    """A TagIndex kept equal to a store's tags: built from the store in the background (the
    store's own queries answer until then), then caught up before each query with the
    store's tag log. For stores that keep one (Store.keeps_tag_log); None from for_store()
    for the others."""

    what, reads = "tag index", "the store's tags"

    def __init__(self, store):
        super().__init__(store)
        self.index = TagIndex()

    def _created_here(self, names: list[str]) -> None:
        """Tagged series this process just created go into the index at once, not at the
        next poll of the store's tag log (which applies them again: no change)."""
        tagged = [name for name in names if ";" in name] if ";" in "\n".join(names) else []  # one test for a burst
        if self.ready and tagged:  # while building, the build's catch-up reads them
            with self._catch_up_lock:
                self.index.add(tagged)

    @classmethod
    def for_store(cls, store) -> "StoreTagIndex | None":
        return cls(store) if getattr(store, "keeps_tag_log", False) else None

    async def _build(self) -> None:
        t0 = time.monotonic()
        index = TagIndex()
        names, cursor = await self._store.tagged_names()
        names.sort()
        for i in range(0, len(names), CHUNK_NAMES):  # chunks: the event loop runs between them
            index.add_sorted(names[i:i + CHUNK_NAMES])
            await asyncio.sleep(0)
        with self._catch_up_lock:
            self.index, self._cursor = index, cursor
        self._caught_up = 0.0
        await self.catch_up()
        self.ready = True
        elapsed = self.build_seconds = time.monotonic() - t0
        log.info("tag index ready: %d tagged series, built in %.2fs", len(names), elapsed)

    async def catch_up(self, now: bool = False) -> None:
        """Apply the store's tag log since the last look, at most every tree_poll_seconds the
        store asks for unless `now` (a store may repeat its latest changes: applied again,
        they change nothing)."""
        if not self._catch_up_due() and not now:
            return
        if self._pending_names is not None and (joined := await self._pending_names()):
            with self._catch_up_lock:
                self.index.add(joined.split("\n"))
        while True:
            cursor = self._cursor
            try:
                changes, new_cursor = await self._store.tag_changes_after(cursor, CHUNK_NAMES)
            except TagLogTrimmed as exc:  # this process fell further behind than the log keeps
                log.warning("tag index: %s; reading every tagged series again", exc)
                return await self._build()
            if not changes:
                return
            with self._catch_up_lock:
                if self._cursor == cursor:
                    for tagged, group in _runs(changes):
                        (self.index.add if tagged else self.index.remove)(group)
                    self._cursor = new_cursor
            if new_cursor == cursor:
                return

    def status(self) -> dict:
        return {"ready": self.ready, "series": self.index.series_count, "build_seconds": self.build_seconds}

    async def answer(self, method: str, *args):
        """One of TagIndex's queries, or None while the index is being built."""
        if not self.ready:
            return None
        await self.fresh()
        return getattr(self.index, method)(*args)


def _runs(changes: list[tuple[str, bool]]):
    """Consecutive changes of one kind, in log order: (tagged, names)."""
    run: list[str] = []
    kind = None
    for name, tagged in changes:
        if tagged != kind and run:
            yield kind, run
            run = []
        kind = tagged
        run.append(name)
    if run:
        yield kind, run
