"""One contract for every store: the embedded SQLite store and the real Cassandra store pass
the same tests (writes, windows, last-write-wins, retention, find, tags, restart)."""
import asyncio
import time

import numpy as np
import pytest

from tsstore.events import Event
from tsstore.store.base import WINDOW_SLOTS
from tsstore.model import Rollup, SeriesMeta, Slots, WriteRequest
from tsstore.store import segment_groups
from tsstore.store.cassandra.schema import group_row_name
from tsstore.store.embedded import EmbeddedStore

STEP = 10
# a window start of both levels of META (10 s and 1 min), so every slot below is aligned to its step
T0 = (int(time.time()) - 3 * 86400) // (60 * WINDOW_SLOTS) * (60 * WINDOW_SLOTS)
META = SeriesMeta("servers.web01.cpu.user", (Rollup(STEP, 100_000), Rollup(60, 100_000)), "average", 0.5)


@pytest.fixture(params=["embedded", pytest.param("cassandra", marks=pytest.mark.cassandra)])
def make_store(request, tmp_path):
    """A factory: calling it again opens a new store object on the same data (a restart)."""
    opened = []

    def make():
        if request.param == "embedded":
            store = EmbeddedStore(tmp_path / "data")
        else:
            from tsstore.store.cassandra.store import CassandraStore

            url = request.getfixturevalue("cassandra_url") if not opened else opened[0].url
            store = CassandraStore(url)
            store.url = url
        opened.append(store)
        return store

    yield make


@pytest.fixture
async def store(make_store):
    s = make_store()
    await s.open()
    yield s
    await s.close()


def raw(ts, values):
    return Slots(np.asarray(ts, np.int64), np.asarray(values, np.float64).reshape(-1, 1))


async def test_round_trip_finest_level(store):
    await store.create_series([META])
    ts = T0 + np.arange(100) * STEP
    await store.write([WriteRequest(META.name, 0, STEP, raw(ts, np.arange(100) * 1.5), 10**7)])
    got = await store.read(META.name, 0, STEP, T0, T0 + 1000)
    assert got.ts.tolist() == ts.tolist()
    assert got.values[:, 0].tolist() == (np.arange(100) * 1.5).tolist()


async def test_read_is_limited_to_the_range(store):
    await store.create_series([META])
    ts = T0 + np.arange(100) * STEP
    await store.write([WriteRequest(META.name, 0, STEP, raw(ts, np.ones(100)), 10**7)])
    got = await store.read(META.name, 0, STEP, T0 + 100, T0 + 200)
    assert got.ts.tolist() == [T0 + 100 + i * 10 for i in range(10)]


async def test_coarse_level_keeps_five_columns(store):
    await store.create_series([META])
    values = np.array([[10.0, 4.0, 1.0, 5.0, 2.0], [3.0, 1.0, 3.0, 3.0, 3.0]])
    await store.write([WriteRequest(META.name, 1, 60, Slots(np.array([T0, T0 + 60]), values), 10**7)])
    got = await store.read(META.name, 1, 60, T0, T0 + 120)
    assert got.values.tolist() == values.tolist()


async def test_reads_across_window_boundaries(store):
    await store.create_series([META])
    span = STEP * WINDOW_SLOTS
    ts = np.array([T0 + span - 20, T0 + span - 10, T0 + span, T0 + 2 * span + 10], np.int64)
    await store.write([WriteRequest(META.name, 0, STEP, raw(ts, [1, 2, 3, 4]), 10**7)])
    got = await store.read(META.name, 0, STEP, T0, T0 + 3 * span)
    assert got.ts.tolist() == ts.tolist() and got.values[:, 0].tolist() == [1, 2, 3, 4]


async def test_later_write_wins_for_the_same_slot(store):
    await store.create_series([META])
    await store.write([WriteRequest(META.name, 0, STEP, raw([T0, T0 + 10, T0 + 20], [1, 1, 1]), 10**7)])
    await store.write([WriteRequest(META.name, 0, STEP, raw([T0 + 10], [7]), 10**7)])  # a late point
    got = await store.read(META.name, 0, STEP, T0, T0 + 30)
    assert got.values[:, 0].tolist() == [1, 7, 1]


