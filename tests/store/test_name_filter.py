"""The writing process's filter of the names its embedded store holds (tsstore.store.name_filter):
a burst of new series is answered "not there" without a query, and nothing held is ever missed
(the names held at the start, those created since, whatever created them)."""
from tsstore.model import Rollup, SeriesMeta
from tsstore.store import name_filter
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
        got = await store.get_series(["old.s0", "old.s999", "new.created", "never.sent"])
        assert set(got) == {"old.s0", "old.s999", "new.created"}
        assert got["old.s0"] == _metas(["old.s0"])[0]
        asked = []
        on_reader = store._on_reader

        async def counted(fn, *args):  # every SQLite read of this store goes through here
            asked.append(fn)
            return await on_reader(fn, *args)

        store._on_reader = counted
        assert await store.get_series([f"brand.new{i}" for i in range(5000)]) == {}
        assert asked == []  # none of them may be there: no query
        assert set(await store.get_series(["brand.new1", "old.s5"])) == {"old.s5"}
        assert len(asked) == 1
    finally:
        await store.close()
