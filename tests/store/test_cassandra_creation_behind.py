"""The ingest process's Cassandra store creates series behind (tsstore.store.creation_behind):
new series are answered at once, and every call that needs them in the store waits for
them. A second store on the same keyspace stands for another process (an API node, a
restart). The background writes wait at a gate the test opens (in their retry function,
which is the store's caller's to give), so what a call did not wait for would be seen."""
import asyncio
import time

import numpy as np
import pytest

from tsstore.model import Rollup, SeriesMeta, WriteBatch
from tsstore.store.base import WINDOW_SLOTS
from tsstore.store.cassandra.store import CassandraStore
from tests.helpers.held_log_reads import HeldLogReads
from tests.helpers.write_gate import Gate

pytestmark = pytest.mark.cassandra

STEP = 10
T0 = int(time.time()) // (STEP * WINDOW_SLOTS) * (STEP * WINDOW_SLOTS)


def _metas(n: int, prefix: str) -> list[SeriesMeta]:
    return [SeriesMeta(f"{prefix}.host{i % 7}.s{i:04d}", (Rollup(STEP, 86400),), "average", 0.0) for i in range(n)]


@pytest.fixture
async def stores(cassandra_url):
    """(the ingest process's store, creating behind at a gate; another process's store; the gate)."""
    ingest, other = CassandraStore(cassandra_url + "?shards=4"), CassandraStore(cassandra_url + "?shards=4")
    await ingest.open()
    await other.open()
    gate = Gate()
    ingest.create_behind(gate)
    yield ingest, other, gate
    gate.opened.set()
    await ingest.close()
    await other.close()


async def test_new_series_are_answered_at_once_and_reach_the_store(stores):
    ingest, other, gate = stores
    metas = _metas(200, "ahead")
    names = [m.name for m in metas]
    told = []
    ingest.on_created(told.extend)
    keys = await ingest.create_series(metas)  # the gate is shut: answered without the store
    assert await other.get_series(names) == {}
    assert list(keys) == list(await other.series_keys(names))  # the key every process computes
    assert told == names  # this process's indexes have them
    assert (await ingest.get_series(names)) == {m.name: m for m in metas}
    await gate.open_while(ingest.creations_settled())
    assert set(await other.get_series(names)) == set(names)
    assert await ingest.find("ahead.host3.*")  # the tree rows too


async def test_a_write_waits_until_the_store_has_its_series(stores):
    ingest, other, gate = stores
    metas = _metas(300, "written")
    names = [m.name for m in metas]
    keys = await ingest.create_series(metas)
    starts = np.arange(len(names) + 1, dtype=np.int64)
    values = np.arange(len(names), dtype=np.float64).reshape(-1, 1)
    batch = WriteBatch(0, keys, np.full(len(names), STEP), np.full(len(names), 86400), starts,
                       np.full(len(names), T0, np.int64), values, lambda g: names[g])
    await gate.open_while(ingest.write_batch(batch))
    # the moment the points are in, so are their series: the WAL may be trimmed now
    assert set(await other.get_series(names)) == set(names)
    got = await other.read_many(names, {n: (0, STEP) for n in names}, T0, T0 + STEP)
    assert [float(got[n].values[0][0]) for n in names] == values[:, 0].tolist()


async def test_a_deletion_waits_so_the_series_does_not_come_back(stores):
    ingest, other, gate = stores
    metas = _metas(20, "deleted")
    names = [m.name for m in metas]
    await ingest.create_series(metas)
    assert await gate.open_while(ingest.delete_series(names[:5], "test")) == 5
    assert set(await other.get_series(names)) == set(names[5:])
    assert set(await ingest.get_series(names)) == set(names[5:])


async def test_closing_writes_what_is_pending(cassandra_url):
    ingest, other = CassandraStore(cassandra_url + "?shards=4"), CassandraStore(cassandra_url + "?shards=4")
    await ingest.open()
    await other.open()
    try:
        gate = Gate()
        ingest.create_behind(gate)
        metas = _metas(50, "closed")
        await ingest.create_series(metas)
        await gate.open_while(ingest.close())
        assert set(await other.get_series([m.name for m in metas])) == {m.name for m in metas}
    finally:
        await other.close()


async def test_a_series_still_being_created_is_not_read_from_the_store(stores):
    """Its points are all in the ingest process's memory until then; what another writer
    wrote of it at the same moment shows once the creation is in."""
    ingest, other, gate = stores
    metas = _metas(3, "racing")
    names = [m.name for m in metas]
    keys = await other.create_series(metas)  # the other writer was first
    starts = np.arange(len(names) + 1, dtype=np.int64)
    await other.write_batch(WriteBatch(0, keys, np.full(len(names), STEP), np.full(len(names), 86400), starts,
                                       np.full(len(names), T0, np.int64), np.ones((len(names), 1)), lambda g: names[g]))
    await ingest.create_series(metas)  # this process did not see it yet (its get_series raced)
    level_of = {n: (0, STEP) for n in names}
    assert all(len(s) == 0 for s in (await ingest.read_many(names, level_of, T0, T0 + STEP)).values())
    await gate.open_while(ingest.creations_settled())
    assert all(len(s) == 1 for s in (await ingest.read_many(names, level_of, T0, T0 + STEP)).values())


