"""The Cassandra store (cassandra-driver): the Store protocol over the keyspace of
tsstore.store.cassandra.schema, configured by a cassandra:// URL (options).

Why groups: a flush writes a small segment for every series it holds. As a row each, even
batched per partition, a flush of 100k series was 300k rows, and the rows' Python work in the
driver, and the node's, held up the reads that met it. Series share a shard partition
(shard = crc32(name) % shards) and, inside it, a bucket; one write packs the pieces of every
series of a (shard, bucket) and window into one group row (segment_groups.NAMED_FORMAT, in
segments_by_shard under schema.group_row_name): 4,096 groups by default, so a flush is a few
thousand rows whatever the series count. A read asks for the series' own rows and its
bucket's group rows in one `name IN`. A (shard, bucket, level, window) whose group rows reach
COMPACT_AFTER, whose pieces are bulky, or whose writes moved on to a newer window, is
compacted: each series' pieces merged with its own row into one row per writer, then exactly
the rows read deleted. A compaction that finds another writer's rows of a series reports it
(on_shared_writes): that series' coarse slots are re-derived from the store.
Every statement is prepared; requests go out concurrently with a bounded number in flight
(requests). Every row carries its retention as TTL, so Cassandra expires the data itself.
The ingest process's creations and flush batches are written by a child process running a
store of its own (write_in_child, writer_process): the driver's work off the GIL of the
process that ingests and answers reads.
"""
from __future__ import annotations

import asyncio
import hashlib
import itertools
import logging
import ssl
import time
import zlib
from collections import defaultdict
from pathlib import Path

import numpy as np
from cassandra.policies import HostStateListener
from cassandra.util import unix_time_from_uuid1

from tsstore.events import Event
from tsstore.index import globs
from tsstore.index.tag_index import TagLogTrimmed
from tsstore.index.tags import tag_rows
from tsstore.model import Node, SeriesMeta, Slots, WriteBatch, columns_of
from tsstore.store import segment_codec as codec
from tsstore.store import segment_groups
from tsstore.store.base import WINDOW_SLOTS, WRITER_MASK, SegmentStore, rollups_of_text, rollups_text, tree_rows_of, write_order
from tsstore.store.cassandra.options import CassandraConfig, parse_cassandra_url
from tsstore.store.cassandra.requests import batches, run_all
from tsstore.store.cassandra.schema import (GROUP_ROW_PREFIX, ROOT, SERIES_LOG_TTL, create_schema, group_row_name,
                                            prepare_statements, shard_of)
from tsstore.store.cassandra.writer_process import StoreWriterProcess, batch_message, metas_message
from tsstore.store.creation_behind import CreatesBehind, CreationBehind
from tsstore.store.errors import StoreUnavailable
from tsstore.store.name_filter import NameFilter

# How long children() answers from its cache (other processes add nodes meanwhile), and how
# often a process with cached children asks whether any process added nodes since (the
# store_meta 'tree_changed' mark every node-adding create_series rewrites): a series created
# elsewhere (another node, import-whisper) is in globbed finds within about a second.
CHILDREN_CACHE_SECONDS = 10.0
TREE_CHECK_SECONDS = 0.5
LOG_OVERLAP_S = 5.0  # how late a series_log or tag_log row may become readable (see _log_after)
LOG_ROW_BYTES = 4000  # of names per series_log row: under the batch size Cassandra warns about
# A group row whose pieces average more than this is compacted at once: every read of one of
# its series reads the whole row, which a flush keeps small (a few slots a series) but a
# backfill or an import fills with days of slots for each of its series.
BULKY_PIECE_BYTES = 256
# How often the ingest's filter of names (know_every_name) reads the series_log for the series
# other processes created, and the series table rows read at once before that.
NAMES_FOLLOW_SECONDS = 0.5
NAMES_SCAN_ROWS = 5000
KEY_GROUP_BITS = 23  # of a series key, above its 40 hash bits: the group (shard, bucket) it is packed into

log = logging.getLogger(__name__)


def _log_cursor(began: float) -> tuple:
    """Where a reader of a log table starts after reading the table it logs (begun at
    `began`): ("log", newest row read, time before which every row has been read)."""
    return ("log", began - LOG_OVERLAP_S, began - LOG_OVERLAP_S)


def _log_rows(names: list[str]) -> list[tuple[str, str | None]]:
    """series_log rows naming `names`: (the first name, the others joined by '\n'), about
    LOG_ROW_BYTES each. A row per name was a third of what creating a series cost the node
    and the driver."""
    rows, start, size = [], 0, 0
    for i, name in enumerate(names):
        size += len(name) + 1
        if size >= LOG_ROW_BYTES or i == len(names) - 1:
            rows.append((names[start], "\n".join(names[start + 1 : i + 1]) or None))
            start, size = i + 1, 0
    return rows


def _ttl(expires_at, now: int):
    """Seconds to keep a row (of an int or an array of expiry times); Cassandra (4.x storage
    format) caps expiry at 2038-01-19."""
    return np.clip(np.asarray(expires_at, np.int64) - now, 1, min(630_720_000, 2**31 - 1 - now - 86400))


# Series metadata kept for reads (about 250 B each): renders of the same panels hit it; an
# ingest process that configures a million existing series must not keep them all.
META_CACHE_MAX = 100_000

class _HostsBack(HostStateListener):
    """Calls the store's reconnect callbacks when the driver sees a node up or added (from
    the driver's threads)."""

    def __init__(self, callbacks: list):
        self.callbacks = callbacks

    def _back(self, host) -> None:
        for callback in list(self.callbacks):
            callback()

    on_up = on_add = _back

    def on_down(self, host) -> None:
        pass

    def on_remove(self, host) -> None:
        pass