async def test_many_small_writes_merge_into_the_same_answer(store):
    """Enough flushes into one window to trigger compaction; the answer is unchanged."""
    await store.create_series([META])
    want = {}
    for i in range(40):
        for slot in (i, i // 2):  # every slot is rewritten by later flushes
            await store.write([WriteRequest(META.name, 0, STEP, raw([T0 + slot * STEP], [i]), 10**7)])
            want[T0 + slot * STEP] = float(i)
    got = await store.read(META.name, 0, STEP, T0, T0 + 400)
    assert dict(zip(got.ts.tolist(), got.values[:, 0].tolist())) == want
    assert await _segments_of(store, META.name, 0, T0) < 16, "compaction did not merge the window's segments"


async def test_a_batch_of_many_series_keeps_each_series_slots_and_later_blocks_win(store):
    """write_batch (a flush): blocks of many series at one level, two of them the same series,
    windows crossed, more blocks than one writer job takes; each series reads back its own."""
    from tsstore.model import WriteBatch

    metas = [SeriesMeta(f"batch.host{i:05d}.load", META.rollups, "average", 0.5) for i in range(30)]
    await store.create_series(metas)
    names = [m.name for m in metas] + [metas[3].name]  # a second block of series 3 wins
    keys = await store.series_keys(names)
    span = STEP * WINDOW_SLOTS
    ts = np.array([T0 + span - 10, T0 + span, T0 + span + 10], np.int64)
    values = [[i, i + 0.5, i + 0.25] for i in range(30)] + [[-1, -2, -3]]
    batch = WriteBatch(0, keys, np.full(31, STEP, np.int64), np.full(31, 10**7, np.int64), np.arange(32, dtype=np.int64) * 3,
                       np.tile(ts, 31), np.array(values, np.float64).reshape(-1, 1), lambda g: names[g])
    if store.kind == "embedded":
        store.WRITE_CHUNK_BLOCKS = 7  # several writer jobs
    await store.write_batch(batch)
    got = await store.read_many([m.name for m in metas], {m.name: (0, STEP) for m in metas}, T0, T0 + 2 * span)
    for i, m in enumerate(metas):
        assert got[m.name].ts.tolist() == ts.tolist()
        assert got[m.name].values[:, 0].tolist() == ([-1, -2, -3] if i == 3 else values[i])
    if store.kind == "embedded":  # Cassandra's keys are hashes of the name: no lookup to fail
        with pytest.raises(KeyError):
            await store.series_keys(["never.created"])


async def test_create_series_returns_the_keys_series_keys_gives(store):
    """Creating returns the keys (no second lookup), also when some of the series existed."""
    first = [SeriesMeta(f"keys.host{i}.load", META.rollups, "average", 0.5) for i in range(5)]
    created = await store.create_series(first)
    assert created.tolist() == (await store.series_keys([m.name for m in first])).tolist()
    again = [SeriesMeta(f"keys.host{i}.load", META.rollups, "average", 0.5) for i in range(3, 8)]
    created = await store.create_series(again)
    assert created.tolist() == (await store.series_keys([m.name for m in again])).tolist()
    assert len(set(created.tolist()) | set((await store.series_keys([m.name for m in first])).tolist())) == 8
    assert len(await store.get_series([f"keys.host{i}.load" for i in range(8)])) == 8


async def test_a_backfilled_old_window_is_compacted_too(store):
    """Many writes into a window older than the newest one the series has (a backfill)."""
    await store.create_series([META])
    span = STEP * WINDOW_SLOTS
    await store.write([WriteRequest(META.name, 0, STEP, raw([T0 + 2 * span], [9]), 10**7)])
    for i in range(40):
        await store.write([WriteRequest(META.name, 0, STEP, raw([T0 + i * STEP], [i]), 10**7)])
    got = await store.read(META.name, 0, STEP, T0, T0 + 3 * span)
    assert got.values[:, 0].tolist() == [*range(40), 9]
    assert await _segments_of(store, META.name, 0, T0) < 16, "compaction did not merge the older window's segments"


async def _segments_of(store, name: str, level: int, window: int) -> int:
    """How many segment rows one (series, level, window) has, read from the store's own tables."""
    if store.kind == "embedded":
        conn = store._conn()
        sid = conn.execute("SELECT id FROM series WHERE name=?", (name,)).fetchone()[0]
        own = conn.execute("SELECT count(*) FROM segments WHERE sid=? AND level=? AND window=?", (sid, level, window)).fetchone()[0]
        group = int(segment_groups.group_of(np.array([sid]))[0])
        packed = conn.execute("SELECT blob FROM segments WHERE sid=? AND level=? AND window=?", (-1 - group, level, window))
        member = segment_groups.member_of(np.array([sid]))
        return own + sum(1 for (blob,) in packed if segment_groups.pieces_of(blob, member))
    shard, bucket = store.group_of(name)
    ks = store.config.keyspace
    own = store.session.execute(f"SELECT seq FROM {ks}.segments_by_shard WHERE shard=%s AND level=%s AND window=%s AND name=%s",
                                (shard, level, window, name))
    packed = store.session.execute(f"SELECT data FROM {ks}.segments_by_shard WHERE shard=%s AND level=%s AND window=%s AND name=%s",
                                   (shard, level, window, group_row_name(bucket)))
    return len(list(own)) + sum(1 for (data,) in packed if name in segment_groups.NamedGroup(data).names)


@pytest.mark.cassandra
async def test_cassandra_keeps_the_shard_count_it_was_created_with(cassandra_url):
    from tsstore.store.cassandra.store import CassandraStore

    first = CassandraStore(cassandra_url + "?shards=16")
    await first.open()
    await first.create_series([META])
    await first.write([WriteRequest(META.name, 0, STEP, raw([T0, T0 + 10], [1, 2]), 10**7)])
    await first.close()
    second = CassandraStore(cassandra_url + "?shards=64")
    await second.open()
    try:
        assert second.shards == 16
        assert (await second.read(META.name, 0, STEP, T0, T0 + 20)).values[:, 0].tolist() == [1, 2]
    finally:
        await second.close()


@pytest.mark.cassandra
async def test_cassandra_warns_when_the_url_asks_another_replication_than_the_keyspace_has(cassandra_url, caplog):
    """rf in the URL only shapes a new keyspace: an existing one keeps its own, and the start
    says so, naming both and the statement that changes it; a URL that names none is quiet."""
    from tsstore.store.cassandra.store import CassandraStore

    for url in (cassandra_url + "?rf=1", cassandra_url + "?rf=3", cassandra_url):
        caplog.clear()
        store = CassandraStore(url)
        await store.open()
        await store.close()
        warnings = [r.getMessage() for r in caplog.records if "replication" in r.getMessage()]
        if url.endswith("rf=3"):
            assert len(warnings) == 1, warnings
            assert "has replication SimpleStrategy, rf=1 but the URL asks SimpleStrategy, rf=3" in warnings[0]
            assert "ALTER KEYSPACE" in warnings[0] and "'replication_factor': 3" in warnings[0]
            assert "nodetool repair" in warnings[0]
        else:
            assert warnings == []


@pytest.mark.cassandra
async def test_cassandra_flush_of_many_series_is_read_back_whole(cassandra_url):
    """Many series per shard partition, batches cut by size: every series reads back its own points."""
    from tsstore.store.cassandra.store import CassandraStore

    store = CassandraStore(cassandra_url + "?shards=4&batch_kb=1")
    await store.open()
    try:
        metas = [SeriesMeta(f"app.host{i:03d}.requests", META.rollups, "average", 0.5) for i in range(300)]
        await store.create_series(metas)
        ts = T0 + np.arange(30) * STEP
        await store.write([WriteRequest(m.name, 0, STEP, raw(ts, ts * 0 + i), 10**7) for i, m in enumerate(metas)])
        got = await store.read_many([m.name for m in metas], {m.name: (0, STEP) for m in metas}, T0, T0 + 300)
        assert all(got[m.name].values[:, 0].tolist() == [float(i)] * 30 for i, m in enumerate(metas))
    finally:
        await store.close()


async def test_data_outside_retention_is_gone(store):
    short = SeriesMeta("short.lived", (Rollup(1, 2),))
    await store.create_series([short])
    now = int(time.time())
    old = now - 1 * WINDOW_SLOTS - 100  # its window ended long ago
    await store.write([WriteRequest(short.name, 0, 1, raw([old], [1.0]), 2)])
    await store.expire(int(time.time()))
    assert len(await store.read(short.name, 0, 1, old - 10, now)) == 0


async def test_find_globs_at_several_depths(store):
    names = ["servers.web01.cpu.user", "servers.web02.cpu.user", "servers.db01.disk.used", "servers.web01"]
    await store.create_series([SeriesMeta(n, (Rollup(60, 100),)) for n in names])
    assert [n.path for n in await store.find("servers.*")] == ["servers.db01", "servers.web01", "servers.web02"]
    assert [n.path for n in await store.find("servers.{web01,db01}.*")] == ["servers.db01.disk", "servers.web01.cpu"]
    assert [n.path for n in await store.find("servers.web0[2-9].cpu.?ser")] == ["servers.web02.cpu.user"]
    (both,) = await store.find("servers.web01")
    assert both.is_leaf and both.is_branch
    assert await store.find("nothing.here") == []


def reference_children(names: list[str]) -> dict[str, list[tuple[str, bool, bool]]]:
    """Every branch's children, (path, leaf, branch), worked out from the untagged names."""
    kinds: dict[str, dict[str, list[bool]]] = {}
    for name in names:
        if ";" in name:
            continue
        parts = name.split(".")
        for depth in range(1, len(parts) + 1):
            child = kinds.setdefault(".".join(parts[: depth - 1]), {}).setdefault(".".join(parts[:depth]), [False, False])
            child[0 if depth == len(parts) else 1] = True
    return {parent: [(path, leaf, branch) for path, (leaf, branch) in sorted(children.items())]
            for parent, children in kinds.items()}


async def assert_tree_is(store, names: list[str]) -> None:
    expected = reference_children(names)
    for parent in set(expected) | {"nothing", "a.b-x", "a.b.c"}:
        got = [(n.path, n.is_leaf, n.is_branch) for n in await store.children(parent)]
        assert got == expected.get(parent, []), parent


async def test_the_tree_is_the_untagged_names_prefixes_and_follows_deletions(store):
    """Children next to each other in name order but not in child order ('a.b-x' sorts
    between 'a.b' and 'a.b.c'), tagged series whose path runs through a branch or shares a
    leaf's path, a node that is leaf and branch, and more leaves than one run of the scan."""
    names = ["a.b", "a.b-x", "a.b.c", "a.b.c;t=1", "a.b;t=2", "a.b.d.e", "a.b,y.z", "a.c;t=1", "a.c.d;t=2",
             "a.ba", "a.b0", "z", "cpu;dc=1", "\u00e9t\u00e9.x", "a.b.c.x;k=v"]
    names += [f"wide.leaf{i:04d}" for i in range(600)] + [f"wide.leaf{i:04d}.sub" for i in range(0, 600, 7)]
    await store.create_series([SeriesMeta(n, (Rollup(60, 100),)) for n in names])
    await assert_tree_is(store, names)
    assert [n.path for n in await store.find("a.*")] == ["a.b", "a.b,y", "a.b-x", "a.b0", "a.ba"]
    gone = ["a.b", "a.b.d.e", "a.b,y.z", "wide.leaf0007.sub", "z"] + [f"wide.leaf{i:04d}" for i in range(300)]
    await store.delete_series(gone, "test")
    await assert_tree_is(store, [n for n in names if n not in gone])


@pytest.mark.parametrize("first", ["servers.web01", "servers.web01.cpu"])
async def test_a_node_created_as_leaf_or_branch_becomes_both_in_a_later_batch(store, first):
    second = "servers.web01.cpu" if first == "servers.web01" else "servers.web01"
    await store.create_series([SeriesMeta(first, (Rollup(60, 100),))])
    await store.create_series([SeriesMeta(second, (Rollup(60, 100),))])
    await store.create_series([SeriesMeta(first, (Rollup(60, 100),)), SeriesMeta(second, (Rollup(60, 100),))])
    (both,) = await store.find("servers.web01")
    assert both.is_leaf and both.is_branch
    assert [(n.path, n.is_leaf) for n in await store.find("servers.web01.*")] == [("servers.web01.cpu", True)]


async def test_series_metadata_round_trip(store):
    await store.create_series([META])
    assert (await store.get_series([META.name, "missing"])) == {META.name: META}


async def test_tag_index(store):
    names = ["disk.used;dc=dc1;rack=a1", "disk.used;dc=dc2;rack=a1", "cpu;dc=dc1"]
    await store.create_series([SeriesMeta(n, (Rollup(60, 100),)) for n in names])
    assert await store.tag_names() == ["dc", "name", "rack"]
    assert await store.tag_values("dc") == {"dc1": 2, "dc2": 1}
    assert await store.series_with_tag("rack", "a1") == sorted(names[:2])
    assert await store.series_with_tag("dc") == sorted(names)
    assert await store.find("*") == []  # tagged series stay out of the path tree


async def test_read_many_answers_as_read_does(store):
    """A panel reads many series at once; each must get exactly what read() gives it."""
    metas = [SeriesMeta(f"servers.web{i:02d}.cpu", META.rollups, "average", 0.5) for i in range(7)]
    await store.create_series(metas)
    ts = T0 + np.arange(0, 2 * WINDOW_SLOTS, 7) * STEP  # across a window boundary
    await store.write([WriteRequest(m.name, 0, STEP, raw(ts, ts * 0 + i), 10**7) for i, m in enumerate(metas[:6])])
    await store.write([WriteRequest(metas[2].name, 0, STEP, raw(ts[:3], [-1, -2, -3]), 10**7)])  # later write wins
    names = [m.name for m in metas] + ["never.created"]
    level_of = {n: (0, STEP) for n in names}
    start, end = T0 + 70, T0 + (2 * WINDOW_SLOTS - 9) * STEP
    many = await store.read_many(names, level_of, start, end)
    assert set(many) == set(names)
    for n in names:
        one = await store.read(n, 0, STEP, start, end)
        assert many[n].ts.tolist() == one.ts.tolist() and many[n].values.tolist() == one.values.tolist(), n
    assert len(many[metas[0].name]) > 10 and len(many["never.created"]) == 0 and len(many[metas[6].name]) == 0


async def test_deleted_series_leave_the_tag_index(store):
    names = ["disk.used;dc=dc1;rack=a1", "disk.used;dc=dc2;rack=a1"]
    await store.create_series([SeriesMeta(n, (Rollup(60, 100),)) for n in names])
    assert await store.forget_tagged([names[0], "never.seen;dc=x"]) == 1
    assert await store.series_with_tag("rack", "a1") == [names[1]]
    assert await store.tag_values("dc") == {"dc2": 1}


async def test_events_by_time_across_days_and_by_id(store):
    day = 86400
    posted = [Event(T0 + 5.25, "deploy", "v1", ["release", "web"]), Event(T0 + day + 1, "outage", "", ["incident"]),
              Event(T0 + 5.25, "second at the same time", "", []), Event(T0 + 3 * day, "later", "", ["web"])]
    ids = [await store.add_event(e) for e in posted]
    assert len(set(ids)) == 4
    found = await store.events_between(T0, T0 + day + 1)  # both ends inclusive, as graphite-web
    assert [(e.what, e.when, e.tags, e.data) for e in found] == [
        ("deploy", T0 + 5.25, ["release", "web"], "v1"), ("second at the same time", T0 + 5.25, [], ""),
        ("outage", T0 + day + 1, ["incident"], "")]
    assert [e.id for e in found] == [ids[0], ids[2], ids[1]]
    assert await store.events_between(T0 + 6, T0 + day) == []
    one = await store.get_event(ids[3])
    assert (one.what, one.when, one.tags, one.id) == ("later", T0 + 3 * day, ["web"], ids[3])
    assert await store.get_event(max(ids) + 12345) is None


async def test_restart_keeps_everything(make_store):
    first = make_store()
    await first.open()
    await first.create_series([META])
    await first.write([WriteRequest(META.name, 0, STEP, raw([T0, T0 + 10], [1, 2]), 10**7)])
    await first.add_event(Event(T0, "deploy", "", ["release"]))
    await first.close()
    second = make_store()
    await second.open()
    try:
        assert (await second.read(META.name, 0, STEP, T0, T0 + 20)).values[:, 0].tolist() == [1, 2]
        assert [n.path for n in await second.find("servers.web01.cpu.*")] == [META.name]
        assert (await second.get_series([META.name]))[META.name] == META
        assert [e.what for e in await second.events_between(T0, T0 + 1)] == ["deploy"]
    finally:
        await second.close()


@pytest.fixture
async def two_processes_one_cached(cassandra_url):
    """(reader, writer): two stores on one keyspace, as two processes; the reader has
    `app.web` in its tree cache (listed once, before the writer adds app.web.errors)."""
    from tsstore.store.cassandra.store import CassandraStore

    reader, writer = CassandraStore(cassandra_url), CassandraStore(cassandra_url)
    await reader.open()
    await writer.open()
    try:
        await writer.create_series([SeriesMeta("app.web.requests", META.rollups)])
        assert [n.path for n in await reader.find("app.web.*")] == ["app.web.requests"]  # fills the cache
        await writer.create_series([SeriesMeta("app.web.errors", META.rollups)])
        yield reader, writer
    finally:
        await reader.close()
        await writer.close()


@pytest.mark.cassandra
async def test_cassandra_finds_an_exact_path_another_process_just_created(two_processes_one_cached):
    """API-only processes and other nodes cache the tree; an exact path created elsewhere is
    found at once."""
    reader, _ = two_processes_one_cached
    assert [n.path for n in await reader.find("app.web.errors")] == ["app.web.errors"]


@pytest.mark.cassandra
async def test_cassandra_glob_finds_a_series_another_process_created_within_a_second(two_processes_one_cached):
    """Another node or `tsstore import-whisper` adds a series: a process whose tree cache
    holds the parent lists it in globbed finds once it sees the store's tree-changed mark."""
    from tsstore.store.cassandra.store import CHILDREN_CACHE_SECONDS

    reader, _ = two_processes_one_cached
    t0 = time.monotonic()
    while len(await reader.find("app.web.*")) < 2 and time.monotonic() - t0 < CHILDREN_CACHE_SECONDS / 2:
        await asyncio.sleep(0.05)
    # well before the cached entry expires
    assert [n.path for n in await reader.find("app.web.*")] == ["app.web.errors", "app.web.requests"]


@pytest.mark.parametrize("query, problem", [("shards=0", "shards must be positive"), ("batch_kb=0", "batch_kb must be positive"),
                                            ("shards=many", "bad option"), ("rf=-1", "rf must be positive"),
                                            ("inflight=0", "inflight must be positive"), ("colour=red", "unknown option"),
                                            ("consistency=QUROUM", "consistency must be one of ONE, TWO"),
                                            ("replication=NetworkTopology", "replication must be SimpleStrategy or")])
def test_bad_cassandra_url_options_are_refused_by_name(query, problem):
    from tsstore.store.cassandra.options import parse_cassandra_url

    with pytest.raises(ValueError, match=problem):
        parse_cassandra_url(f"cassandra://127.0.0.1:9042/ks?{query}")


async def test_reads_show_what_the_ingest_memory_holds_on_top(store):
    """StoreWithMemory (what the API reads): a slot held in memory replaces the stored one,
    stored slots memory does not hold stay, a series with nothing stored yet shows its
    memory; everything else goes to the store unchanged."""
    from tsstore.store.with_memory import StoreWithMemory

    other = SeriesMeta("servers.web02.cpu.user", META.rollups, "average", 0.5)
    await store.create_series([META, other])
    await store.write([WriteRequest(META.name, 0, STEP, raw(T0 + np.arange(4) * STEP, [1.0, 2.0, 3.0, 4.0]), 10**7)])
    asked = []

    async def memory(names, level_of, start, end):
        asked.append((sorted(names), start, end))
        return {META.name: raw([T0 + STEP, T0 + 5 * STEP], [20.0, 60.0]), other.name: raw([T0], [9.0])}

    merged = StoreWithMemory(store, memory)
    got = await merged.read_many([META.name, other.name], {META.name: (0, STEP), other.name: (0, STEP)}, T0, T0 + 100)
    assert got[META.name].ts.tolist() == [T0 + i * STEP for i in (0, 1, 2, 3, 5)]
    assert got[META.name].values[:, 0].tolist() == [1.0, 20.0, 3.0, 4.0, 60.0]
    assert got[other.name].ts.tolist() == [T0] and got[other.name].values[:, 0].tolist() == [9.0]
    assert asked == [([META.name, other.name], T0, T0 + 100)]
    assert (await merged.get_series([META.name]))[META.name] == META
    assert (await merged.read(META.name, 0, STEP, T0, T0 + 2 * STEP)).values[:, 0].tolist() == [1.0, 20.0]


async def test_new_series_from_columns_keep_their_names_byte_for_byte(store):
    """Names that need quoting somewhere (quotes, backslashes, non-ASCII, JSON's escapes) come
    back exactly as created, each under the key create_series_columns gave, with its schema."""
    fine, coarse = (Rollup(STEP, 1000),), (Rollup(60, 5000),)
    names = ['odd."quoted"', "odd.back\\slash", "odd.caf\u00e9", "odd.\u2603.snow", "odd.slash/and\\u0041",
             "odd.plain", "odd.emoji\U0001f600", "odd.b}]", "odd.nul\x00end"]
    keys = await store.create_series_columns(names, [(fine, "sum", 0.0), (coarse, "max", 1.0)],
                                             np.array([1, 0, 1, 0, 1, 0, 0, 1, 1]))
    assert keys.tolist() == (await store.series_keys(names)).tolist()
    got = await store.get_series(names)
    assert {n: (m.rollups, m.aggregation) for n, m in got.items()} == {
        n: ((coarse, "max") if i in (0, 2, 4, 7, 8) else (fine, "sum")) for i, n in enumerate(names)}


async def test_created_from_columns_as_from_metadata(store):
    """The ingest's columnar creation (a schema table and an index per name) stores what
    create_series stores: each series with its own schema, tagged names in the tag index,
    and a name that existed keeps its key."""
    fine = (Rollup(STEP, 1000), Rollup(60, 1000))
    coarse = (Rollup(60, 5000),)
    first = await store.create_series([SeriesMeta("cols.old", coarse, "max", 0.0)])
    names = ["cols.b", "cols.old", "cols.a", "cols.tagged;dc=eu", "cols.c"]
    schemas = [(fine, "sum", 0.25), (coarse, "average", 0.5)]
    keys = await store.create_series_columns(names, schemas, np.array([0, 0, 1, 1, 0]))
    assert keys[1] == first[0]
    assert len(set(keys.tolist())) == len(names)
    assert keys.tolist() == (await store.series_keys(names)).tolist()
    got = await store.get_series(names)
    assert {n: (m.rollups, m.aggregation, m.xff) for n, m in got.items() if n != "cols.old"} == {
        "cols.b": (fine, "sum", 0.25), "cols.a": (coarse, "average", 0.5),
        "cols.tagged;dc=eu": (coarse, "average", 0.5), "cols.c": (fine, "sum", 0.25)}
    assert await store.series_with_tag("dc", "eu") == ["cols.tagged;dc=eu"]
