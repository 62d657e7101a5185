"""Store calls of the ingest pipeline, retried while the store fails.

Any failure counts in ``store.errors``, is logged (rate-limited) and the call is tried again
after a backoff of 0.2 s doubling up to MAX_BACKOFF (5 s): the WAL keeps the points meanwhile, so
waiting loses nothing. When the store says it is reachable again (wake(): a Cassandra node
back up) every backoff in progress ends and starts again from 0.2 s, so a backlog drains as
soon as the store returns instead of after the longest backoff. Once the pipeline is stopping
a failure is raised instead, so the final flush ends (the WAL keeps everything for the next
start).
"""
from __future__ import annotations

import asyncio

from tsstore.ingest.counters import Counters, RateLimitedLog

MAX_BACKOFF = 5.0  # a store that comes back without saying so (space freed) is written within this
FIRST_BACKOFF = 0.2


class StoreRetry:
    def __init__(self, counters: Counters, ratelog: RateLimitedLog):
        self.counters = counters
        self.ratelog = ratelog
        self.stopping = False
        self._stop = asyncio.Event()
        self._woken = asyncio.Event()  # replaced at each wake-up: set once for the waits it ends
        self._loop: asyncio.AbstractEventLoop | None = None

    def stop(self) -> None:
        """From now on a failure is raised, and a backoff in progress ends at once."""
        self.stopping = True
        self._stop.set()

    def wake(self) -> None:
        """The store may take requests again: end every backoff now. Safe from any thread."""
        loop = self._loop
        if loop is None:  # nothing has failed yet
            return
        try:
            loop.call_soon_threadsafe(self._wake_waiters)
        except RuntimeError:  # the loop is closed: the process is stopping
            pass

    def _wake_waiters(self) -> None:
        woken, self._woken = self._woken, asyncio.Event()
        woken.set()

    async def __call__(self, what: str, call):
        """The result of `await call()`, once it succeeds."""
        delay = FIRST_BACKOFF
        while True:
            try:
                return await call()
            except Exception as exc:  # any store failure: keep the WAL, back off, try again
                self.counters.add("store.errors")
                if self.stopping:
                    raise
                self._loop = asyncio.get_running_loop()
                self.ratelog.warning("store", "store %s failed (%s: %s); retrying in %.1fs", what, type(exc).__name__, exc, delay)
                waits = [asyncio.ensure_future(self._stop.wait()), asyncio.ensure_future(self._woken.wait())]
                done, pending = await asyncio.wait(waits, timeout=delay, return_when=asyncio.FIRST_COMPLETED)
                for w in pending:
                    w.cancel()
                delay = FIRST_BACKOFF if waits[1] in done else min(MAX_BACKOFF, delay * 2)
