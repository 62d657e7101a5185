"""A real store whose reads of its series log wait until released, as a catch-up's reads of
Cassandra's logs wait behind a flush's writes: how the path index's tests hold a catch-up."""
import asyncio


class HeldLogReads:
    """Wraps `store.tree_names_after` (with pytest's monkeypatch) so that its reads wait until
    `release` is set."""

    def __init__(self, store, monkeypatch):
        self.release, self.real = asyncio.Event(), store.tree_names_after
        monkeypatch.setattr(store, "tree_names_after", self)

    async def __call__(self, cursor, limit):
        await self.release.wait()
        return await self.real(cursor, limit)
