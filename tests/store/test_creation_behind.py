"""CreationBehind's queue (tsstore.store.creation_behind): what is pending, when a caller waits,
and what a failing write does. `persist` here is a list the written batches go into; the
store's side is tests/store/test_cassandra_creation_behind.py, on a real node."""
import asyncio

import pytest

from tsstore.model import Rollup, SeriesMeta
from tsstore.store.creation_behind import CreationBehind


SCHEMA = ((Rollup(10, 100),), "average", 0.0)


def _series(*names: str) -> tuple[list[str], list[tuple]]:
    """add()'s arguments: the names, and each one's (rollups, aggregation, xff)."""
    return list(names), [SCHEMA] * len(names)


class Written:
    """persist(): batches written after `delay`, failing the first `failures` times."""

    def __init__(self, delay: float = 0.0, failures: int = 0):
        self.batches: list[list[str]] = []
        self.delay, self.failures = delay, failures

    async def __call__(self, names, schemas):
        await asyncio.sleep(self.delay)
        if self.failures:
            self.failures -= 1
            raise ConnectionError("node down")
        assert schemas == [SCHEMA] * len(names)
        self.batches.append(list(names))


async def once(what, call):
    return await call()


async def until_it_works(what, call):
    while True:
        try:
            return await call()
        except ConnectionError:
            await asyncio.sleep(0.01)


async def test_pending_series_are_answered_until_written_and_queued_once():
    written = Written(delay=0.05)
    behind = CreationBehind(written, once)
    await behind.add(*_series("a", "b"))
    await behind.add(*_series("b", "c"))  # b is pending already
    assert behind.pending_metas(["a", "b", "c", "d"]) == {n: SeriesMeta(n, *SCHEMA) for n in "abc"}
    await behind.settled()
    assert sorted(n for batch in written.batches for n in batch) == ["a", "b", "c"]
    assert behind.pending_metas(["a", "b", "c"]) == {} and len(behind) == 0


async def test_a_failing_write_is_retried_and_settled_waits_for_it():
    written = Written(failures=3)
    behind = CreationBehind(written, until_it_works)
    await behind.add(*_series("a"))
    await asyncio.wait_for(behind.settled(), 5)
    assert written.batches == [["a"]]


async def test_settled_waits_only_for_what_was_queued_before_it():
    written = Written(delay=0.1)
    behind = CreationBehind(written, once)
    await behind.add(*_series("a"))
    waiting = asyncio.ensure_future(behind.settled())
    await asyncio.sleep(0.02)
    await behind.add(*_series("b"))  # queued while "a" is written: the next batch
    await asyncio.wait_for(waiting, 5)
    assert written.batches == [["a"]]
    assert set(behind.pending_metas(["a", "b"])) == {"b"}


async def test_past_the_limit_adding_waits_for_the_store():
    written = Written(delay=0.1)
    behind = CreationBehind(written, once, limit=2)
    await behind.add(*_series("a", "b"))
    assert written.batches == []  # at the limit: answered at once
    await behind.add(*_series("c"))
    assert sorted(n for batch in written.batches for n in batch) == ["a", "b", "c"]


async def test_writes_go_in_bounded_batches_and_adding_past_the_limit_waits_only_until_back_at_it(monkeypatch):
    """A burst far past the limit is written a batch at a time (its rows built and held a batch
    at a time), and the caller that went past the limit goes on once the pending series are
    back at the limit, not after the whole burst is written (senders once waited minutes)."""
    monkeypatch.setattr("tsstore.store.creation_behind.WRITE_BATCH", 2)
    written = Written(delay=0.05)
    behind = CreationBehind(written, once, limit=3)
    await behind.add(*_series("a", "b", "c", "d", "e", "f"))
    assert written.batches == [["a", "b"], ["c", "d"]]  # 6 pending -> 2: back under the limit
    assert set(behind.pending_metas(list("abcdef"))) == {"e", "f"}
    await behind.settled()
    assert written.batches == [["a", "b"], ["c", "d"], ["e", "f"]]


async def test_a_write_given_up_is_raised_and_kept_for_the_next_add():
    written = Written(failures=1)
    behind = CreationBehind(written, once)  # gives up at the first failure, as a stopping process
    await behind.add(*_series("a"))
    with pytest.raises(ConnectionError):
        await asyncio.wait_for(behind.settled(), 5)
    assert set(behind.pending_metas(["a"])) == {"a"}
    await behind.add(*_series("b"))
    await asyncio.wait_for(behind.settled(), 5)
    assert written.batches == [["a", "b"]]


async def test_close_writes_what_is_pending():
    written = Written(delay=0.05)
    behind = CreationBehind(written, once)
    await behind.add(*_series("a"))
    await behind.close()
    assert written.batches == [["a"]]


async def test_writes_wait_while_the_ingest_is_busy_but_not_for_a_waiting_caller_nor_for_long(monkeypatch):
    """A batch waits while the ingest has points to apply (they become readable first), unless a
    caller waits for the store (a flush) or it has waited YIELD_AT_MOST_SECONDS."""
    from tsstore.store import creation_behind

    busy = [True]
    written = Written()
    behind = CreationBehind(written, once, busy=lambda: busy[0])
    await behind.add(*_series("a"))
    await asyncio.sleep(0.1)
    assert written.batches == []  # the ingest is busy: not yet
    busy[0] = False
    await asyncio.sleep(0.05)
    assert written.batches == [["a"]]

    busy[0] = True
    await behind.add(*_series("b"))
    await asyncio.wait_for(behind.settled(), 1)  # a caller waits: written at once, busy or not
    assert written.batches[-1] == ["b"]

    monkeypatch.setattr(creation_behind, "YIELD_AT_MOST_SECONDS", 0.2)
    await behind.add(*_series("c"))
    await asyncio.sleep(0.1)
    assert written.batches[-1] == ["b"]
    await asyncio.sleep(0.3)  # busy all along, but not for longer than the bound
    assert written.batches[-1] == ["c"]


async def test_pending_after_a_cursor_gives_the_newest_still_pending_once():
    opened = asyncio.Event()

    async def shut(what, call):  # nothing is written until the end
        await opened.wait()
        return await call()

    written = Written()
    behind = CreationBehind(written, shut)
    await behind.add(*_series("a", "b"))
    got, cursor = behind.pending_after(0, 100)
    assert got == ["a", "b"] and cursor == 2
    await behind.add(*_series("c", "b", "d"))  # b is pending already: not queued again
    got, cursor = behind.pending_after(cursor, 100)
    assert got == ["c", "d"] and cursor == 4
    assert behind.pending_after(cursor, 100) == ([], 4)
    got, _ = behind.pending_after(0, 3)  # a reader that far behind gets the newest
    assert got == ["b", "c", "d"]
    opened.set()
    await behind.settled()
    assert behind.pending_after(0, 100) == ([], 4)  # written: the store has them now
