"""Store calls of the ingest pipeline, retried while the store fails.

Any failure counts in ``store.errors``, is logged (rate-limited) and the call is tried again
after a backoff of 0.2 s doubling up to MAX_BACKOFF (5 s): the WAL keeps the points meanwhile, so
waiting loses nothing. Once the pipeline is stopping a failure is raised instead, so the
final flush ends (the WAL keeps everything for the next start).
"""
from __future__ import annotations

import asyncio

from tsstore.ingest.counters import Counters, RateLimitedLog

MAX_BACKOFF = 5.0  # a store that comes back (space freed, Cassandra up) is written within this


class StoreRetry:
    def __init__(self, counters: Counters, ratelog: RateLimitedLog):
        self.counters = counters
        self.ratelog = ratelog
        self.stopping = False
        self._stop = asyncio.Event()

    def stop(self) -> None:
        """From now on a failure is raised, and a backoff in progress ends at once."""
        self.stopping = True
        self._stop.set()

    async def __call__(self, what: str, call):
        """The result of `await call()`, once it succeeds."""
        delay = 0.2
        while True:
            try:
                return await call()
            except Exception as exc:  # any store failure: keep the WAL, back off, try again
                self.counters.add("store.errors")
                if self.stopping:
                    raise
                self.ratelog.warning("store", "store %s failed (%s: %s); retrying in %.1fs", what, type(exc).__name__, exc, delay)
                try:
                    await asyncio.wait_for(self._stop.wait(), delay)
                except asyncio.TimeoutError:
                    pass
                delay = min(MAX_BACKOFF, delay * 2)
