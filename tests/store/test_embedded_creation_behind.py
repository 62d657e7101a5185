"""The ingest process's embedded store creates series behind (tsstore.store.creation_behind):
it gives the ids itself (it holds the data directory), answers new series at once, and every
call that needs them in SQLite waits for them. A second store on the same file stands for an
--http-workers child. The background writes wait at a gate the test opens (in their retry
function, the store's caller's to give), so what a call did not wait for would be seen."""
import random
import time

import numpy as np
import pytest

from tsstore.model import Rollup, SeriesMeta, WriteBatch
from tsstore.store.base import WINDOW_SLOTS
from tsstore.store.embedded import EmbeddedStore
from tests.helpers.write_gate import Gate

STEP = 10
T0 = int(time.time()) // (STEP * WINDOW_SLOTS) * (STEP * WINDOW_SLOTS)


def _metas(n: int, prefix: str) -> list[SeriesMeta]:
    return [SeriesMeta(f"{prefix}.host{i % 7}.s{i:04d}", (Rollup(STEP, 86400),), "average", 0.0) for i in range(n)]


@pytest.fixture
async def stores(tmp_path):
    """(the ingest process's store, creating behind at a gate; another process's store; the gate)."""
    ingest, other = EmbeddedStore(tmp_path), EmbeddedStore(tmp_path)
    await ingest.open()
    await other.open()
    ingest.know_every_name()
    gate = Gate()
    ingest.create_behind(gate)
    yield ingest, other, gate
    gate.opened.set()
    await ingest.close()
    await other.close()


def _batch(keys, names, values) -> WriteBatch:
    starts = np.arange(len(names) + 1, dtype=np.int64)
    return WriteBatch(0, np.asarray(keys, np.int64), np.full(len(names), STEP), np.full(len(names), 86400), starts,
                      np.full(len(names), T0, np.int64), np.asarray(values, np.float64).reshape(-1, 1),
                      lambda g: names[g])


async def test_new_series_are_answered_at_once_and_reach_the_store_under_their_keys(stores):
    ingest, other, gate = stores
    metas = _metas(200, "ahead")
    random.Random(3).shuffle(metas)
    names = [m.name for m in metas]
    told = []
    ingest.on_created(told.extend)
    keys = await ingest.create_series(metas)  # the gate is shut: answered without SQLite
    assert await other.get_series(names) == {}
    assert sorted(told) == sorted(names)  # this process's indexes have them
    assert await ingest.get_series(names) == {m.name: m for m in metas}
    assert list(await ingest.series_keys(names)) == list(keys)
    # ids in name order (neighbouring series share group rows), past every id the store had
    assert [n for _, n in sorted(zip(keys.tolist(), names))] == sorted(names)
    await gate.open_while(ingest.creations_settled())
    assert await other.get_series(names) == {m.name: m for m in metas}
    assert list(await other.series_keys(names)) == list(keys)  # the keys given are the rows'


async def test_a_write_waits_until_the_store_has_its_series(stores):
    ingest, other, gate = stores
    metas = _metas(300, "written")
    names = [m.name for m in metas]
    keys = await ingest.create_series(metas)
    values = np.arange(len(names), dtype=np.float64)
    await gate.open_while(ingest.write_batch(_batch(keys, names, values)))
    # the moment the points are in, so are their series: the WAL may be trimmed now
    assert set(await other.get_series(names)) == set(names)
    got = await other.read_many(names, {n: (0, STEP) for n in names}, T0, T0 + STEP)
    assert [float(got[n].values[0][0]) for n in names] == values.tolist()


async def test_a_deletion_waits_so_the_series_does_not_come_back(stores):
    ingest, other, gate = stores
    metas = _metas(20, "deleted")
    names = [m.name for m in metas]
    await ingest.create_series(metas)
    assert await gate.open_while(ingest.delete_series(names[:5], "test")) == 5
    assert set(await other.get_series(names)) == set(names[5:])
    assert set(await ingest.get_series(names)) == set(names[5:])
    # created anew after the deletion: a new id, not the deleted one's
    again = await ingest.create_series(metas[:1])
    await ingest.creations_settled()
    assert list(await other.series_keys(names[:1])) == list(again)


async def test_a_name_pending_or_held_keeps_its_key(stores):
    """The ingest asks only for new names; a rename's target or an import may name a series
    pending or already in the store: it keeps the key it has."""
    ingest, other, gate = stores
    held = _metas(3, "held")
    held_keys = await ingest.create_series(held)
    await gate.open_while(ingest.creations_settled())  # in SQLite, no longer pending
    gate.opened.clear()
    pending = _metas(3, "pending")
    pending_keys = await ingest.create_series(pending)
    fresh = _metas(2, "fresh")
    keys = await ingest.create_series([*held, *pending, *fresh])
    assert list(keys[:6]) == [*held_keys, *pending_keys]
    assert len(set(keys.tolist())) == 8
    await gate.open_while(ingest.creations_settled())
    names = [m.name for m in [*held, *pending, *fresh]]
    assert list(await other.series_keys(names)) == list(keys)


