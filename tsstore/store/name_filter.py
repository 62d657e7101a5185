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

# Sorted runs of hashes kept apart before they are merged into one: each lookup searches
# every run, and a merge copies all of them.
MAX_RUNS = 8


def _hashes(names) -> np.ndarray:
    """The names' hashes (Python's: stable within the process, which is all this filter needs)."""
    return np.fromiter(map(hash, names), np.int64, len(names))


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
            self._runs.append(run)
            if len(self._runs) > MAX_RUNS:  # unique: a followed log may give a name again
                self._runs = [np.unique(np.concatenate(self._runs))]

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
            if len(run):
                at = np.minimum(np.searchsorted(run, wanted), len(run) - 1)
                found |= run[at] == wanted
        return found

    @property
    def nbytes(self) -> int:
        return sum(run.nbytes for run in self._runs)
