"""Group segments: packing many series' pieces into one row, and the embedded store reading
them beside the per-series rows that compaction (and earlier versions of tsstore) wrote."""
import sqlite3

import numpy as np
import pytest

from tsstore.model import Rollup, SeriesMeta, Slots, WriteBatch, WriteRequest
from tsstore.store import segment_codec as codec
from tsstore.store import segment_groups as groups
from tsstore.store.base import COMPACT_AFTER, WINDOW_SLOTS
from tsstore.store.embedded import EmbeddedStore

STEP = 10
T0 = 1_700_000_000 // (STEP * WINDOW_SLOTS) * (STEP * WINDOW_SLOTS)


def test_pack_and_unpack_give_back_each_members_piece():
    pieces = [b"a" * 3, b"", b"xyz" * 100, b"q"]
    members = np.array([0, 7, 200, groups.GROUP_SIZE - 1])
    blob = groups.pack(members, pieces)
    got_members, got_pieces = groups.split(blob)
    assert got_members.tolist() == members.tolist() and got_pieces == pieces
    assert groups.pieces_of(blob, np.array([200, 5, 0])) == [(200, pieces[2]), (0, pieces[0])]
    assert groups.pieces_of(groups.pack(np.array([], np.uint16), []), np.array([1])) == []


@pytest.mark.parametrize("cut", [0, 3, 9, -1])
def test_a_torn_or_foreign_blob_is_a_named_error(cut):
    blob = groups.pack(np.array([1, 2]), [b"abc", b"defg"])
    bad = blob[:cut] if cut >= 0 else b"\x09" + blob[1:]
    with pytest.raises(groups.GroupFormatError):
        groups.split(bad)


def test_rows_are_one_per_group_and_window_and_a_repeated_series_gets_a_later_row():
    keys = np.array([5, 300, 6, 5, 7, 5], np.int64)  # groups 0, 1, 0, 0, 0, 0
    windows = np.array([0, 0, 0, 0, 0, 99], np.int64)
    order, starts = groups.rows_of(keys, windows)
    rows = [[(int(keys[i]), int(windows[i]), int(i)) for i in order[a:b]] for a, b in zip(starts[:-1], starts[1:])]
    assert rows == [[(5, 0, 0), (6, 0, 2), (7, 0, 4)],  # group 0, window 0: first of each series
                    [(5, 0, 3)],  # series 5's second segment for window 0: a row after it
                    [(5, 99, 5)],
                    [(300, 0, 1)]]


def _metas(n):
    return [SeriesMeta(f"g.s{i:05d}", (Rollup(STEP, 100_000), Rollup(60, 100_000)), "average", 0.0) for i in range(n)]


def _batch(keys, ts_of, value_of):
    """A level-0 WriteBatch: for each key, slots ts_of(k) with value value_of(k, t)."""
    ts = [np.array(ts_of(k), np.int64) for k in keys]
    starts = np.zeros(len(keys) + 1, np.int64)
    np.cumsum([len(t) for t in ts], out=starts[1:])
    flat = np.concatenate(ts)
    vals = np.array([value_of(k, t) for k, t_arr in zip(keys, ts) for t in t_arr.tolist()], np.float64).reshape(-1, 1)
    n = len(keys)
    return WriteBatch(0, np.asarray(keys, np.int64), np.full(n, STEP), np.full(n, 10**8), starts, flat, vals,
                      lambda g: f"key {keys[g]}")


