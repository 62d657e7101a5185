"""Series the ingest process creates answered at once and written to the store behind it.

Creating 100k series on a local Cassandra node takes about 2.7 s (their series, tree and log
rows), and a burst of new series' first points waited for it before they were readable. In
this mode a store's create_series returns the keys at once, get_series answers the pending
series' metadata, and the rows reach the store in the background, one batch after the other,
each after the ingest has applied the points waiting (for at most YIELD_AT_MOST_SECONDS): on
a local node that took a 100k-series first pass from 238-294k to 304-322k points/s readable.

Nothing acknowledged depends on the background write: the points are in the WAL, and every
store call that needs the series in the store (a flush's writes, a deletion, closing) waits
until what was pending when it was called is written (settled()). So the WAL is never trimmed
past a point whose series the store lacks, and after a crash the replay creates them again.

Only for a store whose key answered before the write is the one the store will hold:
CassandraStore, whose keys follow from the names alone (every writer computes the same,
whether or not another process created the series meanwhile), and the embedded store, whose
one writing process (it holds the data directory) gives the ids itself. There, creating 100k
series took the consumer 0.73 s of a 1.5 s first pass of 1M points.
"""
from __future__ import annotations

import asyncio
import itertools
import logging
from typing import Awaitable, Callable

from tsstore.model import SeriesMeta

Schema = tuple  # (rollups, aggregation, xff), as SeriesMeta's fields

log = logging.getLogger(__name__)

# Series pending at most: past it create_series waits for the store (an outage, a store slower
# than a burst), as it did before this mode, instead of holding every new name twice.
PENDING_LIMIT = 500_000
# Series written to the store in one go: a batch's rows are built and held at once (a batch of
# 700k once took 1.8 GB and over a minute, while the senders waited for all of it).
WRITE_BATCH = 50_000
CLOSE_WAIT_SECONDS = 10.0
# How long a batch waits while the ingest has points to apply (`busy`) and nobody waits for the
# store: applying makes points readable, while the batch's requests, one Python thread beside
# it, only have to be done before the next flush writes.
YIELD_AT_MOST_SECONDS = 2.0


