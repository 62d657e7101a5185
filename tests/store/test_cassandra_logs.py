"""Reading Cassandra's series_log (and tag_log, read the same way): a row that becomes readable
after newer ones (a write in flight, a coordinator's clock behind) is still delivered, and a
burst of new series is not read again at every later read (it was, for as long as nothing
newer was created: every find re-read 100k names after a burst)."""
import asyncio
import time

import pytest
from cassandra.util import uuid_from_time

from tsstore.model import Rollup, SeriesMeta
from tsstore.store.cassandra import store as cassandra_store
from tsstore.store.cassandra.store import CassandraStore
from tests.helpers.cassandra import read_series_table

pytestmark = pytest.mark.cassandra

OVERLAP = 1.0  # seconds a row may become readable late (LOG_OVERLAP_S, shortened for the test)


async def test_a_late_row_is_delivered_and_a_burst_is_read_once(cassandra_url, monkeypatch):
    monkeypatch.setattr(cassandra_store, "LOG_OVERLAP_S", OVERLAP)
    store = CassandraStore(cassandra_url)
    await store.open()
    try:
        _, cursor = await read_series_table(store)
        burst = [f"burst.s{i:03d}" for i in range(300)]
        await store.create_series([SeriesMeta(n, (Rollup(60, 86400),)) for n in burst])
        joined, count, cursor = await store.tree_names_after(cursor, 1000)
        assert sorted(joined.split("\n")) == burst
        # a row written now but stamped before the newest row read: readable late
        late_at = time.time() - OVERLAP / 2
        bucket = int(late_at) // 60
        store.session.execute(f"INSERT INTO {store.config.keyspace}.series_log (bucket, at, name) VALUES (%s, %s, %s)",
                              (bucket, uuid_from_time(late_at), "late.series"))
        seen, repeats = set(), 0
        deadline = time.monotonic() + 4 * OVERLAP + 5
        while "late.series" not in seen and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
            joined, count, cursor = await store.tree_names_after(cursor, 1000)
            names = [n for n in joined.split("\n") if n]
            repeats += sum(n in burst for n in names)
            seen.update(names)
        assert "late.series" in seen, "a row readable after newer ones was never delivered"
        # ~30 reads went by; going back on every read repeated the 300 names each time
        assert repeats <= 2 * len(burst), f"{repeats} names of the burst read again"
        # once delivered, reads go quiet
        await asyncio.sleep(2 * OVERLAP + 0.2)
        for _ in range(3):
            joined, count, cursor = await store.tree_names_after(cursor, 1000)
        assert "burst.s000" not in joined.split("\n")
    finally:
        await store.close()


def test_log_rows_name_every_series_once_in_order_in_rows_of_about_log_row_bytes():
    names = [f"a.b{i}." + "x" * (i % 50) for i in range(3000)]
    rows = cassandra_store._log_rows(names)
    assert [n for first, more in rows for n in [first, *(more.split("\n") if more else [])]] == names
    assert all(len(first) + len(more or "") < cassandra_store.LOG_ROW_BYTES + 60 for first, more in rows)
    assert len(rows) <= sum(len(n) + 1 for n in names) // cassandra_store.LOG_ROW_BYTES + 1
    assert cassandra_store._log_rows(["one"]) == [("one", None)] and cassandra_store._log_rows([]) == []


async def test_a_batch_of_new_series_is_a_few_log_rows_and_every_name_is_read_back(cassandra_url):
    store = CassandraStore(cassandra_url)
    await store.open()
    try:
        _, cursor = await read_series_table(store)
        names = [f"many.host{i // 20:03d}.metric{i % 20}" for i in range(3000)]
        await store.create_series([SeriesMeta(n, (Rollup(60, 86400),)) for n in names])
        rows = store.session.execute(f"SELECT count(*) FROM {store.config.keyspace}.series_log").one()[0]
        assert rows < 30, f"{rows} series_log rows for 3,000 series"
        joined, count, cursor = await store.tree_names_after(cursor, 10_000)
        assert sorted(joined.split("\n")) == sorted(names) and count == len(names)
    finally:
        await store.close()


async def test_a_keyspace_of_an_earlier_version_gets_the_log_column_and_its_rows_still_read(cassandra_url):
    """series_log rows of one name each (tsstore before the `more` column) read as before."""
    first = CassandraStore(cassandra_url)
    await first.open()
    ks = first.config.keyspace
    first.session.execute(f"DROP TABLE {ks}.series_log", timeout=60)
    first.session.execute(f"CREATE TABLE {ks}.series_log (bucket bigint, at timeuuid, name text, PRIMARY KEY ((bucket), at, name))",
                          timeout=60)
    _, cursor = await read_series_table(first)
    old_at = time.time()
    first.session.execute(f"INSERT INTO {ks}.series_log (bucket, at, name) VALUES (%s, %s, %s)",
                          (int(old_at) // 60, uuid_from_time(old_at), "old.style.row"))
    await first.close()
    store = CassandraStore(cassandra_url)
    await store.open()  # adds the column
    try:
        await store.create_series([SeriesMeta(n, (Rollup(60, 86400),)) for n in ("new.a", "new.b")])
        joined, _, _ = await store.tree_names_after(cursor, 1000)
        assert sorted(joined.split("\n")) == ["new.a", "new.b", "old.style.row"]
    finally:
        await store.close()
