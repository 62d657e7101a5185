"""Group rows on Cassandra: a write packs the pieces of every series of a (shard, bucket) and
window into one group row (segments_by_shard, under a name no series has); reads take them beside the series' own rows; compaction
moves them into those; a deletion takes a series' pieces out of the rows it shares."""
import time

import numpy as np
import pytest

from tsstore.model import Rollup, SeriesMeta, WriteBatch
from tsstore.store import segment_groups
from tsstore.store.base import COMPACT_AFTER, WINDOW_SLOTS
from tsstore.store.cassandra.schema import GROUP_ROW_PREFIX, group_row_name
from tsstore.store.cassandra.store import CassandraStore

pytestmark = pytest.mark.cassandra

STEP = 10
T0 = int(time.time()) // (STEP * WINDOW_SLOTS) * (STEP * WINDOW_SLOTS)
RETENTION = 86400 * 30  # a deletion visits every window of it


def _metas(n: int, prefix: str = "g") -> list[SeriesMeta]:
    return [SeriesMeta(f"{prefix}.s{i:04d}", (Rollup(STEP, RETENTION // STEP),), "average", 0.0) for i in range(n)]


def _batch(keys: np.ndarray, names: list[str], slots_of, value_of) -> WriteBatch:
    """A level-0 WriteBatch: block i is series names[i] with slots slots_of(i), values value_of(i, t)."""
    ts = [np.array(slots_of(i), np.int64) for i in range(len(names))]
    starts = np.zeros(len(names) + 1, np.int64)
    np.cumsum([len(t) for t in ts], out=starts[1:])
    values = np.array([value_of(i, t) for i, t_arr in enumerate(ts) for t in t_arr.tolist()], np.float64).reshape(-1, 1)
    n = len(names)
    return WriteBatch(0, np.asarray(keys, np.int64), np.full(n, STEP), np.full(n, RETENTION), starts,
                      np.concatenate(ts), values, lambda g: names[g])


def _rows(store: CassandraStore, kind: str) -> int:
    """How many group rows ('group') or series' own rows ('own') the keyspace holds."""
    names = [name for (name,) in store.session.execute(f"SELECT name FROM {store.config.keyspace}.segments_by_shard")]
    groups = sum(name.startswith(GROUP_ROW_PREFIX) for name in names)
    return groups if kind == "group" else len(names) - groups


@pytest.fixture
async def store(cassandra_url):
    # 4 shards of 16 buckets: 64 groups, so 300 series share them
    s = CassandraStore(cassandra_url + "?shards=4")
    await s.open()
    yield s
    await s.close()


async def test_a_write_over_many_series_is_a_row_per_group_and_compaction_moves_them(store):
    metas = _metas(300)
    names = [m.name for m in metas]
    keys = await store.create_series(metas)
    n_groups = len({store.group_of(n) for n in names})
    assert n_groups <= 64
    for flush in range(COMPACT_AFTER + 3):
        await store.write_batch(_batch(keys, names, lambda i, f=flush: [T0 + f * STEP], lambda i, t: i * 1000 + t % 997))
        if flush == 0:
            assert _rows(store, "group") == n_groups and _rows(store, "own") == 0
    # every group compacted once (its COMPACT_AFTER-th row), the 3 writes since are group rows
    assert _rows(store, "group") == 3 * n_groups
    assert _rows(store, "own") == len(names)
    got = await store.read_many(names, {n: (0, STEP) for n in names}, T0, T0 + 10**5)
    want = [T0 + f * STEP for f in range(COMPACT_AFTER + 3)]
    for i, name in enumerate(names):
        assert got[name].ts.tolist() == want
        assert got[name].values[:, 0].tolist() == [i * 1000 + t % 997 for t in want]


async def test_random_rewrites_across_compactions_read_as_last_write_wins(store):
    """Many batches over a few series, each rewriting random slots (a series twice in one batch
    too), through several compactions: every read equals the reference of the writes so far."""
    rng = np.random.default_rng(7)
    metas = _metas(6)
    names = [m.name for m in metas]
    keys = (await store.create_series(metas)).tolist()
    want = {n: {} for n in names}
    for flush in range(3 * COMPACT_AFTER + 5):
        chosen = rng.choice(len(names), size=rng.integers(1, 8)).tolist()  # repeats allowed
        slots = {i: sorted(set(rng.integers(0, 40, size=rng.integers(1, 6)).tolist())) for i in set(chosen)}
        values = {}
        batch = _batch([keys[i] for i in chosen], [names[i] for i in chosen], lambda b: [T0 + s * STEP for s in slots[chosen[b]]],
                       lambda b, t: values.setdefault((b, t), float(flush * 1000 + len(values))))
        await store.write_batch(batch)
        for (b, t), v in sorted(values.items()):  # in batch order: the later block wins
            want[names[chosen[b]]][t] = v
        if flush % 5 == 0 or flush >= 3 * COMPACT_AFTER:
            got = await store.read_many(names, {n: (0, STEP) for n in names}, T0, T0 + 1000)
            for name in names:
                assert dict(zip(got[name].ts.tolist(), got[name].values[:, 0].tolist())) == want[name], f"after write {flush}"
    # each compaction merged a series' earlier own row with its pieces: one row each, however many compactions
    assert _rows(store, "own") <= len(names)


async def test_a_deleted_series_leaves_the_group_rows_it_shared_and_its_neighbours_keep_theirs(store):
    metas = _metas(400, "del")
    by_group: dict[tuple, list[SeriesMeta]] = {}
    for m in metas:
        by_group.setdefault(store.group_of(m.name), []).append(m)
    shared = next(ms for ms in by_group.values() if len(ms) >= 3)[:3]  # three series of one group row
    names = [m.name for m in shared]
    keys = await store.create_series(shared)
    for flush in range(3):
        await store.write_batch(_batch(keys, names, lambda i, f=flush: [T0 + f * STEP], lambda i, t: float(i + 1)))
    assert await store.delete_series([names[0]], "{}") == 1
    got = await store.read_many(names[1:], {n: (0, STEP) for n in names[1:]}, T0, T0 + 1000)
    assert [got[n].values[:, 0].tolist() for n in names[1:]] == [[2.0] * 3, [3.0] * 3]
    ks, (shard, bucket) = store.config.keyspace, store.group_of(names[0])
    rows = store.session.execute(f"SELECT data FROM {ks}.segments_by_shard WHERE shard=%s AND level=0 AND window=%s AND name=%s",
                                 (shard, T0, group_row_name(bucket)))
    members = [segment_groups.NamedGroup(data).names for (data,) in rows]
    assert members == [names[1:]] * 3
    # created again, the name starts empty; all three deleted, the rows go
    (key,) = (await store.create_series([shared[0]])).tolist()
    assert len((await store.read(names[0], 0, STEP, T0, T0 + 1000))) == 0
    assert await store.delete_series(names, "{}") == 3
    assert _rows(store, "group") == 0


async def test_a_write_of_bulky_pieces_is_moved_into_own_rows_at_once(store):
    """A backfill or an import writes days of slots for each series: left in group rows, every
    read of one series would read all of its group's; they are compacted at once, while a
    flush's few slots per series stay packed."""
    metas = _metas(40)
    names = [m.name for m in metas]
    keys = await store.create_series(metas)
    measured = np.random.default_rng(3).random((len(names), 300))  # measurements do not compress away
    await store.write_batch(_batch(keys, names, lambda i: [T0 + s * STEP for s in range(2, 300)],
                                   lambda i, t: float(measured[i, (t - T0) // STEP])))
    assert _rows(store, "group") == 0 and _rows(store, "own") == len(names)
    await store.write_batch(_batch(keys, names, lambda i: [T0 + STEP], lambda i, t: -1.0))  # a flush's one slot each
    assert _rows(store, "group") == len({store.group_of(n) for n in names})
    got = await store.read_many(names, {n: (0, STEP) for n in names}, T0, T0 + 300 * STEP)
    for i, name in enumerate(names):
        assert got[name].values[:, 0].tolist() == [-1.0] + measured[i, 2:300].tolist()
