"""The path index over a real embedded store: built from the store's names, caught up with
what the store creates afterwards (another process's creations included), tagged series left
to the tag index, and finds answered by the store's own walk until the index is ready."""
import asyncio
import logging
import time

import pytest

from tsstore.index.paths import StoreTreeIndex
from tsstore.model import Rollup, SeriesMeta
from tsstore.store.base import Store
from tsstore.store.embedded import EmbeddedStore
from tsstore.store.with_memory import StoreWithMemory, nothing_held
from tests.helpers.held_log_reads import HeldLogReads

SERIES = [f"servers.web{i:02d}.cpu.{m}" for i in range(30) for m in ("user", "system")] + ["disk.used;dc=dc1"]


def metas(names):
    return [SeriesMeta(n, (Rollup(60, 100),)) for n in names]


async def test_built_from_the_store_and_caught_up_on_each_find(store, tmp_path, monkeypatch, caplog):
    monkeypatch.setattr("tsstore.index.paths.CHUNK_NAMES", 7)  # the build and catch-up in many chunks
    tree = StoreTreeIndex.for_store(store)
    served = StoreWithMemory(store, nothing_held, tree)
    assert not tree.ready
    assert await served.find("servers.web0[12].cpu.user") == await store.find("servers.web0[12].cpu.user")  # the store's walk
    with caplog.at_level(logging.INFO, logger="tsstore.index.paths"):
        await tree.build()
    assert tree.ready and "path index ready: 61 names" in caplog.text
    for pattern in ("*", "servers.*", "servers.*.cpu.user", "*.web1?.*.system", "disk*", "**"):
        assert await served.find(pattern) == await store.find(pattern), pattern
    # another process (an ingest process beside this api process) creates series: the next find has them
    other = EmbeddedStore(tmp_path)
    await other.open()
    try:
        await other.create_series(metas(["servers.web99.cpu.user", "new.tree.leaf", "net.if;host=a"]))
    finally:
        await other.close()
    assert [n.path for n in await served.find("servers.web99.*.*")] == ["servers.web99.cpu.user"]
    assert await served.find("new.*.*") == await store.find("new.*.*") != []
    assert [n.path for n in await served.find_names("*", leaves_only=False)] == ["new", "servers"]  # tagged: not a path


async def test_a_store_error_during_the_build_is_retried(store, monkeypatch, caplog):
    monkeypatch.setattr("tsstore.index.store_sync.BUILD_RETRY_S", 0.01)
    tree = StoreTreeIndex.for_store(store)
    real, failures = store.tree_names_after, [RuntimeError("disk unplugged")]

    async def flaky(cursor, limit):
        if failures:
            raise failures.pop()
        return await real(cursor, limit)

    monkeypatch.setattr(store, "tree_names_after", flaky)
    with caplog.at_level(logging.WARNING, logger="tsstore.index.paths"):
        await tree.build()
    assert "reading the store's names failed (disk unplugged); trying again" in caplog.text
    assert [n.path for n in await tree.find("servers.web00.cpu.*")] == ["servers.web00.cpu.system", "servers.web00.cpu.user"]


async def test_tree_names_after_lists_creation_order_and_skips_tagged_names(store):
    joined, count, cursor = await store.tree_names_after(0, 1000)
    assert count == len(SERIES) and sorted(joined.split("\n")) == sorted(n for n in SERIES if ";" not in n)
    assert await store.tree_names_after(cursor, 1000) == ("", 0, cursor)
    await store.create_series(metas(["b.later", "a.later"]))
    joined, count, cursor2 = await store.tree_names_after(cursor, 1000)
    assert count == 2 and sorted(joined.split("\n")) == ["a.later", "b.later"] and cursor2 > cursor


def test_a_store_without_a_name_list_gets_no_index():
    class NoList:
        lists_tree_names = False

    assert StoreTreeIndex.for_store(NoList()) is None
    with pytest.raises(NotImplementedError, match="does not list its names"):
        asyncio.run(Store.tree_names_after(NoList(), 0, 10))


