"""The last write of each series, as the stores keep it: the newest finest-level slot written,
recorded to within ACTIVITY_GRANULE so that a flush does not rewrite a row per series.

A series' row is rewritten when a write reaches past its recorded time by a granule, less a
spread taken from its key (up to half a granule): series created together (a new host, a
restart) then come due over half a granule, not all in one flush. A process that has not
seen a series yet writes its row on the first write: after a start, once per series.

So a recorded time is never later than the truth and at most ACTIVITY_GRANULE (plus what the
ingest process holds unflushed) earlier. Readers allow that much slack (activity_slack):
`/metrics/find?from=` leaves out only series recorded before from - slack, and `tsstore series
stale --before T` lists those recorded before T - slack.
"""
from __future__ import annotations

import threading

import numpy as np

from tsstore.store.sorted_keys import positions

ACTIVITY_GRANULE = 3600  # seconds


# Seconds a reader may keep a recorded time (tsstore.store.with_memory's LAST_WRITES_SECONDS).
READER_CACHE_SECONDS = 60


def activity_slack(flush_interval: float) -> int:
    """How much earlier than the true last point a recorded time may be, seen from a reader:
    one granule, the flush interval the ingest process may still hold points for, and how
    long a reader keeps what it read."""
    return ACTIVITY_GRANULE + int(flush_interval) + READER_CACHE_SECONDS + 1


class ActivityTracker:
    """Which series' last-write rows a write must update: a sorted table of (store key ->
    recorded time), 16 bytes per series written by this process, without an object each.

    Keys seen for the first time go to a small sorted table first, merged into the large one
    once it holds RECENT_KEYS: inserting each write's new keys into the large table copied
    all of it every time (1 s of a flush creating a million series, in 400 writes)."""

    RECENT_KEYS = 65_536

    def __init__(self, granule: int = ACTIVITY_GRANULE):
        self.granule = granule
        self._keys = np.empty(0, np.int64)
        self._recorded = np.empty(0, np.int64)
        self._recent_keys = np.empty(0, np.int64)
        self._recent_recorded = np.empty(0, np.int64)
        self._lock = threading.Lock()  # batches are encoded on worker threads

    def due(self, keys: np.ndarray, newest: np.ndarray) -> np.ndarray:
        """The positions i whose series' row must now say newest[i] (keys distinct); they are
        taken as recorded."""
        keys, newest = np.asarray(keys, np.int64), np.asarray(newest, np.int64)
        with self._lock:
            recorded = np.full(len(keys), np.iinfo(np.int64).min // 2)
            spread = (keys * 0x9E3779B1 % max(self.granule // 2, 1)) if self.granule > 1 else 0
            places = [(table_recorded, *positions(table_keys, keys))
                      for table_keys, table_recorded in ((self._keys, self._recorded), (self._recent_keys, self._recent_recorded))]
            for table_recorded, at, found in places:
                recorded[found] = table_recorded[at[found]]
            due = newest >= recorded + self.granule - spread
            new = due.copy()
            for table_recorded, at, found in places:
                table_recorded[at[due & found]] = newest[due & found]
                new &= ~found
            if new.any():
                self._add_recent(keys[new], newest[new])
            return np.flatnonzero(due)

    def _add_recent(self, keys: np.ndarray, recorded: np.ndarray) -> None:
        keys = np.concatenate([self._recent_keys, keys])
        recorded = np.concatenate([self._recent_recorded, recorded])
        if len(keys) < self.RECENT_KEYS:
            order = np.argsort(keys, kind="stable")
            self._recent_keys, self._recent_recorded = keys[order], recorded[order]
            return
        keys, recorded = np.concatenate([self._keys, keys]), np.concatenate([self._recorded, recorded])
        order = np.argsort(keys, kind="stable")  # two sorted runs: a merge
        self._keys, self._recorded = keys[order], recorded[order]
        self._recent_keys, self._recent_recorded = np.empty(0, np.int64), np.empty(0, np.int64)

    def forget(self, keys) -> None:
        """Deleted series: a later write of the same key records again."""
        keys = np.asarray(keys, np.int64)
        with self._lock:
            keep = ~np.isin(self._keys, keys)
            self._keys, self._recorded = self._keys[keep], self._recorded[keep]
            keep = ~np.isin(self._recent_keys, keys)
            self._recent_keys, self._recent_recorded = self._recent_keys[keep], self._recent_recorded[keep]


def newest_per_series(keys: np.ndarray, ts: np.ndarray, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(distinct keys, the newest slot time written for each, a block of each) of a
    WriteBatch's blocks (keys[b] is block b's series; its slots are ts[starts[b]:starts[b + 1]])."""
    lengths = np.diff(starts)
    blocks = np.flatnonzero(lengths)
    if not len(blocks):
        return np.empty(0, np.int64), np.empty(0, np.int64), blocks
    newest_of_block = np.maximum.reduceat(ts, starts[blocks])
    distinct, first, inverse = np.unique(np.asarray(keys, np.int64)[blocks], return_index=True, return_inverse=True)
    newest = np.full(len(distinct), np.iinfo(np.int64).min)
    np.maximum.at(newest, inverse, newest_of_block)
    return distinct, newest, blocks[first]
