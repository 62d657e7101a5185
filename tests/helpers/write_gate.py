"""A retry function for a store's writes behind the ingest (tsstore.store.creation_behind)
whose writes wait until the test opens it: what a call did not wait for would be seen."""
import asyncio


class Gate:
    """A retry function whose writes wait until the gate is opened."""

    def __init__(self):
        self.opened = asyncio.Event()

    async def __call__(self, what, call):
        await self.opened.wait()
        return await call()

    async def open_while(self, awaitable):
        """Run `awaitable`; check it waits for the gate, open the gate, and return its result."""
        task = asyncio.ensure_future(awaitable)
        await asyncio.sleep(0.2)
        assert not task.done(), "it did not wait for the series to be written"
        self.opened.set()
        return await task