@pytest.mark.cassandra
async def test_on_cassandra_a_series_created_by_another_node_is_found(cassandra_url, monkeypatch):
    """Two processes on one keyspace: the path index of one is built by reading the series
    table (by token, in chunks), and finds what the other creates afterwards, from the
    series_log (how soon is measured by benchmarks/bench_cross_node, not asserted here)."""
    from tsstore.store.cassandra.store import CassandraStore

    monkeypatch.setattr("tsstore.index.paths.CHUNK_NAMES", 7)
    writer, reader = CassandraStore(cassandra_url), CassandraStore(cassandra_url)
    await writer.open()
    await reader.open()
    try:
        await writer.create_series(metas(SERIES))
        tree = StoreTreeIndex.for_store(reader)
        await tree.build()
        for pattern in ("*", "servers.*", "servers.*.cpu.user", "*.web1?.*.system"):
            assert await tree.find(pattern) == await reader.find(pattern), pattern
        t0 = time.monotonic()
        await writer.create_series(metas(["servers.web77.cpu.user", "fresh.node.leaf", "net.if;host=a"]))
        while time.monotonic() - t0 < 10 and not await tree.find("fresh.*.*"):  # how soon: benchmarks/bench_cross_node
            await asyncio.sleep(0.05)
        assert [n.path for n in await tree.find("fresh.*.*")] == ["fresh.node.leaf"]
        assert [n.path for n in await tree.find("servers.web77.cpu.*")] == ["servers.web77.cpu.user"]
        assert await tree.find("net*") == []  # tagged: not a path
    finally:
        await writer.close()
        await reader.close()


@pytest.mark.cassandra
async def test_on_cassandra_a_series_this_process_creates_is_found_before_the_next_poll(cassandra_url, monkeypatch):
    """The indexes of the process that creates a series have it at once: a poll of the
    store's logs is up to tree_poll_seconds away, and a new series' first point was not
    found until then (p50 about 130 ms in bench_ingest's freshness of new series)."""
    from tsstore.index.tag_index import StoreTagIndex
    from tsstore.store.cassandra.store import CassandraStore

    store = CassandraStore(cassandra_url)
    monkeypatch.setattr(store, "tree_poll_seconds", 3600)  # no poll after the build's: only this process tells them
    await store.open()
    try:
        await store.create_series(metas(SERIES))
        tree, tags = StoreTreeIndex.for_store(store), StoreTagIndex.for_store(store)
        await tree.build()
        await tags.build()
        assert await tree.find("fresh*") == [] and await tags.answer("tag_values", "dc") == {"dc1": 1}
        await store.create_series(metas(["servers.web77.cpu.user", "fresh.node.leaf", "net.if;dc=dc2"]))
        assert [n.path for n in await tree.find("fresh.*.*")] == ["fresh.node.leaf"]
        assert [n.path for n in await tree.find("servers.web77.cpu.*")] == ["servers.web77.cpu.user"]
        assert await tree.find("net*") == []  # tagged: not a path
        assert await tags.answer("find", ["dc=dc2"]) == ["net.if;dc=dc2"]
    finally:
        await store.close()


async def test_a_served_index_catches_up_with_no_find_asking(store, tmp_path, monkeypatch):
    """Served, the index adds another process's new series by itself: the first find after a
    burst does not pay for adding the whole burst (an --http-workers child that answered no
    find during it)."""
    monkeypatch.setattr("tsstore.index.store_sync.KEEP_CAUGHT_UP_S", 0.05)
    tree = StoreTreeIndex.for_store(store)
    serving = asyncio.ensure_future(tree.serve())
    try:
        while not tree.ready:
            await asyncio.sleep(0.01)
        other = EmbeddedStore(tmp_path)
        await other.open()
        try:
            await other.create_series(metas([f"burst.s{i}" for i in range(50)]))
        finally:
            await other.close()
        deadline = time.monotonic() + 5
        while len(tree.index.find("burst.*")) < 50:  # the index itself, not a find (which would catch up)
            assert time.monotonic() < deadline, "not caught up without a find"
            await asyncio.sleep(0.02)
    finally:
        serving.cancel()
        await asyncio.gather(serving, return_exceptions=True)


