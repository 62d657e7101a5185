"""Committed WAL records handed from the committer to the consumer, kept in memory while the
consumer keeps up.

Past max_points the copies are dropped and the queue is marked behind: the consumer then
re-reads the WAL from its own position, so nothing is lost, only read again. A new queue
starts behind: a process first replays the WAL from disk.
"""
from __future__ import annotations

import asyncio
from collections import deque

import numpy as np

from tsstore.ingest.wal import Position


class LiveQueue:
    def __init__(self, max_points: int):
        self.max_points = max_points
        self._records: deque = deque()  # (position after, sids, ts, values)
        self.points = 0
        self.behind = True  # the consumer must read the WAL from disk
        self.wakeup = asyncio.Event()  # set when a record arrives

    def __len__(self) -> int:
        return len(self._records)

    def put(self, pos: Position, sids: np.ndarray, ts: np.ndarray, values: np.ndarray) -> None:
        self._records.append((pos, sids, ts, values))
        self.points += len(sids)
        if self.points > self.max_points:
            self._drop_copies()
        self.wakeup.set()

    def pop(self) -> tuple[Position, np.ndarray, np.ndarray, np.ndarray]:
        record = self._records.popleft()
        self.points -= len(record[1])
        return record

    def _drop_copies(self) -> None:
        """The consumer fell behind: let it re-read the WAL instead of holding copies in memory."""
        self._records.clear()
        self.points = 0
        self.behind = True
