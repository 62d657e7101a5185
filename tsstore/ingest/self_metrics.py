"""Self metrics: every self_metrics_interval the process's counters, with the pipeline's
gauges (queue sizes, WAL bytes, known series, aggregator stats; refreshed by every counters
snapshot, so /tsstore/status shows them current too) are
submitted as points of ``<self_metrics_prefix>.<instance>.<counter>``, through the WAL like
any other point; a full WAL just skips that round.

The instance is self_metrics_instance, else the host name (dots become '_') and the carbon
port, as carbon names its agents by host and instance: several processes on one host that
write to one store (Cassandra) each keep their own series instead of overwriting each other's.
"""
from __future__ import annotations

import asyncio
import os
import socket
import time
import numpy as np

from tsstore.ingest.carbon_parser import SeriesRegistry
from tsstore.ingest.counters import Counters
from tsstore.ingest.rollup import RollupAggregator
from tsstore.ingest.committer import Committer
from tsstore.ingest.live_queue import LiveQueue
from tsstore.ingest.wal import WalFull, WriteAheadLog
from tsstore.store.base import Store


def instance_name(settings) -> str:
    """self_metrics_instance, else <host>_<port> with the first listener port that is on
    (plaintext, then pickle), else the host name alone."""
    if settings.self_metrics_instance:
        return settings.self_metrics_instance
    host = socket.gethostname().replace(".", "_")
    port = settings.carbon_port or settings.pickle_port
    return f"{host}_{port}" if port else host


def rss_bytes() -> int:
    """The process's resident memory (Linux; 0 where /proc is not there)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


class SelfMetrics:
    def __init__(self, settings, counters: Counters, registry: SeriesRegistry, committer: Committer, live: LiveQueue,
                 wal: WriteAheadLog, aggregator: RollupAggregator, store: Store):
        self.settings, self.counters, self.registry = settings, counters, registry
        self.committer, self.live, self.wal, self.aggregator, self.store = committer, live, wal, aggregator, store

    def gauges(self) -> None:
        """Set the counters that are levels, not totals."""
        self.counters.set("queue.pending_points", self.committer.pending_points)
        self.counters.set("queue.unapplied_points", self.live.points)
        self.counters.set("wal.bytes", self.wal.size_bytes)
        self.counters.set("series.known", len(self.registry))
        pending = getattr(self.store, "pending_series", None)  # created, their rows not yet in the store
        self.counters.set("series.pending_creation", len(pending) if pending is not None else 0)
        for key, value in self.aggregator.stats.items():
            self.counters.set(f"aggregator.{key}", value)
        self.counters.set("aggregator.rows_held", self.aggregator.rows_held)  # slots kept in memory for reads (29 bytes each)
        # what the largest per-series structures take, beside the process's RSS (the rest:
        # the path index, in /tsstore/status's path_index.bytes, SQLite's caches, Python)
        self.counters.set("memory.rss_bytes", rss_bytes())
        self.counters.set("memory.registry_bytes", self.registry.memory_bytes())
        self.counters.set("memory.rollup_state_bytes", self.aggregator.state_bytes())
        self.counters.set("memory.rows_held_bytes", self.aggregator.rows_bytes())
        self.counters.set("memory.name_filter_bytes", self.store.name_filter_bytes())

    async def run(self) -> None:
        prefix = f"{self.settings.self_metrics_prefix}.{instance_name(self.settings)}."
        while True:
            await asyncio.sleep(self.settings.self_metrics_interval)
            now = int(time.time())
            snap = self.counters.snapshot()
            sids = np.array([self.registry.id_of((prefix + k).encode()) for k in snap], np.int64)
            ts = np.full(len(sids), now, np.int64)
            values = np.array(list(snap.values()), np.float64)
            try:
                await self.committer.submit(sids, ts, values)
            except WalFull:
                pass