async def test_a_served_index_logs_a_failing_store_once_until_it_works_again(store, monkeypatch, caplog):
    monkeypatch.setattr("tsstore.index.store_sync.KEEP_CAUGHT_UP_S", 0.02)
    tree = StoreTreeIndex.for_store(store)
    real, down = store.tree_names_after, [False]

    async def outage(cursor, limit):
        if down[0]:
            raise ConnectionError("store unreachable")
        return await real(cursor, limit)

    monkeypatch.setattr(store, "tree_names_after", outage)
    serving = asyncio.ensure_future(tree.serve())
    try:
        with caplog.at_level(logging.INFO, logger="tsstore.index.store_sync"):
            while not tree.ready:
                await asyncio.sleep(0.01)
            down[0] = True
            await asyncio.sleep(0.3)  # some fifteen failed catch-ups
            down[0] = False
            await asyncio.sleep(0.1)
        failed = [r for r in caplog.records if "catching up with the store failed (store unreachable)" in r.message]
        assert len(failed) == 1
        assert "path index: caught up with the store again" in caplog.text
    finally:
        serving.cancel()
        await asyncio.gather(serving, return_exceptions=True)


@pytest.mark.cassandra
async def test_on_cassandra_an_exact_path_created_here_is_found_without_waiting_for_the_catch_up(cassandra_url,
                                                                                               monkeypatch):
    """A find for an exact path the index lacks waits for a catch-up with the store's logs,
    which may wait behind a flush; a series this process creates meanwhile (the first point of
    a new series, just sent) ends the wait at once."""
    from tsstore.store.cassandra.store import CassandraStore

    store = CassandraStore(cassandra_url)
    await store.open()
    try:
        tree = StoreTreeIndex.for_store(store)
        await tree.build()
        held = HeldLogReads(store, monkeypatch)
        name = f"created.here.t{time.time_ns()}"
        finding = asyncio.ensure_future(tree.find(name))
        await asyncio.sleep(0.2)
        assert not finding.done(), "an exact path it lacks is looked for in the store"
        await store.create_series(metas([name]))
        nodes = await asyncio.wait_for(finding, 10)
        assert [n.path for n in nodes] == [name] and not held.release.is_set()
        held.release.set()
        assert await tree.find(f"{name}.nope") == []  # caught up, and still not there
    finally:
        await store.close()


@pytest.mark.cassandra
async def test_on_cassandra_finds_on_several_request_threads_share_one_catch_up(cassandra_url, monkeypatch):
    """The API answers on a few threads, each with its own event loop (api.offload): a find
    for an exact path the index lacks joins the catch-up another thread's find started.
    (An asyncio task of one loop awaited from another failed the find: RuntimeError.)"""
    import threading

    from tsstore.store.cassandra.store import CassandraStore

    store = CassandraStore(cassandra_url)
    await store.open()
    loops = [asyncio.new_event_loop() for _ in range(2)]
    threads = [threading.Thread(target=loop.run_forever, daemon=True) for loop in loops]
    for thread in threads:
        thread.start()

    async def on(loop, coro):
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, loop))

    try:
        tree = StoreTreeIndex.for_store(store)
        await tree.build()
        monkeypatch.setattr(store, "tree_poll_seconds", 0)  # every find starts a catch-up beside it
        for i in range(20):
            await on(loops[0], tree.find("servers.*.cpu.user"))  # a catch-up beside, on the first loop
            assert await on(loops[1], tree.find(f"no.such.series{i}")) == []  # joins it from the second
        await store.create_series(metas(["servers.web88.cpu.user"]))
        assert [n.path for n in await on(loops[1], tree.find("servers.web88.cpu.user"))] == ["servers.web88.cpu.user"]
    finally:
        for loop in loops:
            loop.call_soon_threadsafe(loop.stop)
        for thread in threads:
            thread.join(5)
        await store.close()
