"""Series other processes deleted, let go of here: on a store several ingest processes write
(Cassandra), a deletion made through one of them (or `tsstore series delete --store`) is in
the store's deletion log; every other ingest process reads it and drops what it holds of
those series, so its next point of one creates the series anew (metadata, tree) instead of
writing points under a name the store no longer knows.

Unlike a deletion made here (IngestPipeline.forget), nothing is flushed first (that would
write the deleted points back): the points of such a series this process took in before it
read the log are dropped with it, and a WAL replay skips them. A name the store has again
(created anew since, by any process) is left alone.
"""
from __future__ import annotations

import asyncio
import logging

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0
ROWS_PER_READ = 10_000


class DeletionFollower:
    def __init__(self, store, drop):
        """drop(names): let go of these series (IngestPipeline.drop_deleted)."""
        self.store, self.drop = store, drop

    async def run(self) -> None:
        cursor = await self._retrying(self.store.deletion_cursor)
        while True:
            await asyncio.sleep(POLL_SECONDS)
            try:
                gone, cursor, _ = await self.store.still_deleted_after(cursor, ROWS_PER_READ)
                if gone:
                    await self.drop(gone)
            except Exception as exc:  # noqa: BLE001 - the store is down: the next poll reads the same rows
                log.debug("reading the deletion log failed (%s); next poll in %ss", exc, POLL_SECONDS)

    async def _retrying(self, call):
        while True:
            try:
                return await call()
            except Exception:  # noqa: BLE001 - the store is down at start: keep trying
                await asyncio.sleep(POLL_SECONDS)