async def test_a_flush_over_many_series_writes_a_row_per_group_and_compaction_moves_them(tmp_path):
    store = EmbeddedStore(tmp_path / "data")
    await store.open()
    try:
        metas = _metas(3 * groups.GROUP_SIZE + 10)
        keys = await store.create_series(metas)
        by_key = sorted(keys.tolist())
        for flush in range(COMPACT_AFTER + 3):
            await store.write_batch(_batch(by_key, lambda k, f=flush: [T0 + f * STEP], lambda k, t: k * 1000 + t % 997))
        conn = store._conn()
        group_rows = conn.execute("SELECT count(*) FROM segments WHERE sid < 0").fetchone()[0]
        own_rows = conn.execute("SELECT count(*) FROM segments WHERE sid >= 0").fetchone()[0]
        n_groups = len(set(groups.group_of(keys).tolist()))
        # every group compacted once (after COMPACT_AFTER flushes), the 3 flushes since are group rows
        assert group_rows == 3 * n_groups
        assert own_rows == len(metas)
        got = await store.read_many([m.name for m in metas], {m.name: (0, STEP) for m in metas}, T0, T0 + 10**5)
        for meta, key in zip(metas, keys.tolist()):
            want = [T0 + f * STEP for f in range(COMPACT_AFTER + 3)]
            assert got[meta.name].ts.tolist() == want
            assert got[meta.name].values[:, 0].tolist() == [key * 1000 + t % 997 for t in want]
    finally:
        await store.close()


async def test_a_window_the_flushes_move_on_from_is_compacted(tmp_path):
    """A few flushes into a window, fewer than COMPACT_AFTER, then one into the next window:
    the window left behind is compacted into a row per series (it gets no more writes that
    would make it due), and reads give every point."""
    store = EmbeddedStore(tmp_path / "data")
    await store.open()
    try:
        metas = _metas(groups.GROUP_SIZE + 5)
        keys = sorted((await store.create_series(metas)).tolist())
        span = STEP * WINDOW_SLOTS
        for t in (T0, T0 + STEP, T0 + 2 * STEP, T0 + span):
            await store.write_batch(_batch(keys, lambda k, t=t: [t], lambda k, t: k + t % 997))
        conn = store._conn()
        rows = dict(conn.execute("SELECT window, count(*) FROM segments WHERE sid >= 0 GROUP BY window").fetchall())
        assert rows == {T0: len(metas)}, "the window left behind was not compacted into one row per series"
        got = await store.read_many([m.name for m in metas], {m.name: (0, STEP) for m in metas}, T0, T0 + 2 * span)
        for meta, key in zip(metas, (await store.series_keys([m.name for m in metas])).tolist()):
            assert got[meta.name].ts.tolist() == [T0, T0 + STEP, T0 + 2 * STEP, T0 + span]
            assert got[meta.name].values[:, 0].tolist() == [key + t % 997 for t in got[meta.name].ts.tolist()]
    finally:
        await store.close()


async def test_rows_of_the_per_series_layout_read_back_and_merge_with_new_writes(tmp_path):
    """A data dir from before group rows holds one row per series segment (sid >= 0): it reads
    as it did, later writes win over it, and compaction merges both into one row."""
    store = EmbeddedStore(tmp_path / "data")
    await store.open()
    meta = _metas(1)[0]
    (key,) = (await store.create_series([meta])).tolist()
    conn = sqlite3.connect(tmp_path / "data" / "tsstore.db")
    for seq, (slot, value) in enumerate([(0, 1.0), (1, 2.0), (0, 3.0)], start=1):  # slot 0 rewritten by seq 3
        blob = codec.encode(np.array([T0 + slot * STEP]), np.array([[value]]), T0, STEP)
        conn.execute("INSERT INTO segments (sid, level, window, seq, expires_at, blob) VALUES (?, 0, ?, ?, ?, ?)",
                     (key, T0, seq, T0 + 10**9, blob))
    conn.commit()
    conn.close()
    try:
        got = await store.read(meta.name, 0, STEP, T0, T0 + 100)
        assert got.values[:, 0].tolist() == [3.0, 2.0]
        for i in range(COMPACT_AFTER):
            await store.write([WriteRequest(meta.name, 0, STEP, Slots(np.array([T0 + STEP]), np.array([[10.0 + i]])), 10**8)])
        got = await store.read(meta.name, 0, STEP, T0, T0 + 100)
        assert got.values[:, 0].tolist() == [3.0, 10.0 + COMPACT_AFTER - 1]
        rows = store._conn().execute("SELECT sid FROM segments WHERE level=0 AND window=?", (T0,)).fetchall()
        assert rows == [(key,)], "compaction left rows it merged"
    finally:
        await store.close()


