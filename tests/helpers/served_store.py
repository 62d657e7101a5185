"""A store as the HTTP API of a server sees it: no points held in memory (no ingest here),
and the in-memory path index, built, answering finds (tsstore.server composes the same)."""
from tsstore.index.paths import StoreTreeIndex
from tsstore.store.with_memory import StoreWithMemory, nothing_held


async def queried_as_served(store) -> StoreWithMemory:
    tree_index = StoreTreeIndex.for_store(store)
    if tree_index is not None:
        await tree_index.build()
    return StoreWithMemory(store, nothing_held, tree_index)
