"""What the in-memory indexes kept equal to a store share (tsstore.index.paths'
StoreTreeIndex, tsstore.index.tag_index's StoreTagIndex): a build in the background that a
store error only delays, a ready flag (the store's own queries answer until then), and
catch-ups at most as often as the store asks (tree_poll_seconds: Cassandra's logs cost a few
queries; the embedded store's one indexed query is free to run before every find)."""
from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
import time

log = logging.getLogger(__name__)

BUILD_RETRY_S = 5
# A served index is caught up at least this often with no find asking: a process that
# answered no find during a burst of 100k new series made the next find add them all first
# (160-220 ms; an --http-workers child, whose connections the burst's readers did not use).
KEEP_CAUGHT_UP_S = 1.0


class StoreSync:
    what = "index"  # for the log: "path index", "tag index"
    reads = "the store"  # what the build reads, for the log

    def __init__(self, store):
        self._store = store
        self._cursor = 0  # the store's position for the next catch-up (its own kind of value)
        self.ready = False
        self.build_seconds: float | None = None
        self._caught_up = 0.0  # monotonic time of the last catch-up
        self._catch_up_lock = threading.Lock()  # two requests catching up at once apply a change once
        # The catch-up under way, as a future any event loop can wait for: the API answers on a
        # few threads, each with its own loop (api.offload), and an asyncio task of one cannot
        # be awaited from another (a find joining a catch-up another thread started failed).
        self._under_way: concurrent.futures.Future | None = None
        self._futures_lock = threading.Lock()  # swaps the shared futures: _under_way (one at a time), _changed
        self._beside: set[asyncio.Task] = set()  # the tasks running them (kept from the collector)
        # done (and replaced) when the index may have changed: names added by this process, or
        # a catch-up ended; so at least every KEEP_CAUGHT_UP_S while served
        self._changed = concurrent.futures.Future()
        # a store that asks to be polled (Cassandra) is caught up beside the answers
        self.polled = bool(getattr(store, "tree_poll_seconds", 0))
        self._pending_names = None  # see also_pending
        # a store that creates series before it lists them (a poll away, or written behind the
        # ingest) tells this process's indexes of them at once; the others never call it
        store.on_created(self._created_here)

    def also_pending(self, pending_names) -> None:
        """Catch-ups also add the series another process created and its store does not list
        yet: `pending_names()` gives them, newline-joined, since its last call (the ingest
        process's memory channel, for the other HTTP processes: a new series' first points are
        in the ingest's memory, and finds and tag queries must list it to read them)."""
        self._pending_names = pending_names

    async def build(self) -> None:
        """Read everything the store holds, then serve from memory; a store error is logged
        and the build starts again a few seconds later."""
        while True:
            try:
                return await self._build()
            except Exception as exc:  # noqa: BLE001 - the store's own queries answer meanwhile
                log.warning("%s: reading %s failed (%s); trying again in %ss", self.what, self.reads, exc, BUILD_RETRY_S)
                await asyncio.sleep(BUILD_RETRY_S)

    async def serve(self) -> None:
        """Build, then catch up every KEEP_CAUGHT_UP_S, so that the store's changes are added
        beside the answers rather than in one. A failure is logged once until a catch-up
        works again (a store outage would otherwise log every second)."""
        await self.build()
        failing = False
        while True:
            await asyncio.sleep(KEEP_CAUGHT_UP_S)
            try:
                await self.caught_up_now()  # joins a catch-up a find started beside, rather than repeating it
            except Exception as exc:  # noqa: BLE001 - tried again in a second; finds catch up too
                if not failing:
                    log.warning("%s: catching up with the store failed (%s); trying again every %.0f s",
                                self.what, exc, KEEP_CAUGHT_UP_S)
                failing = True
            else:
                if failing:
                    log.info("%s: caught up with the store again", self.what)
                failing = False

    async def _build(self) -> None:
        raise NotImplementedError

    async def catch_up(self, now: bool = False) -> None:
        raise NotImplementedError

    def _created_here(self, names: list[str]) -> None:
        """Series this process just created, into the index at once (Store.on_created)."""
        raise NotImplementedError

    async def fresh(self) -> None:
        """Before an answer from the index. A store whose catch-up is one indexed query
        (tree_poll_seconds 0: the embedded store) is caught up first. One that asks to be
        polled (Cassandra: a few queries) is caught up beside the answer, which is then at
        most a poll older, as it was between polls anyway: a read of a store busy with a
        flush waited for those queries in line with the flush's writes, and then again for
        its own (renders of 300-500 ms). This process's own new series are in already
        (on_created)."""
        if not self.polled:
            await self.catch_up()
        elif (self._under_way is None or self._under_way.done()) and self._catch_up_due():
            self._catch_up_beside(log_failure=True)  # nobody may wait for it: the next answer tries again

    async def caught_up_now(self) -> None:
        """Caught up with the store before going on (joining the catch-up under way, if one
        is, whichever event loop runs it); its failure is raised."""
        done = self._catch_up_beside()
        await on_this_loop(done)
        done.result()

    def _note_changed(self) -> None:
        with self._futures_lock:
            changed, self._changed = self._changed, concurrent.futures.Future()
        changed.set_result(None)

    def _catch_up_beside(self, log_failure: bool = False) -> concurrent.futures.Future:
        """The catch-up under way, or one started now on this event loop (its failure logged
        if `log_failure`; else only raised to those waiting)."""
        with self._futures_lock:
            if self._under_way is not None and not self._under_way.done():
                return self._under_way
            self._under_way = done = concurrent.futures.Future()
        task = asyncio.get_running_loop().create_task(self.catch_up(now=True))
        self._beside.add(task)
        task.add_done_callback(lambda t: self._caught_up_by(t, done, log_failure))
        return done

    def _caught_up_by(self, task: asyncio.Task, done: concurrent.futures.Future, log_failure: bool) -> None:
        self._beside.discard(task)
        self._note_changed()
        if task.cancelled():  # its event loop is closing
            done.set_exception(RuntimeError(f"{self.what}: the catch-up was cancelled"))
        elif (exc := task.exception()) is not None:
            done.set_exception(exc)
            if log_failure:
                log.warning("%s: catching up with the store failed (%s); answers may miss its latest changes",
                            self.what, exc)
        else:
            done.set_result(None)

    def _catch_up_due(self) -> bool:
        """True (and the time noted) when the store's poll interval has passed since the last catch-up."""
        if time.monotonic() - self._caught_up < getattr(self._store, "tree_poll_seconds", 0):
            return False
        self._caught_up = time.monotonic()
        return True


def on_this_loop(shared: concurrent.futures.Future) -> asyncio.Future:
    """A future of the running event loop, done (None) once `shared` is: others may wait for
    `shared` from other loops, and a cancelled wait (a request's time budget) must leave it
    alone (asyncio.wrap_future cancels its source)."""
    loop = asyncio.get_running_loop()
    mine = loop.create_future()

    def copy(_):
        try:
            loop.call_soon_threadsafe(lambda: mine.done() or mine.set_result(None))
        except RuntimeError:  # the waiter's loop is closed: nobody waits
            pass

    shared.add_done_callback(copy)
    return mine
