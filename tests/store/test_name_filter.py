"""The ingesting process's filter of the names its store holds (tsstore.store.name_filter): a
burst of new series is answered "not there" without a query, and nothing held is ever missed
(the names held at the start, those created since, whatever created them; on Cassandra, also
those another process created, once its series_log is read)."""
import asyncio
import time

import pytest

from tsstore.model import Rollup, SeriesMeta
from tsstore.store import name_filter
from tsstore.store.cassandra import store as cassandra_store
from tsstore.store.cassandra.store import CassandraStore
from tsstore.store.embedded import EmbeddedStore
from tsstore.store.name_filter import NameFilter


def _metas(names):
    return [SeriesMeta(n, (Rollup(10, 8640),), "average", 0.5) for n in names]


def test_a_filter_holds_what_was_added_and_answers_only_once_loaded(monkeypatch):
    monkeypatch.setattr(name_filter, "MAX_RUNS", 2)  # runs merged too
    f = NameFilter()
    f.add([f"a.b{i}" for i in range(100)])
    asked = ["a.b5", "a.b99", "a.b100", "x.y"]
    assert f.may_hold(asked).tolist() == [True] * 4  # not loaded: everything may be there
    f.loaded()
    assert f.may_hold(asked).tolist() == [True, True, False, False]
    for k in range(5):
        f.add([f"c.d{k}"])
    assert f.may_hold(["c.d0", "c.d4", "c.d5", "a.b0"]).tolist() == [True, True, False, True]
    assert f.nbytes == 105 * 8


def test_new_names_one_at_a_time_leave_the_run_of_the_names_held_alone():
    """Merging every run into one every few adds copied the whole filter each time (200 ms at
    200k names with np.unique): one new series after another, every few of them held a poll
    up that long."""
    f = NameFilter()
    f.add([f"old{i}" for i in range(10000)])
    first = f._runs[0]
    for i in range(1000):
        f.add([f"new{i}"])
    assert f._runs[0] is first and len(f._runs) <= name_filter.MAX_RUNS
    f.loaded()
    assert f.may_hold(["old5", "new0", "new999", "new1000"]).tolist() == [True, True, True, False]
    f.add([f"x{i}" for i in range(20000)] + ["old5"])  # more than were held: one run, each name once
    assert len(f._runs) == 1 and f.nbytes == 31000 * 8


async def test_the_writing_process_finds_every_series_the_store_holds_and_asks_nothing_for_new_ones(tmp_path):
    earlier = EmbeddedStore(tmp_path)  # a process before this one created some
    await earlier.open()
    await earlier.create_series(_metas([f"old.s{i}" for i in range(1000)]))
    await earlier.close()
    store = EmbeddedStore(tmp_path)
    await store.open()
    try:
        store.know_every_name()
        await store._names_load
        assert store._names.complete
        await store.create_series(_metas(["new.created"]))
        asked = ["old.s0", "old.s999", "new.created", "never.sent"]
        assert store.names_maybe_held(asked).tolist() == [True, True, True, False]
        got = await store.get_series(asked)
        assert set(got) == {"old.s0", "old.s999", "new.created"}
        assert got["old.s0"] == _metas(["old.s0"])[0]
        assert not store.names_maybe_held([f"brand.new{i}" for i in range(5000)]).any()
    finally:
        await store.close()


async def _until_complete(store, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while store.names_maybe_held(["x"]) is None:
        assert time.monotonic() < deadline, "the filter never finished reading the series table"
        await asyncio.sleep(0.05)


@pytest.mark.cassandra
async def test_the_cassandra_ingest_knows_the_names_held_and_learns_what_another_process_creates(cassandra_url, monkeypatch):
    monkeypatch.setattr(cassandra_store, "NAMES_SCAN_ROWS", 100)  # the table is read in several chunks
    other = CassandraStore(cassandra_url)  # another node's process
    await other.open()
    await other.create_series(_metas([f"old.s{i}" for i in range(1000)]))
    store = CassandraStore(cassandra_url)
    await store.open()
    try:
        assert store.names_maybe_held(["old.s0"]) is None  # no filter asked for: every name is looked up
        store.know_every_name()
        await _until_complete(store)
        await store.create_series(_metas(["new.created"]))
        asked = ["old.s0", "old.s999", "new.created", "never.sent", "tagged;dc=x"]
        # a tagged name is always looked up: its log is not followed
        assert store.names_maybe_held(asked).tolist() == [True, True, True, False, True]
        assert not store.names_maybe_held([f"brand.new{i}" for i in range(5000)]).any()
        await other.create_series(_metas(["made.elsewhere"]))
        deadline = time.monotonic() + 10 * cassandra_store.NAMES_FOLLOW_SECONDS + cassandra_store.LOG_OVERLAP_S
        while not store.names_maybe_held(["made.elsewhere"])[0]:
            assert time.monotonic() < deadline, "a series another process created never reached the filter"
            await asyncio.sleep(0.1)
    finally:
        await store.close()
        await other.close()
