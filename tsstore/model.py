"""The plain data types the layers share: what a series is, its rollups, slots of values,
a node of the path tree and a write to the store (one series level, or a flush's columnar
batch of many).

Level 0 of a series (the finest rollup) keeps one value per slot (RAW_COLUMNS); coarser
levels keep AGG_COLUMNS columns, SUM, COUNT, MIN, MAX, LAST, where COUNT counts the finest
slots that were known, so xFilesFactor stays exact; columns_of(level) says which.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, NamedTuple

import numpy as np

# Columns of an aggregate (coarse) level.
SUM, COUNT, MIN, MAX, LAST = range(5)
AGG_COLUMNS = 5
RAW_COLUMNS = 1


def columns_of(level: int) -> int:
    """How many value columns the slots of a rollup level have."""
    return RAW_COLUMNS if level == 0 else AGG_COLUMNS


def written_slots(values: np.ndarray, finest_per_slot: int, aggregation: str) -> np.ndarray:
    """The columns of coarse slots written directly, not aggregated (points older than the
    finest retention, whisper archives imported as they are). Whisper shows such a value as it
    was written, so each counts as a full slot (COUNT = finest slots per slot: no
    xFilesFactor test) and reads back unchanged under every aggregation; coarser levels
    derived from it aggregate it as whisper aggregates its archives."""
    values = np.asarray(values, np.float64)
    n = float(finest_per_slot)
    total = values if aggregation == "sum" else values * n
    return np.column_stack([total, np.full(len(values), n), values, values, values])


@dataclass(frozen=True)
class Rollup:
    step: int  # seconds per slot
    points: int  # slots kept

    @property
    def retention(self) -> int:
        return self.step * self.points


class SeriesMeta(NamedTuple):
    """What a series was created with. A named tuple, not a frozen dataclass: a burst of new
    series builds one per series, and a frozen dataclass took 4 us each (2 s for 500k)."""

    name: str
    rollups: tuple[Rollup, ...]  # finest first
    aggregation: str = "average"  # average|sum|min|max|last|avg_zero|absmax|absmin
    xff: float = 0.5

    @property
    def max_retention(self) -> int:
        return max(r.retention for r in self.rollups)


@dataclass
class Slots:
    """Slots of one (series, level): sorted unique slot timestamps and their columns."""

    ts: np.ndarray  # int64, shape (n,)
    values: np.ndarray  # float64, shape (n, columns)

    @classmethod
    def empty(cls, columns: int) -> "Slots":
        return cls(np.empty(0, np.int64), np.empty((0, columns), np.float64))

    def __len__(self) -> int:
        return len(self.ts)

    def between(self, start: int, end: int) -> "Slots":
        """The slots with start <= ts < end."""
        lo, hi = np.searchsorted(self.ts, [start, end])
        return Slots(self.ts[lo:hi], self.values[lo:hi])


class Node(NamedTuple):
    """A node of the metric tree (a NamedTuple: finds make a million of them)."""
    path: str
    is_leaf: bool
    is_branch: bool = False

    @property
    def name(self) -> str:
        return self.path.rsplit(".", 1)[-1]


@dataclass
class WriteRequest:
    name: str
    level: int
    step: int
    slots: Slots
    retention: int


@dataclass
class WriteBatch:
    """The slots of many series at one level, columnar: what a flush writes, with no object
    per series. Block g is rows starts[g]:starts[g+1] of ts/values (slots sorted and distinct)
    of the series the store knows as keys[g] (Store.series_keys), named name_of(g)."""

    level: int
    keys: np.ndarray  # int64 per block
    steps: np.ndarray  # int64 per block: the level's step
    retentions: np.ndarray  # int64 per block: the level's retention
    starts: np.ndarray  # int64, blocks + 1
    ts: np.ndarray  # int64 per row
    values: np.ndarray  # float64, (rows, columns_of(level))
    name_of: Callable[[int], str]

    def __len__(self) -> int:
        return len(self.keys)

    @property
    def slots(self) -> int:
        return len(self.ts)

    def blocks(self, lo: int, hi: int) -> "WriteBatch":
        """Blocks lo:hi as a batch of their own."""
        a, b = int(self.starts[lo]), int(self.starts[hi])
        name_of = self.name_of
        return WriteBatch(self.level, self.keys[lo:hi], self.steps[lo:hi], self.retentions[lo:hi],
                          self.starts[lo : hi + 1] - a, self.ts[a:b], self.values[a:b], lambda g: name_of(g + lo))
