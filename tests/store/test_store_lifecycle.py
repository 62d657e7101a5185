"""The lifecycle part of the store contract, on the embedded store and a real Cassandra: last
writes recorded per series, whole-series deletion (points of every level, tree, tags, last
write) with its log, and the path index of another process following a deletion."""
import json
import time

import numpy as np
import pytest

from tsstore.index.paths import StoreTreeIndex
from tsstore.model import Rollup, SeriesMeta, Slots, WriteRequest
from tsstore.store import segment_groups
from tests.store.test_store_contract import make_store, store  # noqa: F401  (fixtures)

STEP = 10
NOW = int(time.time()) // 600 * 600
ROLLUPS = (Rollup(STEP, 8640), Rollup(600, 1000))
NAMES = ["dc1.web01.cpu.user", "dc1.web01.cpu.system", "dc1.web02.cpu.user", "dc2.db01.load"]
TAGGED = "disk.used;dc=dc1;host=web01"
REQUEST = json.dumps({"action": "delete", "via": "test"})


def finest(ts, values) -> Slots:
    return Slots(np.asarray(ts, np.int64), np.asarray(values, np.float64).reshape(-1, 1))


def coarse(ts, value) -> Slots:
    return Slots(np.asarray([ts], np.int64), np.array([[value, 1, value, value, value]], np.float64))


async def filled(store, names=NAMES):
    await store.create_series([SeriesMeta(n, ROLLUPS) for n in names])
    ts = NOW - 3600 + np.arange(60) * STEP
    requests = [WriteRequest(n, 0, STEP, finest(ts + i, np.arange(60) + i), 86400) for i, n in enumerate(names)]
    requests += [WriteRequest(n, 1, 600, coarse(NOW - 3600, 7.0 + i), 600_000) for i, n in enumerate(names)]
    await store.write(requests)
    return ts


async def test_the_last_write_is_the_newest_finest_slot(store):
    ts = await filled(store)
    lasts = await store.last_writes(NAMES + ["never.created"])
    assert lasts == {n: int(ts[-1] + i) for i, n in enumerate(NAMES)}
    # a backfill of older slots leaves it; a newer slot from a later process moves it (a
    # new store object is a restart: it records every series again on its first write)
    await store.write([WriteRequest(NAMES[0], 0, STEP, finest([NOW - 7200], [1.0]), 86400)])
    assert (await store.last_writes([NAMES[0]]))[NAMES[0]] == int(ts[-1])


async def test_a_later_process_records_backfills_without_going_back(make_store):
    first = make_store()
    await first.open()
    ts = await filled(first)
    await first.close()
    again = make_store()
    await again.open()
    try:
        await again.write([WriteRequest(NAMES[0], 0, STEP, finest([NOW - 7200], [1.0]), 86400)])
        assert (await again.last_writes([NAMES[0]]))[NAMES[0]] == int(ts[-1])
        await again.write([WriteRequest(NAMES[0], 0, STEP, finest([NOW + 60], [1.0]), 86400)])
        assert (await again.last_writes([NAMES[0]]))[NAMES[0]] == NOW + 60
    finally:
        await again.close()


async def test_deleting_removes_points_tree_tags_and_last_write(store):
    await filled(store, NAMES + [TAGGED])
    deleted = await store.delete_series(["dc1.web01.cpu.user", "dc1.web01.cpu.system", TAGGED, "no.such.series"], REQUEST)
    assert deleted == 3
    gone = ["dc1.web01.cpu.user", "dc1.web01.cpu.system", TAGGED]
    assert await store.get_series(gone) == {}
    assert await store.last_writes(gone) == {}
    for name in gone:
        assert len(await store.read(name, 0, STEP, NOW - 7200, NOW)) == 0
        assert len(await store.read(name, 1, 600, NOW - 7200, NOW)) == 0
    # web01 held only the deleted series: it goes, and dc1 keeps web02
    assert [n.path for n in await store.children("dc1")] == ["dc1.web02"]
    assert [n.path for n in await store.find("*")] == ["dc1", "dc2"]
    assert await store.series_with_tag("dc", "dc1") == []
    assert "host" not in await store.tag_names()
    # the others are whole
    kept = await store.read("dc1.web02.cpu.user", 0, STEP, NOW - 7200, NOW)
    assert len(kept) == 60 and kept.values[0, 0] == 2.0
    assert len(await store.read("dc2.db01.load", 1, 600, NOW - 7200, NOW)) == 1


