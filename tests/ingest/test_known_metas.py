"""Reads take the metadata of the series the ingest process applies points of from it, not from
the store: on a Cassandra node busy with a burst's writes, that lookup took 100-300 ms of a
render's time. The ingest's answer is the store's (read from it, or created by its rules), in
the ingest process and, over the memory channel, in every other HTTP process; a name the
store's filter says is new is not looked up either."""
import logging

import numpy as np

from tsstore.ingest.carbon_parser import SeriesRegistry
from tsstore.ingest.counters import Counters, RateLimitedLog
from tsstore.ingest.rollup import RollupAggregator
from tsstore.ingest.schemas import SchemaResolver, load_aggregation_text, load_schemas_text
from tsstore.ingest.series_rollups import SeriesRollups
from tsstore.ingest.store_retry import StoreRetry
from tsstore.memory_channel import MemoryChannelClient, MemoryChannelServer
from tsstore.model import Rollup, SeriesMeta
from tsstore.store.embedded import EmbeddedStore
from tsstore.store.with_memory import StoreWithMemory

EARLIER = SeriesMeta("old.kept", (Rollup(60, 1440), Rollup(3600, 720)), "max", 0.0)


async def test_reads_ask_the_store_only_for_series_the_ingest_does_not_know(tmp_path):
    store = EmbeddedStore(tmp_path / "store")
    await store.open()
    server = None
    try:
        await store.create_series([EARLIER, SeriesMeta("stored.only", (Rollup(10, 100),), "sum", 0.3)])
        counters = Counters()
        registry = SeriesRegistry()
        series = SeriesRollups(registry, store, SchemaResolver(load_schemas_text(None), load_aggregation_text(None)),
                               RollupAggregator(), counters, StoreRetry(counters, RateLimitedLog(logging.getLogger("test"))))
        sids = np.array([registry.id_of(b"old.kept"), registry.id_of(b"new.made"), registry.id_of(b"deleted.one")])
        await series.configure(sids)
        series.forget(sids[2:])
        made = (await store.get_series(["new.made"]))["new.made"]
        known = series.known_metas(["old.kept", "new.made", "deleted.one", "never.seen"])
        assert known == {"old.kept": EARLIER, "new.made": made}  # what the store holds, whoever created it

        asked = []

        class Counted:  # the real store; what reads ask of it is noted
            async def get_series(self, names):
                asked.append(sorted(names))
                return await store.get_series(names)

            def names_maybe_held(self, names):
                return store.names_maybe_held(names)

        server = await MemoryChannelServer(lambda *a: {}, tmp_path, None, series.known_metas).start()
        client = MemoryChannelClient(tmp_path)
        for ingest_metas in (client.ingest_metas, None):
            asked.clear()
            reads = StoreWithMemory(Counted(), client, ingest_metas=ingest_metas)
            got = await reads.get_series(["old.kept", "new.made", "stored.only", "never.seen"])
            assert set(got) == {"old.kept", "new.made", "stored.only"} and got["old.kept"] == EARLIER
            if ingest_metas is not None:
                assert asked == [["never.seen", "stored.only"]]
            else:  # without the ingest's answer every name is looked up
                assert asked == [["never.seen", "new.made", "old.kept", "stored.only"]]
        # the ingest process's store knows every name it holds: one never created is not looked up
        store.know_every_name()
        await store._names_load
        asked.clear()
        reads = StoreWithMemory(Counted(), client, ingest_metas=client.ingest_metas)
        assert set(await reads.get_series(["old.kept", "stored.only", "never.seen"])) == {"old.kept", "stored.only"}
        assert asked == [["stored.only"]]
    finally:
        if server is not None:
            await server.stop()
        await store.close()
