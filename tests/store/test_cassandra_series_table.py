"""Cassandra's series table by shard (series_by_shard): the path index's scan goes through
every shard in pieces, and a keyspace of an earlier version, whose `series` table has a
partition per name, is copied in once when a store opens it."""
import pytest

from tsstore.model import Rollup, SeriesMeta
from tsstore.store.cassandra.store import CassandraStore

pytestmark = pytest.mark.cassandra


async def _scan(store, limit: int) -> list[str]:
    """Every name the table scan gives, until it switches to series_log."""
    names, cursor = [], None
    while cursor is None or cursor[0] == "scan":
        joined, _, cursor = await store.tree_names_after(cursor, limit)
        names += [n for n in joined.split("\n") if n]
    return names


async def test_the_scan_gives_every_series_once_in_pieces_across_shards(cassandra_url):
    store = CassandraStore(cassandra_url + "?shards=4")
    await store.open()
    try:
        names = [f"scan.host{i // 5}.m{i % 5}" for i in range(50)]
        await store.create_series([SeriesMeta(n, (Rollup(10, 8640),)) for n in names] + [SeriesMeta("tagged;a=b", (Rollup(10, 8640),))])
        got = await _scan(store, 3)
        assert sorted(got) == sorted(names)  # each once; tagged series are the tag index's
    finally:
        await store.close()


async def test_an_earlier_versions_series_table_is_copied_in_once(cassandra_url):
    first = CassandraStore(cassandra_url)
    await first.open()
    ks = first.config.keyspace
    first.session.execute(f"CREATE TABLE {ks}.series (name text PRIMARY KEY, rollups text, aggregation text, xff double)", timeout=60)
    old = [f"old.host{i // 10}.m{i % 10}" for i in range(250)]
    for i, name in enumerate(old):
        first.session.execute(f"INSERT INTO {ks}.series (name, rollups, aggregation, xff) VALUES (%s, %s, %s, %s)",
                              (name, "[[10, 8640], [60, 10080]]", "max" if i % 2 else "average", 0.25))
    await first.close()
    store = CassandraStore(cassandra_url)
    await store.open()  # copies
    try:
        metas = await store.get_series(old + ["never.created"])
        assert sorted(metas) == sorted(old)
        assert metas["old.host0.m1"] == SeriesMeta("old.host0.m1", (Rollup(10, 8640), Rollup(60, 10080)), "max", 0.25)
        assert sorted(await _scan(store, 1000)) == sorted(old)
        assert store.session.execute(f"SELECT value FROM {ks}.store_meta WHERE key='series_copied'").one()[0] == "250"
    finally:
        await store.close()
    # copied once: what the old table gets later is not read (an earlier version still writing to it)
    first = CassandraStore(cassandra_url)
    await first.open()
    first.session.execute(f"INSERT INTO {ks}.series (name, rollups, aggregation, xff) VALUES ('late.one', '[[10, 8640]]', 'sum', 0.0)")
    await first.close()
    again = CassandraStore(cassandra_url)
    await again.open()
    try:
        assert await again.get_series(["late.one"]) == {}
    finally:
        await again.close()
