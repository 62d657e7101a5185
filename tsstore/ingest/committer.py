"""WAL group commit: points count as received once they are fsynced in the WAL.

submit() queues a batch and returns a future; the committer writes every batch queued since
its last write as one WAL record (with the series names registered meanwhile, so ids replay
the same), on the WAL thread, and then resolves the futures: with the number of batches of
the record, or WalFull when the WAL refused them (its budget: ``dropped.wal_full``, a full disk:
``dropped.disk_full``, another write error: ``dropped.wal_error``; each is counted and logged,
and the points are gone: a failed write leaves nothing in the WAL). Committed
records go to the live queue for the consumer.
"""
from __future__ import annotations

import asyncio
import errno
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

import numpy as np

from tsstore.ingest.carbon_parser import SeriesRegistry
from tsstore.ingest.counters import Counters, RateLimitedLog
from tsstore.ingest.live_queue import LiveQueue
from tsstore.data_dir import free_space
from tsstore.ingest.wal import WalFull, WriteAheadLog, encode_points


class Committer:
    def __init__(self, wal: WriteAheadLog, wal_thread: ThreadPoolExecutor, registry: SeriesRegistry, counters: Counters,
                 live: LiveQueue, ratelog: RateLimitedLog, on_commit: Callable[[], None]):
        self.wal, self.wal_thread, self.registry, self.counters = wal, wal_thread, registry, counters
        self.live, self.ratelog, self.on_commit = live, ratelog, on_commit
        self._pending: list[tuple[np.ndarray, np.ndarray, np.ndarray, asyncio.Future]] = []
        self.pending_points = 0
        self._wakeup = asyncio.Event()
        self.logged_names = 0  # series ids below this have their name in the WAL

    def submit(self, sids: np.ndarray, ts: np.ndarray, values: np.ndarray) -> asyncio.Future:
        """Queue points for the WAL; the future resolves when they are durable."""
        fut = asyncio.get_running_loop().create_future()
        if not len(sids):
            fut.set_result(0)
            return fut
        self._pending.append((sids, ts, values, fut))
        self.pending_points += len(sids)
        self._wakeup.set()
        return fut

    async def wait_empty(self) -> None:
        """Until everything submitted so far is committed (or refused)."""
        self._wakeup.set()
        while self._pending:
            await asyncio.sleep(0.01)

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            if not self._pending:
                continue
            batch, self._pending = self._pending, []
            n = sum(len(b[0]) for b in batch)
            sids = np.concatenate([b[0] for b in batch])
            ts = np.concatenate([b[1] for b in batch])
            values = np.concatenate([b[2] for b in batch])
            new_names = self.registry.names_since(self.logged_names)
            payload = encode_points(sids, ts, values)
            try:
                pos = await loop.run_in_executor(self.wal_thread, self.wal.append, [payload], new_names)
            except WalFull as exc:
                self.counters.add("dropped.wal_full", n)
                self.ratelog.warning("wal_full", "refusing %d points: %s", n, exc)
                pos = None
            except OSError as exc:
                if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                    self.counters.add("dropped.disk_full", n)
                    self.ratelog.warning("disk_full", "refusing %d points: the disk of the WAL %s is full (%s free): "
                                         "free space there; points are taken again as soon as a write fits",
                                         n, self.wal.dir, free_space(self.wal.dir))
                else:
                    self.counters.add("dropped.wal_error", n)
                    self.ratelog.warning("wal_error", "refusing %d points: WAL write failed: %s", n, exc)
                pos = None
            else:
                self.logged_names += len(new_names)
                self.counters.add("points.received", n)
                self.counters.set("wal.bytes", self.wal.size_bytes)
                self.live.put(pos, sids, ts, values)
            self.pending_points -= n
            for *_, fut in batch:
                if not fut.done():
                    if pos is None:
                        fut.set_exception(WalFull("WAL refused the points"))
                    else:
                        fut.set_result(len(batch))
            self.on_commit()
