"""The ingest process's Cassandra writes in a process of their own
(tsstore.store.cassandra.writer_process): series and points written through the child are
what another process reads back; a child killed mid-life is replaced and nothing is lost; a
deletion's pruned branches are written again when a series comes back under them; closing
ends the child. A second store on the same keyspace stands for another process."""
import asyncio
import os
import signal
import time

import numpy as np
import pytest

from tsstore.model import Rollup, SeriesMeta, WriteBatch
from tsstore.store.base import WINDOW_SLOTS
from tsstore.store.cassandra.store import CassandraStore
from tsstore.store.cassandra.writer_process import batch_message, batch_of, metas_message, metas_of
from tsstore.store.errors import StoreUnavailable

STEP = 10
T0 = int(time.time()) // (STEP * WINDOW_SLOTS) * (STEP * WINDOW_SLOTS)


def _metas(n: int, prefix: str) -> list[SeriesMeta]:
    return [SeriesMeta(f"{prefix}.host{i % 7}.s{i:04d}", (Rollup(STEP, 86400), Rollup(60, 10080)), "sum", 0.25)
            for i in range(n)]


def _batch(keys, names: list[str], slots: int, offset: float = 0.0) -> WriteBatch:
    """`slots` finest slots per series from T0, value = series * 1000 + slot + offset."""
    n = len(names)
    ts = np.tile(T0 + STEP * np.arange(slots, dtype=np.int64), n)
    values = (np.repeat(np.arange(n) * 1000.0, slots) + np.tile(np.arange(slots), n) + offset).reshape(-1, 1)
    return WriteBatch(0, np.asarray(keys, np.int64), np.full(n, STEP), np.full(n, 86400),
                      np.arange(n + 1, dtype=np.int64) * slots, ts, values, lambda g: names[g])


def test_a_batch_and_metas_cross_as_they_were():
    names = ["a.b", "c.d;tag=x", "é.ü"]
    batch = _batch([11, 22, 33], names, 4)
    back = batch_of(batch_message(batch))
    for field in ("level", "keys", "steps", "retentions", "starts", "ts", "values"):
        assert np.array_equal(getattr(back, field), getattr(batch, field)), field
    assert [back.name_of(g) for g in range(3)] == names
    metas = _metas(3, "m")
    assert metas_of(metas_message(metas)) == metas


@pytest.fixture
async def stores(cassandra_url):
    """(the ingest process's store, writing through its child; another process's store)."""
    ingest, other = CassandraStore(cassandra_url + "?shards=4"), CassandraStore(cassandra_url + "?shards=4")
    await ingest.open()
    await other.open()
    ingest.set_writer(77)
    ingest.write_in_child(77)
    yield ingest, other
    await ingest.close()
    await other.close()


async def _created(store, n: int, prefix: str) -> tuple[list[SeriesMeta], list[str], np.ndarray]:
    metas = _metas(n, prefix)
    return metas, [m.name for m in metas], await store.create_series(metas)


async def _read_back(store, names: list[str], slots: int) -> dict[str, list[float]]:
    got = await store.read_many(names, {n: (0, STEP) for n in names}, T0, T0 + slots * STEP)
    return {n: got[n].values[:, 0].tolist() for n in names}


@pytest.mark.cassandra
async def test_series_and_points_written_by_the_child_are_what_another_process_reads(stores):
    ingest, other = stores
    metas, names, keys = await _created(ingest, 120, "child")
    await ingest.write_batch(_batch(keys, names, 5))
    child = ingest._writer_process.pid
    assert child is not None and child != os.getpid()
    assert await other.get_series(names) == {m.name: m for m in metas}
    assert await _read_back(other, names, 5) == {n: [i * 1000.0 + s for s in range(5)] for i, n in enumerate(names)}
    assert sorted(n.path for n in await other.find("child.host3.*")) == sorted(n for n in names if ".host3." in n)


@pytest.mark.cassandra
async def test_a_killed_child_is_replaced_and_its_write_can_be_tried_again(stores):
    ingest, other = stores
    _, names, keys = await _created(ingest, 30, "killed")
    first = ingest._writer_process.pid
    os.kill(first, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while True:  # as the ingest's StoreRetry: a write in flight when it died fails, the next starts a new child
        try:
            await ingest.write_batch(_batch(keys, names, 3, offset=0.5))
            break
        except StoreUnavailable as exc:
            assert "writer process" in str(exc)
            assert time.monotonic() < deadline, "no new writer process within 30 s"
            await asyncio.sleep(0.2)
    assert ingest._writer_process.pid not in (None, first)
    assert await _read_back(other, names, 3) == {n: [i * 1000.0 + s + 0.5 for s in range(3)] for i, n in enumerate(names)}


@pytest.mark.cassandra
async def test_a_series_created_again_after_a_deletion_pruned_its_branch_is_found(stores):
    """The child skips branch rows it wrote before; a deletion that pruned one tells it to
    forget them, or the series created again would be a leaf under no branch."""
    ingest, other = stores
    meta = SeriesMeta("pruned.only.leaf", (Rollup(STEP, 86400),), "average", 0.5)
    await ingest.create_series([meta])
    await ingest.creations_settled()
    assert await ingest.delete_series([meta.name], "test") == 1
    assert await other.find("pruned.*") == []
    await ingest.create_series([meta])
    await ingest.creations_settled()
    assert [n.path for n in await other.find("pruned.only.*")] == ["pruned.only.leaf"]


@pytest.mark.cassandra
async def test_closing_the_store_ends_its_writer_process(cassandra_url):
    store = CassandraStore(cassandra_url + "?shards=4")
    await store.open()
    store.write_in_child(5)
    metas = _metas(3, "closing")
    await store.create_series(metas)
    pid = store._writer_process.pid
    await store.close()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


@pytest.mark.cassandra
async def test_a_write_from_another_event_loop_is_answered(stores):
    """An HTTP request's work runs on a loop of its own in another thread (tsstore.api.offload):
    a deletion there flushes through the child, whose socket belongs to the main loop."""
    ingest, other = stores
    _, names, keys = await _created(ingest, 10, "offloaded")
    await ingest.creations_settled()

    def on_its_own_loop():
        return asyncio.run(asyncio.wait_for(ingest.write_batch(_batch(keys, names, 2, offset=0.25)), 30))

    await asyncio.get_running_loop().run_in_executor(None, on_its_own_loop)
    assert await _read_back(other, names, 2) == {n: [i * 1000.0 + s + 0.25 for s in range(2)] for i, n in enumerate(names)}
