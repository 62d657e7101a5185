"""Series another writer writes too (the store noticed at a compaction): the span it noticed is
handed back for re-derivation at once, and again SHARED_SPAN_AGAIN_S later, when the other
writer has flushed what it still held of the span (a re-derivation without those points
stood: 320 of 1,200 coarse slots held one writer's share in one run of
tests/cluster/test_two_writers.py)."""
import logging
import time

import numpy as np

from tsstore.ingest import series_rollups
from tsstore.ingest.carbon_parser import SeriesRegistry
from tsstore.ingest.counters import Counters, RateLimitedLog
from tsstore.ingest.rollup import RollupAggregator
from tsstore.ingest.schemas import SchemaResolver, load_aggregation_text, load_schemas_text
from tsstore.ingest.series_rollups import SeriesRollups
from tsstore.ingest.store_retry import StoreRetry
from tsstore.store.embedded import EmbeddedStore


async def test_a_shared_span_is_handed_back_now_and_again_later(tmp_path, monkeypatch):
    monkeypatch.setattr(series_rollups, "SHARED_SPAN_AGAIN_S", 0.2)
    store = EmbeddedStore(tmp_path)
    await store.open()
    try:
        counters = Counters()
        registry = SeriesRegistry()
        series = SeriesRollups(registry, store, SchemaResolver(load_schemas_text(None), load_aggregation_text(None)),
                               RollupAggregator(), counters, StoreRetry(counters, RateLimitedLog(logging.getLogger("test"))))
        sid = registry.id_of(b"shared.series")
        await series.configure(np.array([sid], np.int64))
        series.note_shared([("shared.series", 600, 1200), ("never.seen", 0, 60)])  # an unknown name: nothing
        assert series.take_shared_spans() == [(sid, 600, 1200)]
        assert series.take_shared_spans() == []
        assert series.shared(np.array([sid, sid + 1])).tolist() == [True, False]
        time.sleep(0.25)
        assert series.take_shared_spans() == [(sid, 600, 1200)]
        assert series.take_shared_spans() == []
    finally:
        await store.close()
