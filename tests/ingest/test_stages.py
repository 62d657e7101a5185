"""Pipeline stages on their own: the live queue's fall-back to the WAL and the store retry."""
import logging

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

    async def no_sleep(delay):
        sleeps.append(delay)

    monkeypatch.setattr(store_retry.asyncio, "sleep", no_sleep)
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
    assert sleeps == [0.2, 0.4, 0.8, 1.6, 3.2, 6.4, 12.8, 25.6, 30.0]


async def test_store_retry_gives_up_once_stopping():
    counters = Counters()
    retry = StoreRetry(counters, RateLimitedLog(logging.getLogger("test")))
    retry.stopping = True

    async def call():
        raise OSError("down")

    with pytest.raises(OSError):
        await retry("write", call)
    assert counters.get("store.errors") == 1