async def test_random_rewrites_across_compactions_read_as_last_write_wins(tmp_path):
    """Many batches over a few series of one group, each rewriting random slots (a series twice
    in one batch too), through several compactions: every read equals the reference of the
    writes so far, later writes winning."""
    rng = np.random.default_rng(7)
    store = EmbeddedStore(tmp_path / "data")
    await store.open()
    try:
        metas = _metas(5)
        keys = (await store.create_series(metas)).tolist()
        want = {k: {} for k in keys}
        for flush in range(3 * COMPACT_AFTER + 5):
            chosen = rng.choice(keys, size=rng.integers(1, 7)).tolist()  # repeats allowed
            slots = {k: sorted(set(rng.integers(0, 40, size=rng.integers(1, 6)).tolist())) for k in set(chosen)}
            block_values = iter(range(10**6))  # every row of every block its own value: the later block must win
            values = {}
            batch = _batch(chosen, lambda k: [T0 + s * STEP for s in slots[k]],
                           lambda k, t: values.setdefault((len(values), k, t), float(flush * 1000 + next(block_values))))
            await store.write_batch(batch)
            for (_, k, t), v in values.items():  # in batch order
                want[k][t] = v
            if flush % 7 == 0 or flush >= 3 * COMPACT_AFTER:
                got = await store.read_many([m.name for m in metas], {m.name: (0, STEP) for m in metas}, T0, T0 + 1000)
                for meta, key in zip(metas, keys):
                    assert dict(zip(got[meta.name].ts.tolist(), got[meta.name].values[:, 0].tolist())) == want[key]
    finally:
        await store.close()


async def test_compaction_drops_points_of_an_id_the_series_table_lacks_and_keeps_the_rest(tmp_path, caplog):
    """Pieces of a series id with no series row cannot be read (reads go by name); compaction
    drops them with a warning naming the id, instead of failing every later flush of the group,
    and the group's other series keep every point."""
    store = EmbeddedStore(tmp_path / "data")
    await store.open()
    try:
        metas = _metas(3)
        keys = sorted((await store.create_series(metas)).tolist())
        orphan = keys[-1] + 1  # same group, never created
        for flush in range(COMPACT_AFTER):
            await store.write_batch(_batch([*keys, orphan], lambda k, f=flush: [T0 + f * STEP], lambda k, t: float(t % 1000)))
        assert f"series ids [{orphan}]" in caplog.text
        got = await store.read_many([m.name for m in metas], {m.name: (0, STEP) for m in metas}, T0, T0 + 10**4)
        for meta in metas:
            assert got[meta.name].ts.tolist() == [T0 + f * STEP for f in range(COMPACT_AFTER)]
        assert store._conn().execute("SELECT count(*) FROM segments WHERE sid < 0").fetchone()[0] == 0
    finally:
        await store.close()


def test_named_pack_and_read_give_back_each_members_name_step_expiry_and_piece():
    names = ["a.b", "ünïcode.séries", "x" * 300, "q"]
    pieces = [b"abc", b"", b"xyz" * 100, b"q"]
    blob = groups.pack_named(names, np.array([10, 60, 600, 10]), np.array([1, 2**40, -5, 7]), pieces)
    group = groups.NamedGroup(blob)
    assert group.names == names and [group.piece(i) for i in range(len(group))] == pieces
    assert group.steps.tolist() == [10, 60, 600, 10] and group.expires_at.tolist() == [1, 2**40, -5, 7]
    assert len(groups.NamedGroup(groups.pack_named([], np.array([]), np.array([]), []))) == 0


@pytest.mark.parametrize("cut", [0, 3, 9, 30, -2, -1])
def test_a_torn_or_foreign_named_blob_is_a_named_error(cut):
    blob = groups.pack_named(["a.b", "c"], np.array([10, 10]), np.array([1, 1]), [b"abc", b"defg"])
    bad = {-1: b"\x01" + blob[1:], -2: blob + b"extra"}.get(cut, blob[:cut])
    with pytest.raises(groups.GroupFormatError):
        groups.NamedGroup(bad)
