"""The store as queries see it: the stored slots with what the ingest process holds in memory
on top (open slots, rows not yet flushed), so a point is readable as soon as its WAL batch is
fsynced, whatever the flush interval (carbon's carbonlink and go-carbon's cache answer reads
the same way). Finds and tag queries go to the in-memory indexes (tsstore.index.paths and
tag_index), which hold the store's tree and tags.

The memory source is the ingest pipeline itself in its own process, or the memory channel
(tsstore.memory_channel) in the other HTTP processes. Memory is read before the store: a
flush that lands in between leaves the rows in both (equal values) rather than in neither.
Memory wins per slot, as the flush that writes it would. Everything but the reads goes to
the store unchanged.
"""
from __future__ import annotations

import asyncio
import time
from typing import Awaitable, Callable

from tsstore.model import Node, Slots
from tsstore.store.activity import READER_CACHE_SECONDS
from tsstore.store.base import merge_last_wins

# How long last_writes' answers are kept, and how many at most (about 150 bytes each).
LAST_WRITES_SECONDS = READER_CACHE_SECONDS
LAST_WRITES_KEPT = 200_000

# (names, level_of, start, end) -> {name: Slots} held in memory; see IngestPipeline.recent_slots
MemorySource = Callable[[list[str], dict, int, int], Awaitable[dict[str, Slots]]]


async def nothing_held(names, level_of, start, end) -> dict[str, Slots]:
    """The memory source of a process that holds no points (a tool, a test)."""
    return {}


def names_of(nodes: list[Node], leaves_only: bool) -> list[Node]:
    """find_names' answer from found nodes: each last name once, a leaf or a branch if any
    node of that name is one (with leaves_only, only the leaves' names)."""
    by_name: dict[str, tuple[bool, bool]] = {}
    for n in nodes:
        if n.is_leaf or not leaves_only:
            leaf, branch = by_name.get(n.name, (False, False))
            by_name[n.name] = (leaf or n.is_leaf, branch or n.is_branch)
    return sorted(Node(name, leaf, branch) for name, (leaf, branch) in by_name.items())


class StoreWithMemory:
    def __init__(self, store, memory: MemorySource, tree_index=None, tag_index=None, ingest_metas=None):
        self._store, self._memory = store, memory
        # names -> {name: SeriesMeta} of the series the ingest process knows, those its store
        # does not have yet included (IngestPipeline.known_metas, MemoryChannelClient.ingest_metas)
        self._ingest_metas = ingest_metas
        self._last_writes: dict[str, int] = {}  # last_writes' answers since _last_writes_at
        self._last_writes_at = 0.0
        self._tree_index = tree_index  # tsstore.index.paths.StoreTreeIndex, when the store has one
        self._tag_index = tag_index  # tsstore.index.tag_index.StoreTagIndex, likewise

    @property
    def tag_index(self):
        return self._tag_index

    async def tag_names(self) -> list[str]:
        if self._tag_index is not None and (names := await self._tag_index.answer("tag_names")) is not None:
            return names
        return await self._store.tag_names()

    async def tag_values(self, tag: str) -> dict[str, int]:
        if self._tag_index is not None and (values := await self._tag_index.answer("tag_values", tag)) is not None:
            return values
        return await self._store.tag_values(tag)

    async def forget_tagged(self, names: list[str]) -> int:
        """Untagged in the store, and in this process's tag index at once (the other
        processes read it from the store's tag log)."""
        known = await self._store.forget_tagged(names)
        if self._tag_index is not None:
            await self._tag_index.catch_up()
        return known

    @property
    def tree_index(self):
        return self._tree_index

    async def find(self, pattern: str) -> list[Node]:
        """From the in-memory path index once it is built, else the store's tree walk."""
        if self._tree_index is not None:
            nodes = await self._tree_index.find(pattern)
            if nodes is not None:
                return nodes
        return await self._store.find(pattern)

    async def count_series(self, pattern: str) -> list[tuple[str, int]] | None:
        """PathIndex.count_series: None without a built path index."""
        if self._tree_index is None or not self._tree_index.ready:
            return None
        await self._tree_index.catch_up()
        return self._tree_index.index.count_series(pattern)

    async def find_names(self, pattern: str, leaves_only: bool = False) -> list[Node]:
        """The distinct last names of find(pattern), each once (see PathIndex.find_names)."""
        if self._tree_index is not None:
            names = await self._tree_index.find_names(pattern, leaves_only)
            if names is not None:
                return names
        return names_of(await self._store.find(pattern), leaves_only)

    async def last_writes(self, names: list[str]) -> dict[str, int]:
        """Store.last_writes, remembered for LAST_WRITES_SECONDS: a dashboard's template
        variables ask for the same thousands of series again and again (readers allow for the
        age: tsstore.store.activity.activity_slack)."""
        now = time.monotonic()
        if now - self._last_writes_at > LAST_WRITES_SECONDS or len(self._last_writes) > LAST_WRITES_KEPT:
            self._last_writes, self._last_writes_at = {}, now
        known = self._last_writes
        missing = [n for n in names if n not in known]
        if missing:  # a series with none recorded yet is asked again next time (a flush records it)
            known.update(await self._store.last_writes(missing))
        return {n: known[n] for n in names if n in known}

    def __getattr__(self, name):
        return getattr(self._store, name)

    async def get_series(self, names: list[str]) -> dict:
        """The ingest process's metadata for the series it knows (with ingest_metas: those it
        created that the store does not have yet, and a read of what it writes asks the store
        nothing), the store's for the others, but for names its filter says are new (in the
        ingest process: Store.names_maybe_held; a poll for a series whose first point was just
        sent otherwise waited for a store lookup in line behind a flush's reads)."""
        metas = await self._ingest_metas(names) if self._ingest_metas is not None and names else {}
        rest = [n for n in names if n not in metas]
        maybe = self._store.names_maybe_held(rest) if rest else None
        if maybe is not None:
            rest = [n for n, held in zip(rest, maybe.tolist()) if held]
        if rest:
            metas.update(await self._store.get_series(rest))
        return metas

    async def read_many(self, names: list[str], level_of: dict[str, tuple[int, int]], start: int,
                        end: int) -> dict[str, Slots]:
        if not names:
            return await self._store.read_many(names, level_of, start, end)
        # both at once: the ingest's answer and the store's take about as long
        held, stored = await asyncio.gather(self._memory(names, level_of, start, end),
                                            self._store.read_many(names, level_of, start, end))
        for name, slots in held.items():
            slots = slots.between(start, end)
            stored[name] = merge_last_wins([stored[name], slots], slots.values.shape[1]) if name in stored else slots
        return stored

    async def read(self, name: str, level: int, step: int, start: int, end: int) -> Slots:
        return (await self.read_many([name], {name: (level, step)}, start, end))[name]
