"""The embedded store's SQLite page caches: the writer's connection keeps a small one (it
fills with every group row a flush rewrites, and held 16-20 bytes per series more at 1M
series at 16 MiB), the readers' a larger one (what renders read again stays)."""
from tsstore.store.embedded import READER_CACHE_KIB, WRITER_CACHE_KIB, EmbeddedStore


def cache_kib(store):
    return lambda: -store._conn().execute("PRAGMA cache_size").fetchone()[0]


async def test_the_writer_keeps_a_smaller_page_cache_than_the_readers(tmp_path):
    store = EmbeddedStore(tmp_path / "data")
    await store.open()
    try:
        assert await store._on_writer(cache_kib(store)) == WRITER_CACHE_KIB
        assert await store._on_reader(cache_kib(store)) == READER_CACHE_KIB
        assert WRITER_CACHE_KIB < READER_CACHE_KIB
    finally:
        await store.close()
