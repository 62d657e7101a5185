"""Which names a store may hold, for a process that writes it: 64-bit hashes of the names it
held when that process began (read beside the ingest) and of those created since. A name whose
hash is not there is taken as new, so looking up a burst of new series costs no query (1-2 s of
SQLite per 500k new names; on Cassandra, 0.3-1.2 s per batch of a burst, and 100-300 ms for
one new series while the node was busy, all of them answered "none").

Exact where no other process adds series (the embedded store, whose data dir the writing process
locks: tsstore.data_dir). The Cassandra store follows its series_log to add what other
processes create (see CassandraStore.know_every_name). A hash that matches says nothing
(another name may share it, or the series was deleted since): such names are looked up as
before. 8 bytes per series.
"""
from __future__ import annotations

import threading

import numpy as np

from tsstore.store.sorted_keys import positions

# Sorted runs of hashes kept apart: each lookup searches every run. A new run is merged with
# the one before it while that one is at most twice its size, or while there are more than
# MAX_RUNS: the sizes fall off geometrically, so a name is copied O(log n) times, and the run
# of every name held at the start is copied only once as many were added since. (Merging
# everything every MAX_RUNS adds copied the whole filter each time: at 200k names, 8 ms a
# time, or 200 ms with np.unique, every few new series.)
MAX_RUNS = 8


def _hashes(names) -> np.ndarray:
    """The names' hashes (Python's: stable within the process, which is all this filter needs)."""
    return np.fromiter(map(hash, names), np.int64, len(names))


def _merged(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Two sorted runs as one, each hash once (a followed log may give a name again)."""
    out = np.sort(np.concatenate([a, b]))  # np.unique sorted 25x slower
    if len(out) > 1:
        out = out[np.concatenate(([True], out[1:] != out[:-1]))]
    return out


class NameFilter:
    def __init__(self):
        self._runs: list[np.ndarray] = []  # sorted hashes
        self._lock = threading.Lock()  # the first load runs on a reader thread
        self.complete = False  # holds every name the store held at the start: may_hold answers

    def add(self, names) -> None:
        """Names the store holds from now on."""
        if not len(names):
            return
        run = np.sort(_hashes(names))
        with self._lock:
            runs = self._runs + [run]
            while len(runs) > 1 and (len(runs[-2]) <= 2 * len(runs[-1]) or len(runs) > MAX_RUNS):
                newer = runs.pop()
                runs[-1] = _merged(runs[-1], newer)
            self._runs = runs

    def loaded(self) -> None:
        """Every name the store held at the start was add()ed: from now on may_hold answers."""
        self.complete = True

    def may_hold(self, names) -> np.ndarray:
        """Per name: whether the store may hold it (all True until loaded)."""
        if not self.complete:
            return np.ones(len(names), bool)
        wanted = _hashes(names)
        found = np.zeros(len(names), bool)
        with self._lock:
            runs = list(self._runs)
        for run in runs:
            found |= positions(run, wanted)[1]
        return found

    @property
    def nbytes(self) -> int:
        return sum(run.nbytes for run in self._runs)