class CreationBehind:
    """`persist(names, schemas)` writes series to the store, schemas[i] the (rollups,
    aggregation, xff) of names[i]; `retry(what, call)` retries a failing call
    (tsstore.ingest.store_retry.StoreRetry) and raises once the process is stopping; `busy()`
    says the ingest has points waiting to be applied (see YIELD_AT_MOST_SECONDS).

    A pending series is its name and a reference to its schema's tuple, no object of its own
    (a SeriesMeta each, and hashing their rollups, cost the ingest 0.1 s per 100k series)."""

    def __init__(self, persist: Callable[[list[str], list[Schema]], Awaitable[None]], retry,
                 limit: int = PENDING_LIMIT, busy: Callable[[], bool] = lambda: False):
        self._persist, self._retry, self.limit, self._busy = persist, retry, limit, busy
        self._waiters = 0  # calls waiting in _until_written
        self._pending: dict[str, Schema] = {}  # name -> (rollups, aggregation, xff), until the store has it
        self._queue: list[str] = []
        self._added = 0  # series queued so far
        self._written = 0  # of those, written (in queue order)
        self._failure: BaseException | None = None  # why the writer stopped (the process is stopping)
        self._progress = asyncio.Event()  # replaced after each batch: set once for the waits it ends
        self._writer: asyncio.Task | None = None

    def __len__(self) -> int:
        return len(self._pending)

    def pending_metas(self, names) -> dict[str, SeriesMeta]:
        """The metadata of those of `names` not yet in the store."""
        pending = self._pending
        if not pending:
            return {}
        return {n: SeriesMeta(n, *pending[n]) for n in names if n in pending}

    def pending_after(self, cursor: int, limit: int) -> tuple[list[str], int]:
        """The series still pending of those queued after the first `cursor` ever queued
        (the newest `limit` of them at most), and the cursor after them: how another process
        learns of this one's new series before the store has them (tsstore.memory_channel).
        The others it asked for are in the store already, or will be: it reads them there."""
        unseen = min(self._added - cursor, len(self._pending), limit)
        if unseen <= 0:
            return [], self._added
        newest = list(itertools.islice(reversed(self._pending.keys()), unseen))
        newest.reverse()
        return newest, self._added

    async def add(self, names: list[str], schemas: list[Schema]) -> None:
        """Queue series for the store, schemas[i] the (rollups, aggregation, xff) of names[i]
        (one pending already is not queued again); waits for the store only when more than
        `limit` are pending."""
        pending = self._pending
        if pending and not pending.keys().isdisjoint(names):
            kept = [i for i, name in enumerate(names) if name not in pending]
            if len(kept) < len(names):
                names, schemas = [names[i] for i in kept], [schemas[i] for i in kept]
        if names:
            pending.update(zip(names, schemas))
            self._queue.extend(names)
            self._added += len(names)
            if self._writer is None or self._writer.done():
                self._failure = None
                self._writer = asyncio.create_task(self._write_queued(), name="series-creation")
        if len(self._pending) > self.limit:  # until back at the limit, not until all are written
            await self._until_written(self._added - self.limit)

    async def settled(self) -> None:
        """Until every series queued before this call is in the store; raises what stopped
        the writer (a failure while the process stops)."""
        await self._until_written(self._added)

    async def _until_written(self, target: int) -> None:
        self._waiters += 1
        try:
            while self._written < target:
                if self._failure is not None:
                    raise self._failure
                await self._progress.wait()
        finally:
            self._waiters -= 1

    async def _yield_to_ingest(self) -> None:
        loop = asyncio.get_running_loop()
        until = loop.time() + YIELD_AT_MOST_SECONDS
        while self._busy() and not self._waiters and len(self._pending) <= self.limit and loop.time() < until:
            await asyncio.sleep(0.01)

    async def _write_queued(self) -> None:
        while self._queue:
            await self._yield_to_ingest()
            batch, self._queue = self._queue[:WRITE_BATCH], self._queue[WRITE_BATCH:]
            schemas = list(map(self._pending.__getitem__, batch))
            try:
                await self._retry("create series", lambda: self._persist(batch, schemas))
            except BaseException as exc:  # the retry gave up (stopping) or the task was cancelled
                self._queue = batch + self._queue  # still pending: a close or the next add sees them
                self._failure = exc if isinstance(exc, Exception) else RuntimeError("series creation stopped")
                self._wake()
                raise
            for name in batch:  # pending until now: a deletion waits for them (settled) first
                self._pending.pop(name, None)
            if not self._pending:  # an emptied dict keeps its largest table (15 MB after 500k names)
                self._pending = {}
            self._written += len(batch)
            self._wake()

    def _wake(self) -> None:
        progress, self._progress = self._progress, asyncio.Event()
        progress.set()

    async def close(self) -> None:
        """Writes what is pending, for at most CLOSE_WAIT_SECONDS (the WAL's replay creates the
        rest at the next start), then stops the writer."""
        if self._writer is None:
            return
        try:
            await asyncio.wait_for(self.settled(), CLOSE_WAIT_SECONDS)
        except Exception as exc:  # noqa: BLE001 - closing goes on; the WAL keeps the points
            log.warning("%d new series not yet in the store at close (%s); the WAL's replay creates them at the "
                        "next start", len(self._pending), exc)
        self._writer.cancel()
        await asyncio.gather(self._writer, return_exceptions=True)
        self._writer = None


class CreatesBehind:
    """What a store that can create behind the ingest shares (its create_behind sets _behind)."""

    _behind: CreationBehind | None = None
    _created_callbacks: tuple = ()  # on_created's, in order

    def on_created(self, callback) -> None:
        """Store.on_created: `callback(names)` for the series this store object creates before
        its own listing shows them (the store calls _tell_created)."""
        self._created_callbacks = (*self._created_callbacks, callback)

    def _tell_created(self, names: list[str]) -> None:
        for callback in self._created_callbacks:
            callback(names)

    @property
    def pending_series(self) -> CreationBehind | None:
        """The series created and not yet written (with create_behind), else None."""
        return self._behind

    async def creations_settled(self) -> None:
        """Until the series this process created so far are in the store (no-op unless create_behind)."""
        if self._behind is not None:
            await self._behind.settled()
