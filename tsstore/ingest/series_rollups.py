"""The rollups of every series this process applies points of.

The first time a series id is seen, its metadata is read from the store, or created there
from the schema rules (``series.created``), and the aggregator is given its rollups, with
whether the series is new: a series that existed before may have coarse slots an earlier
process filled, which the aggregator then re-derives from the store instead of overwriting.
"""
from __future__ import annotations

import numpy as np

from tsstore.ingest.carbon_parser import SeriesRegistry
from tsstore.ingest.counters import Counters
from tsstore.ingest.rollup import RollupAggregator
from tsstore.ingest.store_retry import StoreRetry
from tsstore.model import SeriesMeta
from tsstore.store.base import Store


class SeriesRollups:
    def __init__(self, registry: SeriesRegistry, store: Store, resolver, aggregator: RollupAggregator,
                 counters: Counters, retry: StoreRetry):
        self.registry, self.store, self.resolver, self.aggregator = registry, store, resolver, aggregator
        self.counters, self.retry = counters, retry
        self._metas: list[SeriesMeta | None] = []
        self._configured = np.zeros(0, bool)

    def meta(self, sid: int) -> SeriesMeta:
        """The metadata of a series configure() has seen."""
        return self._metas[sid]

    async def configure(self, sids: np.ndarray) -> None:
        """Give the aggregator the rollups of series it has not seen in this process."""
        size = len(self.registry)
        if len(self._configured) < size:
            self._configured = np.concatenate([self._configured, np.zeros(size - len(self._configured) + 1024, bool)])
            self._metas.extend([None] * (len(self._configured) - len(self._metas)))
        unknown = np.unique(sids[~self._configured[sids]])
        if not len(unknown):
            return
        names = [self.registry.name_of(int(s)) for s in unknown]
        existing = await self.retry("read series", lambda: self.store.get_series(names))
        new_metas = [self.resolver.meta_for(n) for n in names if n not in existing]
        if new_metas:
            await self.retry("create series", lambda: self.store.create_series(new_metas))
            self.counters.add("series.created", len(new_metas))
        created = {m.name: m for m in new_metas}
        for sid, name in zip(unknown.tolist(), names):
            meta = existing.get(name) or created[name]
            self.aggregator.set_series(
                sid,
                [r.step for r in meta.rollups],
                [r.retention for r in meta.rollups],
                name not in existing,
                sums=meta.aggregation == "sum",
            )
            self._metas[sid] = meta
            self._configured[sid] = True
