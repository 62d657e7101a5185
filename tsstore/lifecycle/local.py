"""The command line's way to the series lifecycle (`tsstore series ...`): the store of a data
dir or a cassandra:// URL, read directly (reads are safe beside a running server), and for
deletes and renames the process that ingests into that data dir, through its write channel,
when one runs (it must let go of the series first); otherwise the store itself."""
from __future__ import annotations

import contextlib
from pathlib import Path

from tsstore.data_dir import DataDirInUse, DataDirLock
from tsstore.index.paths import StoreTreeIndex
from tsstore.index.tag_index import StoreTagIndex
from tsstore.store.with_memory import StoreWithMemory, nothing_held


def open_store_at(where: str):
    """The store of a cassandra:// URL or an embedded data dir (which must exist)."""
    if where.startswith("cassandra://"):
        from tsstore.store.cassandra.store import CassandraStore

        return CassandraStore(where)
    if not (Path(where) / "tsstore.db").exists():
        raise FileNotFoundError(f"{where}: no tsstore data dir here (no tsstore.db); give --data-dir or --store")
    from tsstore.store.embedded import EmbeddedStore

    return EmbeddedStore(where)


async def count_series(where: str, pattern: str) -> list[tuple[str, int]]:
    """(path, series under it) of every node the glob matches, most first."""
    from tsstore.index.globs import check_pattern

    check_pattern(pattern)  # named before the store is read
    store = open_store_at(where)
    await store.open()
    try:
        tree = StoreTreeIndex(store)
        await tree.build()
        return tree.index.count_series(pattern)
    finally:
        await store.close()


@contextlib.asynccontextmanager
async def lifecycle_at(where: str, flush_interval: float):
    """A SeriesLifecycle for a data dir or a cassandra:// URL: the running server's, over its
    write channel, when one ingests into that data dir; else one over the store itself, with
    its indexes built here."""
    from tsstore.ingest.forgotten import StoppedIngest
    from tsstore.lifecycle.operations import SeriesLifecycle
    from tsstore.store.activity import activity_slack
    from tsstore.write_channel import LifecycleChannel

    lock = None
    if not where.startswith("cassandra://"):
        open_store_at(where)  # a data dir that is none is named before anything else
        try:  # held while the store is changed here: no server starts meanwhile
            lock = DataDirLock(where).acquire()
        except DataDirInUse:  # a server ingests there: it deletes, after letting go of the series
            yield LifecycleChannel(where)
            return
    store = open_store_at(where)
    try:
        await store.open()
        tree, tags = StoreTreeIndex.for_store(store), StoreTagIndex.for_store(store)
        for index in (tree, tags):
            if index is not None:
                await index.build()
        # a data dir's WAL must not bring the deleted series back at the server's next start
        stopped = None if where.startswith("cassandra://") else StoppedIngest(Path(where) / "wal")
        yield SeriesLifecycle(StoreWithMemory(store, nothing_held, tree, tags), stopped, activity_slack(flush_interval))
    finally:
        await store.close()
        if lock is not None:
            lock.release()


async def deletions_at(where: str, since: float, limit: int) -> list[tuple[float, str, str]]:
    store = open_store_at(where)
    await store.open()
    try:
        return await store.deletions_since(since, limit)
    finally:
        await store.close()