async def test_another_http_process_finds_and_reads_series_before_the_store_has_them(stores, tmp_path):
    """An --http-workers child (the other store, with its own path index) learns of the ingest
    process's pending series over the memory channel: its finds list them and its renders get
    their metadata, while the store still lacks them."""
    from tsstore.index.paths import StoreTreeIndex
    from tsstore.memory_channel import MemoryChannelClient, MemoryChannelServer
    from tsstore.store.with_memory import StoreWithMemory

    ingest, other, gate = stores
    held = {}

    def recent_slots(names, level_of, start, end):
        return {n: held[n] for n in names if n in held}

    server = await MemoryChannelServer(recent_slots, tmp_path, ingest.pending_series).start()
    client = MemoryChannelClient(tmp_path)
    tree = StoreTreeIndex(other)
    tree.also_pending(client.pending_names)
    child = StoreWithMemory(other, client, tree, ingest_metas=client.ingest_metas)
    try:
        await tree.build()
        metas = _metas(30, "pendingwide")
        names = [m.name for m in metas]
        await ingest.create_series(metas)  # the gate is shut: pending in the ingest process only
        assert await other.get_series(names) == {}
        assert await child.find(names[0])  # an exact name (a single-series panel) waits for a catch-up
        # a glob is answered at once, caught up beside (this one after the exact name's catch-up)
        assert {n.path for n in await child.find("pendingwide.host3.*")} == {n for n in names if ".host3." in n}
        assert await child.get_series(names) == {m.name: m for m in metas}
        await gate.open_while(ingest.creations_settled())
        assert set(await child.get_series(names)) == set(names)  # from the store now
        assert len(await child.find("pendingwide.*.*")) == len(names)
    finally:
        await server.stop()


async def test_another_http_process_finds_a_new_series_while_its_store_reads_wait(stores, tmp_path, monkeypatch):
    """A child's find for an exact path it lacks waits for a catch-up with Cassandra's logs,
    which may wait behind a flush's writes. Meanwhile it asks the ingest process, so a series
    created there (the first point of a new series, just sent) is found before those reads end."""
    from tsstore.index.paths import StoreTreeIndex
    from tsstore.memory_channel import MemoryChannelClient, MemoryChannelServer

    ingest, other, gate = stores
    server = await MemoryChannelServer(lambda *args: {}, tmp_path, ingest.pending_series).start()
    client = MemoryChannelClient(tmp_path)
    tree = StoreTreeIndex(other)
    tree.also_pending(client.pending_names)
    try:
        await tree.build()
        held = HeldLogReads(other, monkeypatch)
        (meta,) = _metas(1, f"justsent{time.time_ns()}")
        finding = asyncio.ensure_future(tree.find(meta.name))
        await asyncio.sleep(0.2)
        assert not finding.done()
        await ingest.create_series([meta])  # the gate is shut: pending in the ingest process only
        nodes = await asyncio.wait_for(finding, 10)
        assert [n.path for n in nodes] == [meta.name] and not held.release.is_set()
        held.release.set()
    finally:
        await server.stop()


async def test_another_http_process_answers_tag_queries_with_pending_tagged_series(stores, tmp_path):
    """A child's tag index learns of the ingest process's pending tagged series over the
    memory channel (its path index of the untagged ones), so seriesByTag lists a new tagged
    series before Cassandra has it."""
    from tsstore.index.paths import StoreTreeIndex
    from tsstore.index.tag_index import StoreTagIndex
    from tsstore.memory_channel import MemoryChannelClient, MemoryChannelServer

    ingest, other, gate = stores
    server = await MemoryChannelServer(lambda *args: {}, tmp_path, ingest.pending_series).start()
    client = MemoryChannelClient(tmp_path)
    tags, tree = StoreTagIndex(other), StoreTreeIndex(other)
    tags.also_pending(client.pending_tagged_names)
    tree.also_pending(client.pending_names)
    try:
        await tags.build()
        await tree.build()
        dc = f"dc{time.time_ns()}"
        metas = [SeriesMeta(f"net.if;dc={dc};host=h{i}", (Rollup(STEP, 86400),), "average", 0.0) for i in range(3)]
        plain = _metas(2, f"untagged{time.time_ns()}")
        await ingest.create_series(metas + plain)  # the gate is shut: pending in the ingest process only
        assert await other.get_series([m.name for m in metas]) == {}
        await tags.caught_up_now()
        await tree.caught_up_now()
        assert await tags.answer("find", [f"dc={dc}"]) == sorted(m.name for m in metas)
        assert await tags.answer("tag_values", "host", [f"dc={dc}"]) == {"h0": 1, "h1": 1, "h2": 1}
        assert [n.path for n in await tree.find(f"{plain[0].name.split('.')[0]}.*.*")] == sorted(m.name for m in plain)
        assert await tree.find("net*") == []  # a tagged name is not a path
        await gate.open_while(ingest.creations_settled())
        await tags.caught_up_now()  # from Cassandra's tag log now: the same answer
        assert await tags.answer("find", [f"dc={dc}"]) == sorted(m.name for m in metas)
    finally:
        await server.stop()
