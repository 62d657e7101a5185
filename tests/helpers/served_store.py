"""A store as the HTTP API of a server sees it: no points held in memory (no ingest here),
and the in-memory path and tag indexes, built, answering finds and tag queries (tsstore.server composes the same)."""
from tsstore.index.paths import StoreTreeIndex
from tsstore.index.tag_index import StoreTagIndex
from tsstore.store.with_memory import StoreWithMemory, nothing_held


async def queried_as_served(store) -> StoreWithMemory:
    tree_index, tag_index = StoreTreeIndex.for_store(store), StoreTagIndex.for_store(store)
    for index in (tree_index, tag_index):
        if index is not None:
            await index.build()
    return StoreWithMemory(store, nothing_held, tree_index, tag_index)