async def test_a_subtree_deleted_whole_leaves_no_branch(store):
    await filled(store)
    assert await store.delete_series(["dc2.db01.load"], REQUEST) == 1
    assert [n.path for n in await store.find("*")] == ["dc1"]
    assert await store.find("dc2.*") == []


async def test_a_path_both_leaf_and_branch_keeps_its_branch(store):
    names = ["app.requests", "app.requests.errors"]
    await filled(store, names)
    await store.delete_series(["app.requests"], REQUEST)
    nodes = await store.find("app.*")
    assert [(n.path, n.is_leaf, n.is_branch) for n in nodes] == [("app.requests", False, True)]
    assert [n.path for n in await store.find("app.requests.*")] == ["app.requests.errors"]


async def test_a_deleted_series_created_again_starts_empty(store):
    await filled(store)
    await store.delete_series(["dc1.web01.cpu.user"], REQUEST)
    await store.create_series([SeriesMeta("dc1.web01.cpu.user", ROLLUPS)])
    await store.write([WriteRequest("dc1.web01.cpu.user", 0, STEP, finest([NOW], [42.0]), 86400)])
    got = await store.read("dc1.web01.cpu.user", 0, STEP, NOW - 7200, NOW + 10)
    assert got.ts.tolist() == [NOW] and got.values[:, 0].tolist() == [42.0]
    assert "dc1.web01" in [n.path for n in await store.find("dc1.*")]


async def test_every_deletion_is_logged_with_its_request(store):
    await filled(store)
    before = await store.deletion_cursor()
    t0 = time.time() - 1
    await store.delete_series(["dc2.db01.load", "dc1.web02.cpu.user"], REQUEST)
    rows, _ = await store.deletions_after(before, 100)
    assert sorted(name for _, name, _ in rows) == ["dc1.web02.cpu.user", "dc2.db01.load"]
    assert {request for _, _, request in rows} == {REQUEST}
    listed = await store.deletions_since(t0, 100)
    assert sorted(name for _, name, _ in listed) == ["dc1.web02.cpu.user", "dc2.db01.load"]
    assert all(t0 <= at <= time.time() + 1 for at, _, _ in listed)
    assert await store.deletions_since(time.time() + 60, 100) == []


async def test_the_path_index_of_another_process_follows_a_deletion(make_store):
    writer, reader = make_store(), make_store()
    await writer.open()
    await reader.open()
    try:
        await filled(writer)
        index = StoreTreeIndex(reader)
        await index.build()
        assert [n.path for n in await index.find("dc1.*")] == ["dc1.web01", "dc1.web02"]
        await writer.delete_series(["dc1.web01.cpu.user", "dc1.web01.cpu.system"], REQUEST)
        await index.catch_up(now=True)
        assert [n.path for n in await index.find("dc1.*")] == ["dc1.web02"]
        assert [n.path for n in await index.find("*.*.cpu.*")] == ["dc1.web02.cpu.user"]
        assert index.index.count_series("dc1") == [("dc1", 1)]
        # created again: listed again
        await writer.create_series([SeriesMeta("dc1.web01.cpu.user", ROLLUPS)])
        await index.catch_up(now=True)
        assert [n.path for n in await index.find("dc1.web01.*.*")] == ["dc1.web01.cpu.user"]
    finally:
        await writer.close()
        await reader.close()


async def test_embedded_deletion_keeps_the_neighbours_in_a_group_row(tmp_path):
    from tsstore.store.embedded import EmbeddedStore

    store = EmbeddedStore(tmp_path)
    await store.open()
    try:
        names = [f"group.s{i:03d}" for i in range(20)]
        await filled(store, names)
        keys = await store.series_keys(names)
        assert len(set(segment_groups.group_of(keys).tolist())) == 1  # all in one group row
        await store.delete_series(names[::2], REQUEST)
        for i, name in enumerate(names):
            got = await store.read(name, 0, STEP, NOW - 7200, NOW)
            assert len(got) == (0 if i % 2 == 0 else 60), name
    finally:
        await store.close()
