"""Pipeline stages on their own: the live queue's fall-back to the WAL and the store retry."""
import asyncio
import logging
import threading

import numpy as np
import pytest

from tsstore.ingest import store_retry
from tsstore.ingest.counters import Counters, RateLimitedLog
from tsstore.ingest.live_queue import LiveQueue
from tsstore.ingest.store_retry import StoreRetry
from tsstore.ingest.wal import Position


def _points(n):
    return np.arange(n, dtype=np.int64), np.zeros(n, np.int64), np.ones(n)


async def test_live_queue_hands_records_over_in_order():
    q = LiveQueue(max_points=10)
    q.behind = False
    q.put(Position(0, 10), *_points(3))
    q.put(Position(0, 20), *_points(4))
    assert q.wakeup.is_set() and len(q) == 2 and q.points == 7
    assert q.pop()[0] == Position(0, 10) and q.points == 4
    assert q.pop()[0] == Position(0, 20) and q.points == 0 and not q.behind


async def test_live_queue_past_its_budget_sends_the_consumer_back_to_the_wal():
    q = LiveQueue(max_points=5)
    q.behind = False
    q.put(Position(0, 10), *_points(3))
    q.put(Position(0, 20), *_points(3))
    assert q.behind and len(q) == 0 and q.points == 0


async def test_store_retry_backs_off_until_the_store_answers(monkeypatch):
    sleeps = []

    async def no_wait(waits, timeout, return_when):  # the backoff, without waiting for it
        sleeps.append(timeout)
        return set(), set(waits)

    monkeypatch.setattr(store_retry.asyncio, "wait", no_wait)
    counters = Counters()
    retry = StoreRetry(counters, RateLimitedLog(logging.getLogger("test")))
    calls = iter([OSError("down")] * 9 + ["ok"])

    async def call():
        outcome = next(calls)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    assert await retry("write", call) == "ok"
    assert counters.get("store.errors") == 9
    assert sleeps == [0.2, 0.4, 0.8, 1.6, 3.2, 5.0, 5.0, 5.0, 5.0]


async def test_stopping_ends_a_backoff_at_once():
    retry = StoreRetry(Counters(), RateLimitedLog(logging.getLogger("test")))
    attempts = []

    async def call():
        attempts.append(1)
        raise OSError("down")

    task = asyncio.create_task(retry("write", call))
    while len(attempts) < 5:  # the fifth failure starts a 3.2 s backoff
        await asyncio.sleep(0.05)
    retry.stop()
    with pytest.raises(OSError):
        await asyncio.wait_for(task, 1.0)  # the 3.2 s backoff did not run out


async def test_the_store_coming_back_ends_a_backoff_at_once_from_another_thread():
    """The Cassandra driver reports a node up from its own threads: the call is tried again
    then, not when the backoff runs out, and later backoffs start again from the shortest."""
    retry = StoreRetry(Counters(), RateLimitedLog(logging.getLogger("test")))
    attempts = []
    down = True

    async def call():
        attempts.append(1)
        if down:
            raise OSError("down")
        return "written"

    task = asyncio.create_task(retry("write", call))
    while len(attempts) < 5:  # the fifth failure starts a 3.2 s backoff
        await asyncio.sleep(0.05)
    down = False
    waker = threading.Thread(target=retry.wake)
    waker.start()
    waker.join()
    assert await asyncio.wait_for(task, 1.0) == "written"  # the 3.2 s backoff did not run out
    assert len(attempts) == 6


async def test_store_retry_gives_up_once_stopping():
    counters = Counters()
    retry = StoreRetry(counters, RateLimitedLog(logging.getLogger("test")))
    retry.stopping = True

    async def call():
        raise OSError("down")

    with pytest.raises(OSError):
        await retry("write", call)
    assert counters.get("store.errors") == 1
