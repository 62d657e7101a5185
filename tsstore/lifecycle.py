"""Series lifecycle for operators (`tsstore series ...`): what the store holds, by subtree.
Reads the store directly, through the same path index the HTTP processes keep
(tsstore.index.paths), so it runs beside a server on the same data dir or keyspace."""
from __future__ import annotations

from pathlib import Path

from tsstore.index.paths import StoreTreeIndex


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
