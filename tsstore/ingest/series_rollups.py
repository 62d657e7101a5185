"""The rollups of every series this process applies points of.

The first time a series id is seen, its metadata is read from the store, or created there
from the schema rules (``series.created``), and the aggregator is given its rollups, with
whether the series is new: a series that existed before may have coarse slots an earlier
process filled, which the aggregator then re-derives from the store instead of overwriting.

What is kept per series is two numbers, no object: the index of its schema (rollups,
aggregation, xFilesFactor: a handful of distinct ones, in a table) and the store's key for
WriteBatch. The steps and retentions of many series are looked up in one numpy step.
"""
from __future__ import annotations

import asyncio
import collections
import time

import numpy as np

from tsstore.ingest.carbon_parser import SeriesRegistry
from tsstore.ingest.counters import Counters
from tsstore.ingest.rollup import RollupAggregator
from tsstore.ingest.store_retry import StoreRetry
from tsstore.model import Rollup, SeriesMeta
from tsstore.store.base import Store

NOT_CONFIGURED = -1
# A shared span is re-derived when noted and again this much later, by when the other writer
# has flushed what it held of the span (its flush interval, 10 s by default, and retries).
SHARED_SPAN_AGAIN_S = 60.0


class SeriesRollups:
    def __init__(self, registry: SeriesRegistry, store: Store, resolver, aggregator: RollupAggregator,
                 counters: Counters, retry: StoreRetry):
        self.registry, self.store, self.resolver, self.aggregator = registry, store, resolver, aggregator
        self.counters, self.retry = counters, retry
        self._schema_of = np.zeros(0, np.int32)  # per series id: index into _schemas, or NOT_CONFIGURED
        self._store_key = np.zeros(0, np.int64)  # per series id: Store.series_keys
        self._schemas: list[tuple[tuple[Rollup, ...], str, float]] = []
        self._schema_index: dict[tuple, int] = {}
        self._steps = np.zeros((0, 1), np.int64)  # per schema and level (0 past its levels)
        self._retentions = np.zeros((0, 1), np.int64)
        self._sums = np.zeros(0, bool)  # per schema: aggregates by sum
        self._shared: set[int] = set()  # series another process writes too (note_shared)
        self._shared_spans: list[tuple[int, int, int]] = []  # (sid, start, end) to re-derive
        self._spans_again: collections.deque = collections.deque()  # (due, sid, start, end), due in order

    def meta(self, sid: int) -> SeriesMeta:
        """The metadata of a series configure() has seen."""
        rollups, aggregation, xff = self._schemas[self._schema_of[sid]]
        return SeriesMeta(self.registry.name_of(sid), rollups, aggregation, xff)

    def known_metas(self, names: list[str]) -> dict[str, SeriesMeta]:
        """The metadata of those of `names` configure() has seen and not forgotten since: what
        the store holds for them (or will, once a creation behind is written), without asking it."""
        sids = np.array([self.registry.get(name.encode("utf-8")) for name in names], np.int64)
        return {name: self.meta(sid) for name, sid, known in zip(names, sids.tolist(), self.configured(sids).tolist())
                if known}

    def store_keys(self, sids: np.ndarray) -> np.ndarray:
        return self._store_key[sids]

    def in_store_key_order(self) -> np.ndarray:
        """Every series id this process gave the aggregator (deleted ones too: their rows are
        drained and dropped), in store key order, the order a flush takes them in: the
        embedded store packs neighbouring keys into one row, so a part of a flush writes
        whole rows."""
        keys = self._store_key  # read once: configure() may replace it meanwhile (this runs off the event loop)
        return np.argsort(keys, kind="stable")

    def steps(self, sids: np.ndarray, level: int) -> np.ndarray:
        return self._steps[self._schema_of[sids], level]

    def retentions(self, sids: np.ndarray, level: int) -> np.ndarray:
        return self._retentions[self._schema_of[sids], level]

    def _schema(self, key: tuple[tuple[Rollup, ...], str, float]) -> int:
        """The index of a (rollups, aggregation, xff) in this process's table."""
        index = self._schema_index.get(key)
        if index is None:
            index = self._schema_index[key] = len(self._schemas)
            self._schemas.append(key)
            levels = max(self._steps.shape[1], len(key[0]))
            steps = np.zeros((len(self._schemas), levels), np.int64)
            retentions = np.zeros_like(steps)
            steps[:-1, : self._steps.shape[1]] = self._steps
            retentions[:-1, : self._retentions.shape[1]] = self._retentions
            steps[-1, : len(key[0])] = [r.step for r in key[0]]
            retentions[-1, : len(key[0])] = [r.retention for r in key[0]]
            self._steps, self._retentions = steps, retentions
            self._sums = np.append(self._sums, key[1] == "sum")
        return index

    def note_shared(self, spans: list[tuple[str, int, int]]) -> None:
        """The store saw another process write these series' finest slots in [start, end)
        (Cassandra compaction): from now on their coarse slots are re-derived from the store,
        and those of the span now and again SHARED_SPAN_AGAIN_S later (take_shared_spans): the
        other writer may not have flushed all its points of the span yet, and a re-derivation
        without them would stand (it counts no fewer finest slots than the shares)."""
        again = time.monotonic() + SHARED_SPAN_AGAIN_S
        for name, start, end in spans:
            sid = self.registry.get(name.encode("utf-8"))
            if 0 <= sid < len(self._schema_of) and self._schema_of[sid] != NOT_CONFIGURED:
                self._shared.add(sid)
                self._shared_spans.append((sid, start, end))
                self._spans_again.append((again, sid, start, end))

    def shared(self, sids: np.ndarray) -> np.ndarray:
        """A mask: which of these series another process writes too."""
        if not self._shared:
            return np.zeros(len(sids), bool)
        return np.isin(np.asarray(sids, np.int64), np.fromiter(self._shared, np.int64, len(self._shared)))

    def take_shared_spans(self) -> list[tuple[int, int, int]]:
        """The (sid, start, end) spans due for re-derivation: those noted since the last call,
        and those noted SHARED_SPAN_AGAIN_S ago."""
        spans, self._shared_spans = self._shared_spans, []
        now = time.monotonic()
        while self._spans_again and self._spans_again[0][0] <= now:
            spans.append(self._spans_again.popleft()[1:])
        return spans

    def forget(self, sids: np.ndarray) -> None:
        """Deleted series: their next point configures them again (created anew in the
        store), and until then what the aggregator holds of them is neither written nor read."""
        sids = np.asarray(sids, np.int64)
        self._schema_of[sids[sids < len(self._schema_of)]] = NOT_CONFIGURED

    def configured(self, sids: np.ndarray) -> np.ndarray:
        """A mask: which of these series are configured (not deleted since; -1, unknown: no)."""
        sids = np.asarray(sids, np.int64)
        inside = (sids >= 0) & (sids < len(self._schema_of))
        out = np.zeros(len(sids), bool)
        out[inside] = self._schema_of[sids[inside]] != NOT_CONFIGURED
        return out

    async def configure(self, sids: np.ndarray) -> None:
        """Give the aggregator the rollups of series it has not seen in this process."""
        size = len(self.registry)
        if len(self._schema_of) < size:
            grow = size - len(self._schema_of) + 1024
            self._schema_of = np.concatenate([self._schema_of, np.full(grow, NOT_CONFIGURED, np.int32)])
            self._store_key = np.concatenate([self._store_key, np.zeros(grow, np.int64)])
        unseen = sids[self._schema_of[sids] == NOT_CONFIGURED]
        if not len(unseen):
            return
        # the distinct ones in id order by a mark per id, not a sort: a run of a burst of new
        # series holds 500k points (np.unique took 0.3 s of it)
        marks = np.zeros(len(self._schema_of), bool)
        marks[unseen] = True
        unknown = np.flatnonzero(marks)
        names = [self.registry.name_of(s) for s in unknown.tolist()]
        maybe = self.store.names_maybe_held(names)  # the store's filter: names certainly new need no lookup
        asked = names if maybe is None else [n for n, held in zip(names, maybe.tolist()) if held]
        lookup = asyncio.ensure_future(self.retry("read series", lambda: self.store.get_series(asked)))
        try:  # the schema rules run while the store looks the names up (the new ones' answer)
            rule_schemas, rule_of = self.resolver.schemas_for(names)
        finally:
            existing = await lookup
        is_new = np.fromiter((n not in existing for n in names), bool, len(names))
        keys, schemas = np.zeros(len(names), np.int64), np.zeros(len(names), np.int32)
        if is_new.any():
            created = np.flatnonzero(is_new)
            # the rules' schemas enter this process's table only when the batch creates series
            schemas[is_new] = np.array([self._schema(s) for s in rule_schemas], np.int32)[rule_of[created]]
            keys[is_new] = await self.retry("create series", lambda: self.store.create_series_columns(
                [names[i] for i in created.tolist()], rule_schemas, rule_of[created]))
            self.counters.add("series.created", len(created))
        if not is_new.all():
            known = [n for n, new in zip(names, is_new.tolist()) if not new]
            keys[~is_new] = await self.retry("read series keys", lambda: self.store.series_keys(known))
            schemas[~is_new] = [self._schema((m.rollups, m.aggregation, m.xff)) for m in (existing[n] for n in known)]
        self.aggregator.set_series_many(unknown, self._steps[schemas], self._retentions[schemas], is_new, self._sums[schemas])
        self._schema_of[unknown] = schemas
        self._store_key[unknown] = keys