async def test_closing_writes_what_is_pending(tmp_path):
    ingest, other = EmbeddedStore(tmp_path), EmbeddedStore(tmp_path)
    await ingest.open()
    await other.open()
    try:
        gate = Gate()
        ingest.create_behind(gate)
        metas = _metas(50, "closed")
        keys = await ingest.create_series(metas)
        await gate.open_while(ingest.close())
        names = [m.name for m in metas]
        assert list(await other.series_keys(names)) == list(keys)
    finally:
        await other.close()


async def test_the_next_process_gives_ids_past_the_written_ones(tmp_path):
    first = EmbeddedStore(tmp_path)
    await first.open()
    first.create_behind(lambda what, call: call())
    keys = await first.create_series(_metas(10, "first"))
    await first.close()
    second = EmbeddedStore(tmp_path)
    await second.open()
    try:
        second.create_behind(lambda what, call: call())
        more = await second.create_series(_metas(10, "second"))
        assert more.min() > keys.max()
        await second.creations_settled()
        names = [m.name for m in _metas(10, "first") + _metas(10, "second")]
        assert list(await second.series_keys(names)) == [*keys, *more]
    finally:
        await second.close()


async def test_another_http_process_finds_and_reads_series_before_the_store_has_them(stores, tmp_path):
    """An --http-workers child (the other store, with its own path and tag indexes) learns of
    the ingest process's pending series over the memory channel: its finds and tag queries
    list them and its renders get their metadata, while SQLite still lacks them."""
    from tsstore.index.paths import StoreTreeIndex
    from tsstore.index.tag_index import StoreTagIndex
    from tsstore.memory_channel import MemoryChannelClient, MemoryChannelServer
    from tsstore.store.with_memory import StoreWithMemory

    ingest, other, gate = stores
    server = await MemoryChannelServer(lambda *args: {}, tmp_path, ingest.pending_series).start()
    client = MemoryChannelClient(tmp_path)
    tree, tags = StoreTreeIndex(other), StoreTagIndex(other)
    tree.also_pending(client.pending_names)
    tags.also_pending(client.pending_tagged_names)
    child = StoreWithMemory(other, client, tree, tags, ingest_metas=client.ingest_metas)
    try:
        await tree.build()
        await tags.build()
        metas = _metas(30, "pendingwide")
        tagged = SeriesMeta("disk.used;host=web1;dc=ams", (Rollup(STEP, 86400),), "average", 0.0)
        names = [m.name for m in metas]
        await ingest.create_series([*metas, tagged])  # the gate is shut: pending in the ingest process only
        assert await other.get_series(names) == {}
        assert [n.path for n in await child.find(names[0])] == [names[0]]
        assert {n.path for n in await child.find("pendingwide.host3.*")} == {n for n in names if ".host3." in n}
        assert await child.get_series(names) == {m.name: m for m in metas}
        assert await tags.answer("find", ["host=web1"]) == [tagged.name]
        await gate.open_while(ingest.creations_settled())
        assert set(await child.get_series(names)) == set(names)  # from SQLite now
        assert len(await child.find("pendingwide.*.*")) == len(names)
        assert await tags.answer("find", ["host=web1"]) == [tagged.name]  # from SQLite's tag log now
    finally:
        await server.stop()


async def test_names_that_need_quoting_are_written_behind_byte_for_byte(stores):
    """The rows written behind carry each name exactly (quotes, backslashes, JSON's escapes, a
    NUL, non-ASCII, tags), under the key answered at once."""
    ingest, other, gate = stores
    names = ['odd."quoted"', "odd.back\\slash", "odd.tab\there", "odd.caf\u00e9", "odd.slash/and\\u0041",
             "odd.plain", "odd.emoji\U0001f600", "odd.b}]", "odd.nul\x00end", "odd.tagged;dc=eu"]
    keys = await ingest.create_series([SeriesMeta(n, (Rollup(STEP, 86400),), "average", 0.0) for n in names])
    await gate.open_while(ingest.creations_settled())
    assert list(await other.series_keys(names)) == list(keys)
    assert set(await other.get_series(names)) == set(names)
    assert await other.series_with_tag("dc", "eu") == ["odd.tagged;dc=eu"]