class CassandraStore(CreatesBehind, SegmentStore):
    kind = "cassandra"

    def __init__(self, url_or_config: str | CassandraConfig):
        super().__init__()
        self.config = parse_cassandra_url(url_or_config) if isinstance(url_or_config, str) else url_or_config
        self.cluster = None
        self.session = None
        self._known_branches: set[tuple[str, str]] = set()  # (parent, child) rows written: a few per thousand series
        self._children_cache: dict[str, tuple[float, list[Node]]] = {}
        self._tree_mark: str | None = None  # the last 'tree_changed' value seen
        self._tree_checked = 0.0
        self._meta_cache: dict[str, SeriesMeta] = {}  # read back by renders; at most META_CACHE_MAX
        self._reconnect_callbacks: list = []
        self._behind: CreationBehind | None = None  # create_behind
        self._names_task: asyncio.Task | None = None
        self._writer_process: StoreWriterProcess | None = None  # write_in_child

    # -- connection and schema ----------------------------------------------------
    async def open(self) -> None:
        await asyncio.get_running_loop().run_in_executor(None, self._connect)

    def _connect(self) -> None:
        from cassandra import ConsistencyLevel
        from cassandra.auth import PlainTextAuthProvider
        from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile
        from cassandra.query import tuple_factory
        from cassandra.policies import DCAwareRoundRobinPolicy, ExponentialReconnectionPolicy, TokenAwarePolicy

        c = self.config
        profile = ExecutionProfile(
            load_balancing_policy=TokenAwarePolicy(DCAwareRoundRobinPolicy(local_dc=c.local_dc)),
            consistency_level=getattr(ConsistencyLevel, c.consistency),
            request_timeout=10,
            # plain tuples: the default factory builds a namedtuple class for every response,
            # which cost more than the statement itself when series are created by the 100k
            row_factory=tuple_factory,
        )
        kwargs = {}
        if c.username:
            kwargs["auth_provider"] = PlainTextAuthProvider(c.username, c.password or "")
        if c.tls:
            ctx = ssl.create_default_context(cafile=c.tls_ca)
            kwargs["ssl_context"] = ctx
        # Reconnect within 2 s after an outage (the driver's default backs off to 10 min): a
        # connection attempt is cheap, and the WAL's backlog drains from then on.
        self.cluster = Cluster(c.hosts, port=c.port, protocol_version=5, execution_profiles={EXEC_PROFILE_DEFAULT: profile},
                               connect_timeout=10, reconnection_policy=ExponentialReconnectionPolicy(0.5, 2.0), **kwargs)
        self.cluster.register_listener(_HostsBack(self._reconnect_callbacks))
        try:
            self.session = self.cluster.connect()
        except Exception as exc:
            raise StoreUnavailable(f"cannot connect to Cassandra at {','.join(c.hosts)}:{c.port}: {exc}") from exc
        try:
            self.shards, self.buckets = create_schema(self.session, c)
        except Exception as exc:  # e.g. too few replicas up for the configured consistency
            self.cluster.shutdown()
            raise StoreUnavailable(
                f"cannot open keyspace {c.keyspace} at consistency {c.consistency}: {type(exc).__name__}: {exc} "
                "(if that is a node down: consistency=ONE, or rf=3 with LOCAL_QUORUM, go on with one; README, Running several nodes)") from exc
        self.q = prepare_statements(self.session, c.keyspace)

    def on_reconnect(self, callback) -> None:
        self._reconnect_callbacks.append(callback)

    async def close(self) -> None:
        if self._names_task is not None:
            self._names_task.cancel()
            await asyncio.gather(self._names_task, return_exceptions=True)
        if self._behind is not None:
            await self._behind.close()
        if self._writer_process is not None:  # after the creations pending: it writes them
            await self._writer_process.close()
        if self.cluster is not None:
            await asyncio.get_running_loop().run_in_executor(None, self.cluster.shutdown)
            self.cluster = None

    # -- async bridge ---------------------------------------------------------------
    async def _run_all(self, calls):
        return await run_all(self.session, calls, self.config.inflight)

    async def _run(self, stmt, params=()):
        return (await self._run_all([(stmt, params)]))[0]

    # -- series, tree, tags ------------------------------------------------------------
    def forget_branches(self) -> None:
        """Write every branch row again from now on: a deletion may have pruned some."""
        self._known_branches.clear()

    def write_in_child(self, writer: int | None) -> None:
        """From now on series creations and flush batches are written by a child process with
        its own driver session (tsstore.store.cassandra.writer_process); the ingest process's
        mode, after set_writer (the child writes in that writer's name)."""
        if self._writer_process is None:
            self._writer_process = StoreWriterProcess(self.config, writer)
            self._writer_process.start()

    def create_behind(self, retry, busy=lambda: False) -> None:
        """From now on create_series answers at once and writes behind (tsstore.store.creation_behind);
        the ingest process's mode. `retry` retries a failing write (StoreRetry); `busy()`: the
        ingest has points to apply."""
        self._behind = CreationBehind(
            lambda names, schemas: self.create_now([SeriesMeta(n, *schema) for n, schema in zip(names, schemas)]),
            retry, busy=busy)

    def know_every_name(self) -> None:
        """The ingest process: a filter of every untagged name the store holds (the series
        table, then the series_log every NAMES_FOLLOW_SECONDS for what other processes create),
        so that a burst of new series needs no lookup: it took 0.3-1.2 s per batch of a burst,
        and 100-300 ms for one new series while the node was busy writing. A name another
        process created since the last read of the log is taken as new: created again, under
        the same key (keys follow from names), its metadata written again by this process's
        rules (the same where the nodes share their schema files, as two creations at once
        already did). Tagged names are always looked up (their log is not followed here)."""
        if self._names is None:
            self._names = NameFilter()
            self._names_task = asyncio.ensure_future(self._follow_names(self._names))

    async def _follow_names(self, names: NameFilter) -> None:
        cursor, failing = None, False
        while True:
            try:
                joined, count, after = await self.tree_names_after(cursor, NAMES_SCAN_ROWS)
            except Exception as exc:  # noqa: BLE001 - tried again; meanwhile as described above, a little longer
                if not failing:
                    log.warning("keyspace %s: reading the series names failed (%s); trying again every %.0f s",
                                self.config.keyspace, exc, 10 * NAMES_FOLLOW_SECONDS)
                failing = True
                await asyncio.sleep(10 * NAMES_FOLLOW_SECONDS)
                continue
            failing = False
            if joined:
                names.add(joined.split("\n"))
            cursor = after
            if after[0] != "scan":  # the table is read: from now on only the log's news
                names.loaded()
                await asyncio.sleep(NAMES_FOLLOW_SECONDS)

    def names_maybe_held(self, names: list[str]) -> np.ndarray | None:
        if self._names is None or not self._names.complete:
            return None
        return self._names.may_hold(names) | np.fromiter((";" in n for n in names), bool, len(names))

    async def create_series(self, metas: list[SeriesMeta]) -> np.ndarray:
        if self._names is not None:  # before they are written: a lookup meanwhile finds them pending
            self._names.add([m.name for m in metas if ";" not in m.name])
        if self._behind is not None:
            await self._behind.add([m.name for m in metas], [(m.rollups, m.aggregation, m.xff) for m in metas])
        else:
            await self.create_now(metas)
        names = [m.name for m in metas]
        # this process's indexes find them at once (tsstore.index.store_sync)
        self._tell_created(names)
        return self._keys_of(names)

    async def create_now(self, metas: list[SeriesMeta]) -> None:
        """Write these series' rows (series, tree, logs, tags) before returning."""
        if self._writer_process is not None:
            await self._writer_process.call({"op": "create", "metas": metas_message(metas)})
            self._children_cache.clear()  # the child wrote their tree rows
            return
        # Building the rows is Python work (0.6 s for 100k series): off the event loop, so the
        # listeners and the reads go on meanwhile.
        statements, added_nodes = await asyncio.get_running_loop().run_in_executor(None, self._creation_rows, metas)
        await self._run_all(statements)
        if added_nodes:  # after the nodes: a process that sees the mark finds them
            await self._run(self.q["tree_changed_put"], (f"{time.time_ns()}",))

    def _creation_rows(self, metas: list[SeriesMeta]) -> tuple[list, bool]:
        """The statements creating these series, and whether they add tree nodes. Series,
        tree and tag rows of many series share partitions (a shard, a parent, a tag): batched
        per partition like segments. On a worker thread: two creations at once at worst both
        write a branch row."""
        items = []
        for m in metas:
            shard = self.shard_of(m.name)
            items.append((("series", shard), self.q["series_put"], (shard, m.name, rollups_text(m.rollups), m.aggregation, m.xff),
                          len(m.name) + 60))
            if ";" in m.name:
                items.extend((("tag", tag), self.q["tag_put"], (tag, value, m.name), len(m.name) + 60) for tag, value in tag_rows(m.name))
        bucket = int(time.time()) // 60
        items.extend((("log", bucket), self.q["log_put"], (bucket, first, more), LOG_ROW_BYTES)
                     for first, more in _log_rows([m.name for m in metas if ";" not in m.name]))
        items.extend((("tag_log", bucket), self.q["tag_log_put"], (bucket, m.name, True), len(m.name) + 40)
                     for m in metas if ";" in m.name)
        added_nodes = False
        for parent, child, leaf in tree_rows_of(m.name for m in metas if ";" not in m.name):
            key = (parent or ROOT, child)
            if not leaf:
                if key in self._known_branches:
                    continue
                self._known_branches.add(key)
            added_nodes = True
            items.append((("node", key[0]), self.q["leaf" if leaf else "branch"], key, len(key[0]) + len(child) + 40))
            self._children_cache.pop(parent, None)
        return self._batches(items), added_nodes

    # The path index (tsstore.index.paths) reads the series table once, a shard after the
    # other, then the series_log from a little before that read began (see _log_after).
    lists_tree_names = True
    tree_poll_seconds = 0.2  # at most this often per process: each catch-up is a few queries

    async def tree_names_after(self, cursor, limit: int):
        if not cursor:  # the first read: the series table from its first shard
            cursor = ("scan", time.time(), 0, "")
        if cursor[0] == "scan":
            _, began, shard, last = cursor
            rows = await self._run(self.q["series_scan"], (shard, last, limit))
            names = [name for name, in rows if ";" not in name]
            if len(rows) == limit:
                after = ("scan", began, shard, rows[-1][0])
            else:
                after = ("scan", began, shard + 1, "") if shard + 1 < self.shards else _log_cursor(began)
            return "\n".join(names), max(len(rows), 1), after  # 1: the next shard, or the switch to the log, is progress too
        if time.time() - cursor[2] > SERIES_LOG_TTL - 3600:  # the log no longer reaches back: read the table again
            return await self.tree_names_after(None, limit)
        rows, after = await self._log_after(self.q["log_since"], cursor)
        joined = "\n".join(name if not more else f"{name}\n{more}" for name, more in rows)
        return joined, joined.count("\n") + 1 if rows else 0, after

    async def _log_after(self, stmt, cursor: tuple) -> tuple[list[tuple], tuple]:
        """The rows of a log table (series_log, tag_log) after a _log_cursor, oldest first and
        without their time, and the cursor after them.

        A row can become readable after newer ones (in flight, coordinators' clocks), up to
        LOG_OVERLAP_S late. Most reads take the rows after the newest one read; once every
        LOG_OVERLAP_S a read goes back to the time before which every row has been read, and
        repeats what it finds again (readers take a repeat as a no-op). Going back on every
        read re-read a burst of 100k new series at every find, long after the burst."""
        _, newest, complete = cursor
        now = time.time()
        sweep = now - complete >= 2 * LOG_OVERLAP_S
        # a sweep from `complete` on; else from the millisecond after the newest row read
        since_ms = int(complete * 1000) if sweep else round(newest * 1000) + 1
        buckets = range(since_ms // 60_000 - 1, int(now) // 60 + 2)  # writers' minutes, give or take one
        parts = await self._run_all((stmt, (b, since_ms)) for b in buckets)
        # the time as milliseconds (toUnixTimestamp): a timeuuid object per row cost more than
        # the read while series were created by the 100k; within a millisecond, a partition's order
        rows = sorted(((at_ms, rest) for part in parts for at_ms, *rest in part), key=lambda r: r[0])
        if rows:
            newest = max(newest, rows[-1][0] / 1000)
        return [tuple(rest) for _, rest in rows], ("log", newest, now - LOG_OVERLAP_S if sweep else complete)

    async def get_series(self, names: list[str]) -> dict[str, SeriesMeta]:
        out = self._behind.pending_metas(names) if self._behind is not None else {}
        out.update((n, self._meta_cache[n]) for n in names if n in self._meta_cache)
        results = await self._run_all((self.q["series_get_many"], (shard, chunk))
                                      for shard, chunk in self._by_shard([n for n in names if n not in out]))
        for rows in results:
            for name, rollups, aggregation, xff in rows:
                meta = SeriesMeta(name, rollups_of_text(rollups), aggregation, xff)
                self._meta_cache[name] = out[name] = meta
        if len(self._meta_cache) > META_CACHE_MAX:  # the oldest half goes: bounded, and no LRU bookkeeping per hit
            for name in list(itertools.islice(self._meta_cache, len(self._meta_cache) // 2)):
                del self._meta_cache[name]
        return out

    async def _drop_cache_if_tree_changed(self) -> None:
        if time.monotonic() - self._tree_checked < TREE_CHECK_SECONDS:
            return
        self._tree_checked = time.monotonic()
        rows = await self._run(self.q["tree_changed_get"])
        mark = next(iter(rows), (None,))[0]
        if mark != self._tree_mark:
            self._tree_mark = mark
            self._children_cache.clear()

    async def children(self, parent: str) -> list[Node]:
        if self._children_cache:
            await self._drop_cache_if_tree_changed()
        cached = self._children_cache.get(parent)
        if cached and time.monotonic() - cached[0] < CHILDREN_CACHE_SECONDS:
            return cached[1]
        rows = await self._run(self.q["children"], (parent or ROOT,))
        prefix = parent + "." if parent else ""
        nodes = sorted((Node(prefix + name, bool(leaf), bool(branch)) for name, leaf, branch in rows), key=lambda n: n.path)
        self._children_cache[parent] = (time.monotonic(), nodes)
        return nodes

    async def find(self, pattern: str) -> list[Node]:
        """As the base find, over the children cache; an exact path that is not found is looked
        up again uncached: another process (the ingest process, another node) may have created
        it since the cache was filled, and a missing single-series panel is worse than a read."""
        nodes = await super().find(pattern)
        if nodes or globs.has_magic(pattern):
            return nodes
        parts = pattern.split(".")
        for i in range(len(parts)):
            self._children_cache.pop(".".join(parts[:i]), None)
        return await super().find(pattern)

    async def tag_names(self) -> list[str]:
        return sorted(r[0] for r in await self._run(self.q["tag_names"]))

    async def tag_values(self, tag: str) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for value, _ in await self._run(self.q["tag_values"], (tag,)):
            counts[value] += 1
        return dict(sorted(counts.items()))

    async def series_with_tag(self, tag: str, value: str | None = None) -> list[str]:
        if value is None:
            return sorted({name for _, name in await self._run(self.q["tag_values"], (tag,))})
        return sorted(r[0] for r in await self._run(self.q["tag_series"], (tag, value)))

    async def forget_tagged(self, names: list[str]) -> int:
        await self.creations_settled()  # a pending tagged series must not come back after
        found = await self._run_all((self.q["tag_one"], ("name", tag_rows(n)[0][1], n)) for n in names if ";" in n)
        deletes = [(self.q["tag_del"], (tag, value, n)) for n in names for tag, value in tag_rows(n)]
        await self._run_all(deletes)
        bucket = int(time.time()) // 60
        await self._run_all((self.q["tag_log_put"], (bucket, n, False)) for n in names if ";" in n)
        return sum(1 for rows in found if rows)

    # The tag index (tsstore.index.tag_index) reads the tagged series once, then tag_log the
    # way the path index reads series_log (LOG_OVERLAP_S back each time, in log order).
    keeps_tag_log = True

    async def tagged_names(self) -> tuple[list[str], object]:
        began = time.time()
        rows = await self._run(self.q["tag_values"], ("name",))
        return [name for _, name in rows], _log_cursor(began)

    async def tag_changes_after(self, cursor, limit: int):
        behind = time.time() - cursor[2]
        if behind > SERIES_LOG_TTL - 3600:
            raise TagLogTrimmed(f"tag_log keeps {SERIES_LOG_TTL} s; this reader is at {behind:.0f} s behind")
        rows, after = await self._log_after(self.q["tag_log_since"], cursor)
        return [(name, tagged) for name, tagged in rows], after

    # -- lifecycle ------------------------------------------------------------------------
    keeps_deletion_log = True
    written_by_several = True  # ingest processes follow each other's deletions (tsstore.ingest.deletion_follower)

    async def last_writes(self, names: list[str]) -> dict[str, int]:
        results = await self._run_all((self.q["activity_get_many"], (shard, chunk)) for shard, chunk in self._by_shard(names))
        return {name: last for rows in results for name, last in rows if last is not None}

    async def delete_series(self, names: list[str], request: str) -> int:
        await self.creations_settled()  # a pending series must not come back after its deletion
        names = list(dict.fromkeys(names))
        metas = await self.get_series(names)
        gone = [n for n in names if n in metas]
        lasts = await self.last_writes(gone)
        now = int(time.time())
        items = []
        in_groups: dict[tuple, set[str]] = defaultdict(set)  # (shard, level, window, bucket) -> names
        for name in gone:
            shard, bucket = self.group_of(name)
            for level, rollup in enumerate(metas[name].rollups):
                span = rollup.step * WINDOW_SLOTS
                # every window retention can still hold, and the next (a clock ahead of ours)
                for window in self.windows_between(rollup.step, now - rollup.retention - span, now + 2 * span):
                    items.append(((shard, level, window), self.q["segments_del"], (shard, level, window, name), len(name) + 40))
                    in_groups[(shard, level, window, bucket)].add(name)
            items.append((("series", shard), self.q["series_del"], (shard, name), len(name) + 20))
            if name in lasts:  # newer than the row's own timestamp (its slot time), older than any later write
                items.append((("activity", shard), self.q["activity_del"], (lasts[name] * 1_000_000 + 1, shard, name),
                              len(name) + 30))
        await self._drop_group_pieces(in_groups, now)
        await self._run_all(await asyncio.get_running_loop().run_in_executor(None, self._batches, items))
        await self.forget_tagged([n for n in gone if ";" in n])
        await self._prune_tree([n for n in gone if ";" not in n])
        for name in gone:
            self._meta_cache.pop(name, None)
        day = now // 86400
        await self._run_all((self.q["deletion_put"], (day, name, request)) for name in gone)
        return len(gone)

    async def _drop_group_pieces(self, in_groups: dict[tuple, set[str]], now: int) -> None:
        """Take deleted series' pieces out of the group rows of their buckets: each row holding
        one is written again without them (or deleted, when nothing else is left), as of just
        after its own write. A compaction that read the row first writes the deleted series' merge
        as of then too, under the tombstones delete_series writes now."""
        keys = list(in_groups)
        writes = []
        for (shard, level, window, bucket), rows in zip(keys, await self._run_all(
                (self.q["group_get_to_merge"], (shard, level, window, group_row_name(bucket))) for shard, level, window, bucket in keys)):
            gone = in_groups[(shard, level, window, bucket)]
            part = (shard, level, window)
            for seq, data, written in rows:
                group = self._readable_group(data, part, bucket, seq)
                if group is None or gone.isdisjoint(group.names):
                    continue
                kept = [i for i, name in enumerate(group.names) if name not in gone]
                if not kept:
                    writes.append((part, self.q["drop_merged"], (written + 1, *part, group_row_name(bucket), seq), 60))
                    continue
                blob = segment_groups.pack_named([group.names[i] for i in kept], group.steps[kept], group.expires_at[kept],
                                                 [group.piece(i) for i in kept])
                writes.append((part, self.q["put_merged"], (*part, group_row_name(bucket), seq, blob,
                                                           int(_ttl(group.expires_at[kept].max(), now)), written + 1), len(blob) + 40))
        await self._run_all(self._batches(writes))

    async def _prune_tree(self, names: list[str]) -> None:
        """As the embedded store's: leaves unmarked, nodes left neither leaf nor branch
        deleted, and branches left without children, up to the root."""
        if not names:
            return

        async def unmark(path: str, flag: str) -> None:
            parent, _, child = path.rpartition(".")
            key = (parent or ROOT, child)
            row = next(iter(await self._run(self.q["node_get"], key)), None)
            if row is None:
                return
            leaf, branch = bool(row[0]), bool(row[1])
            other = branch if flag == "leaf" else leaf
            await self._run(self.q[f"node_un{flag}"] if other else self.q["node_del"], key)

        await asyncio.gather(*(unmark(n, "leaf") for n in names))
        emptied = {n.rpartition(".")[0] for n in names} - {""}
        while emptied:  # deepest first: a branch emptied here may empty its own parent
            deepest = max(p.count(".") for p in emptied)
            level = [p for p in emptied if p.count(".") == deepest]
            emptied.difference_update(level)
            children = await self._run_all((self.q["node_any_child"], (p,)) for p in level)
            bare = [p for p, rows in zip(level, children) if not rows]
            await asyncio.gather(*(unmark(p, "branch") for p in bare))
            emptied.update(p.rpartition(".")[0] for p in bare if "." in p)
        # this process's caches (and its writer process's), and every other process's children
        # cache (the mark)
        self.forget_branches()
        if self._writer_process is not None:
            await self._writer_process.call({"op": "forget_branches"})
        self._children_cache.clear()
        await self._run(self.q["tree_changed_put"], (f"{time.time_ns()}",))

    async def deletion_cursor(self) -> float:
        # from before the series_log a path index starts reading (tree_names_after), with a
        # minute for clocks: a series that log lists may have been deleted since
        return time.time() - LOG_OVERLAP_S - 60

    async def deletions_after(self, cursor: float, limit: int) -> tuple[list[tuple[float, str, str]], float]:
        rows = await self.deletions_since(cursor - LOG_OVERLAP_S, limit)
        for _, name, _ in rows:  # deleted by another process: this one's copy is stale
            self._meta_cache.pop(name, None)
        return rows, max([cursor] + [at for at, _, _ in rows])

    async def deletions_since(self, when: float, limit: int) -> list[tuple[float, str, str]]:
        days = range(int(when) // 86400, int(time.time()) // 86400 + 2)
        since_ms = int(when * 1000)
        parts = await self._run_all((self.q["deletions_since"], (day, since_ms)) for day in days)
        rows = sorted((at.time, unix_time_from_uuid1(at), name, request) for part in parts for at, name, request in part)
        return [(at, name, request) for _, at, name, request in rows[:limit]]

    # -- events ------------------------------------------------------------------------
    async def add_event(self, event: Event) -> int:
        # Cassandra has no sequence: the id is the insertion time in microseconds, kept
        # increasing within this process (COMPATIBILITY.md: ids are not 1, 2, 3...).
        self._last_event_id = event_id = max(time.time_ns() // 1000, getattr(self, "_last_event_id", 0) + 1)
        day = int(event.when // 86400)
        await self._run_all([
            (self.q["event_put"], (day, event.when, event_id, event.what, event.data, event.tags)),
            (self.q["event_day_put"], (day,)),
            (self.q["event_id_put"], (event_id, day, event.when)),
        ])
        return event_id

    async def events_between(self, start: float, end: float) -> list[Event]:
        days = await self._run(self.q["event_days"], (int(start // 86400), int(end // 86400)))
        parts = await self._run_all((self.q["events_in_day"], (d[0], float(start), float(end))) for d in days)
        events = [Event(at, what, data or "", list(tags or []), eid) for rows in parts for at, eid, what, data, tags in rows]
        return sorted(events, key=lambda e: (e.when, e.id))

    async def get_event(self, event_id: int) -> Event | None:
        where = await self._run(self.q["event_by_id"], (event_id,))
        if not where:
            return None
        rows = await self._run(self.q["event_get"], (where[0][0], where[0][1], event_id))
        return next((Event(at, what, data or "", list(tags or []), eid) for at, eid, what, data, tags in rows), None)

    # -- points ------------------------------------------------------------------------
    def shard_of(self, name: str) -> int:
        return shard_of(name, self.shards)

    def _by_shard(self, names) -> list[tuple[int, list[str]]]:
        """(shard, up to 100 of the names in it) for each query reading tables keyed (shard,
        name) by name: one request per name was the cost of taking in 100k new series."""
        by_shard: dict[int, list[str]] = defaultdict(list)
        for name in dict.fromkeys(names):
            by_shard[self.shard_of(name)].append(name)
        return [(shard, members[i : i + 100]) for shard, members in by_shard.items() for i in range(0, len(members), 100)]

    def group_of(self, name: str) -> tuple[int, int]:
        """(shard, bucket) of a series: the group rows its pieces are packed into."""
        crc = zlib.crc32(name.encode())
        return crc % self.shards, crc // self.shards % self.buckets

    def _batches(self, items: list[tuple]) -> list:
        hosts = self.cluster.metadata.all_hosts() if self.cluster is not None else []
        return batches(items, self.config.batch_bytes, self._replicas_of if len(hosts) > 1 else None)

    def _replicas_of(self, bound) -> tuple:
        """The hosts holding a statement's partition: small partitions share a batch only with
        others of the same replicas, so the batch's coordinator holds them all."""
        return tuple(self.cluster.metadata.get_replicas(self.config.keyspace, bound.routing_key))

    def _groups_of_keys(self, keys: np.ndarray, names: list[str]) -> np.ndarray:
        """shard * buckets + bucket of each series (group_of), from its key's high bits where
        they hold it whole (_keys_of): a crc32 of every name of a flush cost about 1.5 s of
        Python per million series written."""
        if self.shards * self.buckets <= 1 << KEY_GROUP_BITS:
            return np.asarray(keys, np.int64) >> 40
        return np.array([shard * self.buckets + bucket for shard, bucket in map(self.group_of, names)], np.int64)

    def _keys_of(self, names: list[str]) -> np.ndarray:
        """Each name's group (shard, bucket) in the high bits and a 40-bit hash below: keys
        only order a flush (its parts then cover whole groups) and identify series within a
        batch (a collision puts two series' pieces into two rows, never mixes data), and
        need no round trip."""
        out = np.empty(len(names), np.int64)
        for i, name in enumerate(names):
            shard, bucket = self.group_of(name)
            low = int.from_bytes(hashlib.blake2b(name.encode(), digest_size=5).digest(), "little")
            out[i] = ((shard * self.buckets + bucket) % (1 << KEY_GROUP_BITS)) << 40 | low
        return out

    async def series_keys(self, names: list[str]) -> np.ndarray:
        return self._keys_of(names)

    async def write_batch(self, batch: WriteBatch) -> None:
        if not len(batch):
            return
        # the store holds no points of a series it does not list, and the WAL is trimmed only
        # after this: a crash before the series are written replays their points
        await self.creations_settled()
        if self._writer_process is not None:
            message = await asyncio.get_running_loop().run_in_executor(None, batch_message, batch)
            reply = await self._writer_process.call({"op": "write", "batch": message})
            self._noted_shared([tuple(span) for span in reply["shared"]])
            return
        # Encoding and building statements is Python work: off the event loop so the
        # listeners keep reading.
        prepared, due = await asyncio.get_running_loop().run_in_executor(None, self._prepare_batch, batch)
        await self._run_all(prepared)
        if due:
            await self._compact(due)

    def _prepare_batch(self, batch: WriteBatch) -> tuple[list, list]:
        """The batch's segments packed into group rows, one per (shard, bucket,
        window) whatever the number of series in it (a series with two segments for one window
        in the batch: a row each, the later with the later seq), its activity rows, and the
        (shard, bucket, level, window)s to compact now: their rows reached COMPACT_AFTER, a
        row of bulky pieces was just written, or the writes moved on to a newer window."""
        now = int(time.time())
        seg = self.encode(batch)
        live = np.flatnonzero(seg.expires_at - now > 0)  # the rest is already outside retention
        level = batch.level
        blocks, inverse = np.unique(seg.blocks[live], return_inverse=True)
        names = [batch.name_of(g) for g in blocks.tolist()]
        groups_of_block = self._groups_of_keys(batch.keys[blocks], names)
        windows = seg.windows[live]
        order, row_starts = segment_groups.rows_of(batch.keys[seg.blocks[live]], windows, groups_of_block[inverse])
        first = order[row_starts[:-1]]
        row_groups, row_windows = groups_of_block[inverse[first]], windows[first]
        seqs = self._seq.take(len(first)).tolist()
        steps, expires_at, blobs = batch.steps[seg.blocks[live]], seg.expires_at[live], seg.blobs
        # a row is kept as long as its longest-lived piece (one array call: per row, 60 us)
        row_ttls = _ttl(np.maximum.reduceat(expires_at[order], row_starts[:-1]), now).tolist() if len(order) else []
        put, puts, bulky = self.q["group_put"], [], []
        for r, (a, b) in enumerate(zip(row_starts[:-1].tolist(), row_starts[1:].tolist())):
            taken = order[a:b]
            pieces = [blobs[i] for i in live[taken].tolist()]
            blob = segment_groups.pack_named([names[i] for i in inverse[taken].tolist()], steps[taken], expires_at[taken], pieces)
            if len(blob) > BULKY_PIECE_BYTES * len(pieces):
                bulky.append(r)
            shard, bucket = divmod(int(row_groups[r]), self.buckets)
            window = int(row_windows[r])
            puts.append(((shard, level, window), put, (shard, level, window, group_row_name(bucket), seqs[r], blob,
                                                       row_ttls[r]), len(blob) + 40))
        activity = self.q["activity_put"]
        _, newest_of, active = self.activity_due(batch)
        name_of_block = dict(zip(blocks.tolist(), names))
        active_names = [name_of_block.get(block) or batch.name_of(block) for block in active.tolist()]
        active_shards = self._groups_of_keys(batch.keys[active], active_names) // self.buckets
        for name, shard, newest in zip(active_names, active_shards.tolist(), newest_of.tolist()):
            # written with the slot time as its timestamp: the newest slot wins, whoever writes last
            puts.append((("activity", shard), activity, (shard, name, newest, newest * 1_000_000), len(name) + 30))
        # compacted now: rows of bulky pieces (a backfill, an import), rows that reached
        # COMPACT_AFTER, and windows these writes moved on from
        due = [(*divmod(group, self.buckets), level, window)
               for group, window in self.windows_to_compact(row_groups, level, row_windows, also=bulky)]
        return self._batches(puts), due

    async def _compact(self, due: list[tuple[int, int, int, int]]) -> None:
        """Move the pieces of each due (shard, bucket, level, window)'s group rows into the
        series' own rows (segments_by_shard): each series' own rows and pieces are merged per
        writer under that writer's newest seq, then exactly the rows read are deleted. Never a
        range: a row another process wrote meanwhile (its seq from its own clock, maybe behind
        ours) was not merged and must stay. The merges and the deletes carry write times just
        after those of the rows read, not this process's clock: a compacting process whose
        clock is behind the writer of the newest row would otherwise lose its merge to that row
        and still delete the others."""
        results = await self._run_all((self.q["group_get_to_merge"], (shard, level, window, group_row_name(bucket)))
                                      for shard, bucket, level, window in due)
        pieces: dict[tuple, dict[str, list]] = defaultdict(lambda: defaultdict(list))  # part -> name -> pieces
        group_drops = []
        for (shard, bucket, level, window), rows in zip(due, results):
            part = (shard, level, window)
            for seq, data, written in rows:
                group = self._readable_group(data, part, bucket, seq)
                if group is None:
                    continue  # left as it is, named in the log
                for i, name in enumerate(group.names):
                    pieces[part][name].append((seq, group.piece(i), written, int(group.steps[i]), int(group.expires_at[i])))
                group_drops.append((part, self.q["drop_merged"], (written + 1, *part, group_row_name(bucket), seq), 60))
        queries, keys = [], []
        for part, members in pieces.items():
            names = list(members)
            for i in range(0, len(names), 100):
                queries.append((self.q["get_to_merge"], (*part, names[i : i + 100])))
                keys.append(part)
        own: dict[tuple, list] = defaultdict(list)  # (part, name) -> the series' own rows
        for part, rows in zip(keys, await self._run_all(queries)):
            for name, seq, data, written in rows:
                own[(part, name)].append((seq, bytes(data), written, False))
        now = int(time.time())
        merges, drops, shared = [], [], []
        for part, members in pieces.items():
            level, window = part[1], part[2]
            for name, moved in members.items():
                step, expires_at = moved[0][3], max(p[4] for p in moved)
                # rows merge per writer, each writer's under its own newest row: reads order
                # writers by id (write_order), which a merge across them would lose
                by_writer: dict[int, list] = defaultdict(list)
                for row in own.get((part, name), []) + [(seq, piece, written, True) for seq, piece, written, _, _ in moved]:
                    by_writer[row[0] & WRITER_MASK].append(row)
                if level == 0 and len(by_writer) > 1:
                    ts = np.concatenate([codec.decode(row[1], window, step)[0] for rows in by_writer.values() for row in rows])
                    if len(ts):
                        shared.append((name, int(ts.min()), int(ts.max()) + step))
                for rows in by_writer.values():
                    if len(rows) == 1 and not rows[0][3]:
                        continue  # a writer's one own row: nothing to move or merge
                    merge, drop = self._merged_rows(part, name, sorted(rows, key=lambda r: r[0]), step, expires_at, now)
                    merges.append(merge)
                    drops.extend(drop)
        # the merges written before any row they hold is deleted: another process compacting
        # or reading the window between the two then reads the merge or the rows, never neither
        await self._run_all(self._batches(merges))
        await self._run_all(self._batches(drops + group_drops))
        self._noted_shared(shared)  # more than one process wrote these finest slots: their coarse slots are partial

    def _readable_group(self, data, part: tuple, bucket: int, seq: int):
        """A group row's NamedGroup, or None (logged) when it cannot be read."""
        try:
            return segment_groups.NamedGroup(bytes(data))
        except segment_groups.GroupFormatError as exc:
            log.warning("keyspace %s: group row (shard, level, window) %s bucket %d seq %d cannot be read and is "
                        "skipped: %s", self.config.keyspace, part, bucket, seq, exc)
            return None

    def _merged_rows(self, part: tuple, name: str, rows: list, step: int, expires_at: int, now: int) -> tuple[tuple, list]:
        """The writes that merge one writer's rows of a series, (seq, data, write time, is a
        piece of a group row) in seq order: (the merge, under the newest seq, by a write time
        just after every row's, not this clock's; the deletes of the series' own rows under
        other seqs, each as of just after its own write). Group rows are deleted whole."""
        window = part[2]
        merged = self.decode_rows([(window, d) for _, d, _, _ in rows], step, columns_of(part[1]))
        newest = rows[-1][0]
        blob = codec.encode(merged.ts, merged.values, window, step)
        merge = (part, self.q["put_merged"], (*part, name, newest, blob, int(_ttl(expires_at, now)),
                                              max(written for _, _, written, _ in rows) + 1), len(name) + len(blob) + 40)
        return merge, [(part, self.q["drop_merged"], (written + 1, *part, name, seq), len(name) + 48)
                       for seq, _, written, piece in rows if not piece and seq != newest]

    async def read_many(self, names, level_of, start, end) -> dict[str, Slots]:
        """Many series in few statements: series sharing a (shard, level, window) partition
        are read together, their own rows and their buckets' group rows in one `name IN` (100
        series at a time), all partitions in parallel."""
        names = list(dict.fromkeys(names))
        # A series this process is still creating has nothing here yet (its writes wait for
        # its creation): its points are all in memory, and a read of a node busy with a burst
        # of new series took up to seconds. (Another writer creating it at the same moment
        # may have written some: they show once the creation is in, a few seconds later.)
        pending = self._behind.pending_metas(names) if self._behind is not None else {}
        steps, bucket_of = {}, {}
        by_partition: dict[tuple, list[str]] = defaultdict(list)
        for n in names:
            if n in pending:
                continue
            level, step = level_of[n]
            steps[n] = step
            shard, bucket_of[n] = self.group_of(n)
            for w in self.windows_between(step, start, end):
                by_partition[(shard, level, w)].append(n)
        queries = []
        for part, members in by_partition.items():
            for i in range(0, len(members), 100):
                chunk = members[i : i + 100]
                queries.append((part, set(chunk), chunk + [group_row_name(b) for b in sorted({bucket_of[n] for n in chunk})]))
        results = await self._run_all((self.q["get_names"], (*part, asked)) for part, _, asked in queries)
        segments: dict[str, list] = defaultdict(list)  # name -> [(window, seq, data)]
        for (part, wanted, _), rows in zip(queries, results):
            for name, seq, data in rows:
                if not name.startswith(GROUP_ROW_PREFIX):
                    segments[name].append((part[2], seq, bytes(data)))
                    continue
                group = self._readable_group(data, part, int(name[len(GROUP_ROW_PREFIX):]), seq)
                for k, member in enumerate(group.names if group is not None else ()):
                    if member in wanted:
                        segments[member].append((part[2], seq, group.piece(k)))
        out = {}
        for n in names:
            columns = columns_of(level_of[n][0])
            found = sorted(segments.get(n, ()), key=lambda r: (r[0], *write_order(r[1])))
            # windows are disjoint: one last-wins merge in that order is exact
            out[n] = (self.decode_rows([(w, d) for w, _, d in found], steps[n], columns).between(start, end)
                      if found else Slots.empty(columns))
        return out

    async def expire(self, now: int) -> int:
        """Cassandra removes expired segments itself: every row carries its retention as TTL."""
        return 0

    async def disk_bytes(self) -> int:
        if not self.config.data_dir:
            return 0
        root = Path(self.config.data_dir) / self.config.keyspace
        return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
