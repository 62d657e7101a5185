"""The Cassandra store (cassandra-driver), same protocol as the embedded store.

Tables (created when absent):
  segments_by_shard (shard, level, window) -> name -> seq -> data
                 TTL = the rollup's retention, TWCS; shard = crc32(name) % shards
  store_meta     key -> value                      (the shard count, fixed at creation)
  series         name -> rollups, aggregation, xff
  nodes          parent -> name -> leaf, branch    (flags are only ever written true)
  tags           tag -> value -> name
  events, event_days, event_ids                     (Grafana annotations)
Why shards: a flush writes one small segment per series. As one statement each, the Python
driver and Cassandra manage a few thousand per second; many series share a shard partition,
so a flush becomes unlogged batches that each stay inside one partition (one mutation for
Cassandra, one request for the driver): an order of magnitude more segments per second.
Every statement is prepared; requests go out concurrently with a bounded number in flight.
A (series, window) that collects many segments is merged into one (read, write the merge
under the newest seq, range-delete the older seqs of that series in the partition).
"""
from __future__ import annotations

import asyncio
import json
import logging
import ssl
import threading
import time
import zlib
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from tsstore.store.base import SegmentStore
from tsstore.index.tags import tag_rows
from tsstore.model import Node, Rollup, SeriesMeta, Slots, WriteRequest
from tsstore.store.errors import StoreUnavailable
from tsstore.store import segment_codec as codec
from tsstore.index import globs
from tsstore.events import Event

log = logging.getLogger(__name__)

COMPACT_AFTER = 16


def _ttl(expires_at: int, now: int) -> int:
    """Seconds to keep a row; Cassandra (4.x storage format) caps expiry at 2038-01-19."""
    return max(1, min(expires_at - now, 630_720_000, 2**31 - 1 - now - 86400))
CHILDREN_CACHE_SECONDS = 10.0


@dataclass
class CassandraConfig:
    hosts: list[str]
    port: int = 9042
    keyspace: str = "tsstore"
    username: str | None = None
    password: str | None = None
    local_dc: str = "datacenter1"
    replication: str = "SimpleStrategy"
    replication_factor: int = 1
    consistency: str = "LOCAL_QUORUM"
    tls: bool = False
    tls_ca: str | None = None
    inflight: int = 256
    shards: int = 256  # partitions per (level, window) for new keyspaces (store_meta keeps the real one)
    batch_bytes: int = 5 * 1024  # per unlogged batch: Cassandra warns above 5 KiB by default
    data_dir: str | None = None  # the server's data directory, when local (for disk_bytes)


def parse_cassandra_url(url: str) -> CassandraConfig:
    """cassandra://[user:pass@]h1,h2[:port]/keyspace[?dc=&replication=&rf=&consistency=&tls=&tls_ca=&inflight=&data_dir=]"""
    parts = urlsplit(url)
    if parts.scheme != "cassandra":
        raise ValueError(f"not a cassandra:// URL: {url!r}")
    netloc = parts.netloc
    user = password = None
    if "@" in netloc:
        cred, netloc = netloc.rsplit("@", 1)
        user, _, password = cred.partition(":")
        user, password = unquote(user), unquote(password)
    port = 9042
    hosts = []
    for h in netloc.split(","):
        if not h:
            continue
        if ":" in h:
            h, p = h.rsplit(":", 1)
            try:
                port = int(p)
            except ValueError:
                raise ValueError(f"bad port {p!r} in {url!r}") from None
        hosts.append(h)
    if not hosts:
        raise ValueError(f"no Cassandra host in {url!r}: use cassandra://host1,host2:9042/keyspace")
    keyspace = parts.path.strip("/") or "tsstore"
    if not keyspace.replace("_", "").isalnum():
        raise ValueError(f"keyspace {keyspace!r} must be letters, digits and underscores")
    q = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    known = {"dc", "replication", "rf", "consistency", "tls", "tls_ca", "inflight", "shards", "batch_kb", "data_dir"}
    unknown = set(q) - known
    if unknown:
        raise ValueError(f"unknown option(s) {', '.join(sorted(unknown))} in {url!r}; known: {', '.join(sorted(known))}")
    try:
        config = CassandraConfig(
            hosts, port, keyspace, user, password,
            local_dc=q.get("dc", "datacenter1"),
            replication=q.get("replication", "SimpleStrategy"),
            replication_factor=int(q.get("rf", 1)),
            consistency=q.get("consistency", "LOCAL_QUORUM").upper(),
            tls=q.get("tls", "0") in ("1", "true", "yes"),
            tls_ca=q.get("tls_ca"),
            inflight=int(q.get("inflight", 256)),
            shards=int(q.get("shards", 256)),
            batch_bytes=int(float(q.get("batch_kb", 5)) * 1024),
            data_dir=q.get("data_dir"),
        )
    except ValueError as exc:
        raise ValueError(f"bad option in {url!r}: {exc}") from None
    for name, value, low in (("rf", config.replication_factor, 1), ("inflight", config.inflight, 1),
                             ("shards", config.shards, 1), ("batch_kb", config.batch_bytes, 1)):
        if value < low:
            raise ValueError(f"bad option in {url!r}: {name} must be positive, got {q.get(name)!r}")
    return config


ROOT = "."  # the root's partition key (Cassandra refuses an empty key)


def _tree_rows(name: str):
    parts = name.split(".")
    for i, part in enumerate(parts):
        yield ".".join(parts[:i]) or ROOT, part, i == len(parts) - 1


class CassandraStore(SegmentStore):
    kind = "cassandra"

    def __init__(self, url_or_config: str | CassandraConfig):
        super().__init__()
        self.config = parse_cassandra_url(url_or_config) if isinstance(url_or_config, str) else url_or_config
        self.cluster = None
        self.session = None
        self._known_nodes: set[tuple[str, str, bool]] = set()
        self._children_cache: dict[str, tuple[float, list[Node]]] = {}
        self._segment_counts: dict[tuple[str, int, int], int] = defaultdict(int)
        self._meta_cache: dict[str, SeriesMeta] = {}

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
        # Reconnect within seconds after an outage (the driver's default backs off to 10 min).
        self.cluster = Cluster(c.hosts, port=c.port, protocol_version=5, execution_profiles={EXEC_PROFILE_DEFAULT: profile},
                               connect_timeout=10, reconnection_policy=ExponentialReconnectionPolicy(0.5, 5.0), **kwargs)
        try:
            self.session = self.cluster.connect()
        except Exception as exc:
            raise StoreUnavailable(f"cannot connect to Cassandra at {','.join(c.hosts)}:{c.port}: {exc}") from exc
        ks = c.keyspace
        if c.replication == "SimpleStrategy":
            repl = f"{{'class': 'SimpleStrategy', 'replication_factor': {c.replication_factor}}}"
        else:
            repl = f"{{'class': 'NetworkTopologyStrategy', '{c.local_dc}': {c.replication_factor}}}"
        for cql in (
            f"CREATE KEYSPACE IF NOT EXISTS {ks} WITH replication = {repl}",
            f"CREATE TABLE IF NOT EXISTS {ks}.store_meta (key text PRIMARY KEY, value text)",
            f"""CREATE TABLE IF NOT EXISTS {ks}.segments_by_shard (shard int, level tinyint, window bigint, name text, seq bigint,
                data blob, PRIMARY KEY ((shard, level, window), name, seq))
                WITH compaction = {{'class': 'TimeWindowCompactionStrategy', 'compaction_window_unit': 'DAYS',
                                    'compaction_window_size': 1}}
                AND gc_grace_seconds = 3600""",
            f"CREATE TABLE IF NOT EXISTS {ks}.series (name text PRIMARY KEY, rollups text, aggregation text, xff double)",
            f"CREATE TABLE IF NOT EXISTS {ks}.nodes (parent text, name text, leaf boolean, branch boolean, PRIMARY KEY (parent, name))",
            f"CREATE TABLE IF NOT EXISTS {ks}.tags (tag text, value text, name text, PRIMARY KEY ((tag), value, name))",
            # Events: one partition per UTC day, listed in event_days so a range scan reads only
            # the days that have events; event_ids finds one event by id.
            f"""CREATE TABLE IF NOT EXISTS {ks}.events (day int, at double, id bigint, what text, data text, tags list<text>,
                PRIMARY KEY ((day), at, id))""",
            f"CREATE TABLE IF NOT EXISTS {ks}.event_days (root text, day int, PRIMARY KEY ((root), day))",
            f"CREATE TABLE IF NOT EXISTS {ks}.event_ids (id bigint PRIMARY KEY, day int, at double)",
        ):
            self.session.execute(cql, timeout=60)
        # The shard count is part of where every segment lives: the first store to create the
        # keyspace fixes it, later ones read it (a different ?shards= is ignored, with a warning).
        self.session.execute(f"INSERT INTO {ks}.store_meta (key, value) VALUES ('shards', %s) IF NOT EXISTS",
                             (str(c.shards),), timeout=60)
        self.shards = int(self.session.execute(f"SELECT value FROM {ks}.store_meta WHERE key='shards'", timeout=60).one()[0])
        if self.shards != c.shards:
            log.warning("keyspace %s was created with %d shards; using them (shards=%d asked for)", ks, self.shards, c.shards)
        legacy = self.session.execute("SELECT table_name FROM system_schema.tables WHERE keyspace_name=%s AND table_name='segments'", (ks,))
        if legacy.one():
            log.warning("keyspace %s has a 'segments' table from an earlier tsstore layout: it is not read; "
                        "re-send that data or keep the old version to read it", ks)
        p = self.session.prepare
        self.q = {
            "put": p(f"INSERT INTO {ks}.segments_by_shard (shard, level, window, name, seq, data) VALUES (?, ?, ?, ?, ?, ?) USING TTL ?"),
            "get_names": p(f"SELECT name, seq, data FROM {ks}.segments_by_shard WHERE shard=? AND level=? AND window=? AND name IN ?"),
            "trim": p(f"DELETE FROM {ks}.segments_by_shard WHERE shard=? AND level=? AND window=? AND name=? AND seq < ?"),
            "series_put": p(f"INSERT INTO {ks}.series (name, rollups, aggregation, xff) VALUES (?, ?, ?, ?)"),
            "series_get_many": p(f"SELECT name, rollups, aggregation, xff FROM {ks}.series WHERE name IN ?"),
            "leaf": p(f"INSERT INTO {ks}.nodes (parent, name, leaf) VALUES (?, ?, true)"),
            "branch": p(f"INSERT INTO {ks}.nodes (parent, name, branch) VALUES (?, ?, true)"),
            "children": p(f"SELECT name, leaf, branch FROM {ks}.nodes WHERE parent=?"),
            "tag_put": p(f"INSERT INTO {ks}.tags (tag, value, name) VALUES (?, ?, ?)"),
            "tag_names": p(f"SELECT DISTINCT tag FROM {ks}.tags"),
            "tag_values": p(f"SELECT value, name FROM {ks}.tags WHERE tag=?"),
            "tag_series": p(f"SELECT name FROM {ks}.tags WHERE tag=? AND value=?"),
            "tag_one": p(f"SELECT name FROM {ks}.tags WHERE tag=? AND value=? AND name=?"),
            "tag_del": p(f"DELETE FROM {ks}.tags WHERE tag=? AND value=? AND name=?"),
            "event_put": p(f"INSERT INTO {ks}.events (day, at, id, what, data, tags) VALUES (?, ?, ?, ?, ?, ?)"),
            "event_day_put": p(f"INSERT INTO {ks}.event_days (root, day) VALUES ('.', ?)"),
            "event_id_put": p(f"INSERT INTO {ks}.event_ids (id, day, at) VALUES (?, ?, ?)"),
            "event_days": p(f"SELECT day FROM {ks}.event_days WHERE root='.' AND day >= ? AND day <= ?"),
            "events_in_day": p(f"SELECT at, id, what, data, tags FROM {ks}.events WHERE day=? AND at >= ? AND at <= ?"),
            "event_by_id": p(f"SELECT day, at FROM {ks}.event_ids WHERE id=?"),
            "event_get": p(f"SELECT at, id, what, data, tags FROM {ks}.events WHERE day=? AND at=? AND id=?"),
        }

    async def close(self) -> None:
        if self.cluster is not None:
            await asyncio.get_running_loop().run_in_executor(None, self.cluster.shutdown)
            self.cluster = None

    # -- async bridge ---------------------------------------------------------------
    async def _run_all(self, calls):
        """Execute many statements with at most `inflight` outstanding; rows of each, in order.

        Completions are chained inside the driver's own thread and the event loop is woken
        once for the whole group: per-statement wake-ups cost more than the statements.
        """
        calls = list(calls)
        if not calls:
            return []
        if self.session is None:
            raise StoreUnavailable("Cassandra store is not open")
        loop = asyncio.get_running_loop()
        fut = loop.create_future()
        results: list = [None] * len(calls)
        lock = threading.Lock()
        state = {"next": 0, "remaining": len(calls), "error": None}
        session = self.session

        def finish_one():
            with lock:
                state["remaining"] -= 1
                last = state["remaining"] == 0
            if last:
                err = state["error"]
                loop.call_soon_threadsafe(
                    lambda: fut.done() or (fut.set_exception(err) if err else fut.set_result(results)))
            else:
                launch()

        def launch():
            with lock:
                i = state["next"]
                if i >= len(calls):
                    return
                state["next"] = i + 1
            stmt, params = calls[i]
            acc: list = []
            try:
                rf = session.execute_async(stmt, params)
            except Exception as exc:  # e.g. the session is shutting down
                state["error"] = state["error"] or exc
                finish_one()
                return

            def ok(rows):
                if rows:
                    acc.extend(rows)
                if rf.has_more_pages:
                    rf.start_fetching_next_page()
                    return
                results[i] = acc
                finish_one()

            def failed(exc):
                state["error"] = state["error"] or exc
                finish_one()

            rf.add_callbacks(ok, failed)

        for _ in range(min(self.config.inflight, len(calls))):
            launch()
        try:
            return await fut
        except Exception as exc:
            raise StoreUnavailable(f"Cassandra request failed: {type(exc).__name__}: {exc}") from exc

    async def _run(self, stmt, params=()):
        return (await self._run_all([(stmt, params)]))[0]

    # -- series, tree, tags ------------------------------------------------------------
    async def create_series(self, metas: list[SeriesMeta]) -> None:
        # Tree and tag rows of many series share partitions (a parent, a tag): batched per
        # partition like segments; series rows are one partition each.
        items = []
        for m in metas:
            items.append((("series", m.name), self.q["series_put"],
                          (m.name, json.dumps([[r.step, r.points] for r in m.rollups]), m.aggregation, m.xff), 100))
            if ";" in m.name:
                items.extend((("tag", tag), self.q["tag_put"], (tag, value, m.name), len(m.name) + 60) for tag, value in tag_rows(m.name))
                continue
            for parent, child, leaf in _tree_rows(m.name):
                key = (parent, child, leaf)
                if key not in self._known_nodes:
                    self._known_nodes.add(key)
                    items.append((("node", parent), self.q["leaf" if leaf else "branch"], (parent, child), len(parent) + len(child) + 40))
                    self._children_cache.pop("" if parent == ROOT else parent, None)
        await self._run_all(await asyncio.get_running_loop().run_in_executor(None, self._batches, items))
        for m in metas:
            self._meta_cache.setdefault(m.name, m)

    async def get_series(self, names: list[str]) -> dict[str, SeriesMeta]:
        out = {n: self._meta_cache[n] for n in names if n in self._meta_cache}
        missing = [n for n in names if n not in out]
        # 50 names a statement: one request each was the cost of taking in 100k new series
        results = await self._run_all((self.q["series_get_many"], (missing[i : i + 50],)) for i in range(0, len(missing), 50))
        for rows in results:
            for name, rollups, aggregation, xff in rows:
                meta = SeriesMeta(name, tuple(Rollup(s, p) for s, p in json.loads(rollups)), aggregation, xff)
                self._meta_cache[name] = out[name] = meta
        return out

    async def children(self, parent: str) -> list[Node]:
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
        found = await self._run_all((self.q["tag_one"], ("name", tag_rows(n)[0][1], n)) for n in names if ";" in n)
        deletes = [(self.q["tag_del"], (tag, value, n)) for n in names for tag, value in tag_rows(n)]
        await self._run_all(deletes)
        return sum(1 for rows in found if rows)

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
        return zlib.crc32(name.encode()) % self.shards

    def _batches(self, items: list[tuple]) -> list:
        """Unlogged batches of (partition, statement, params, bytes) items: each batch inside one
        partition and under the batch size Cassandra warns about."""
        from cassandra.query import BatchStatement, BatchType

        by_partition: dict[tuple, list] = defaultdict(list)
        for item in items:
            by_partition[item[0]].append(item)
        out = []
        for part_items in by_partition.values():
            if len(part_items) == 1:  # a batch of one is a plain statement with extra work
                out.append(part_items[0][1:3])
                continue
            batch, size = None, 0
            for _, stmt, params, nbytes in part_items:
                if batch is None or size + nbytes > self.config.batch_bytes:
                    batch, size = BatchStatement(batch_type=BatchType.UNLOGGED), 0
                    out.append((batch, None))
                batch.add(stmt, params)
                size += nbytes
        return out

    def _put(self, shard: int, level: int, window: int, name: str, seq: int, blob: bytes, ttl: int) -> tuple:
        return ((shard, level, window), self.q["put"], (shard, level, window, name, seq, blob, ttl), len(name) + len(blob) + 40)

    async def write(self, requests: list[WriteRequest]) -> None:
        now = int(time.time())
        puts, touched = [], []
        for req, row in self.encode_requests(requests):
            if row.expires_at - now <= 0:
                continue  # already outside retention
            puts.append(self._put(self.shard_of(row.name), row.level, row.window, row.name, row.seq, row.blob,
                                  _ttl(row.expires_at, now)))
            touched.append((req, row))
        loop = asyncio.get_running_loop()
        # Building statements is Python work: off the event loop so the listeners keep reading.
        await self._run_all(await loop.run_in_executor(None, self._batches, puts))
        compact = []
        for req, row in touched:
            key = (row.name, row.level, row.window)
            self._segment_counts[key] += 1
            if self._segment_counts[key] >= COMPACT_AFTER:
                self._segment_counts[key] = 0
                compact.append((req, row))
        if compact:
            await self._compact(compact)

    async def _compact(self, touched: list) -> None:
        """Merge the segments of each (series, window) into one: read them a partition at a
        time, write the merge under the newest seq and range-delete the older seqs, batched
        per partition like the writes."""
        by_partition: dict[tuple, dict] = defaultdict(dict)
        for req, row in touched:
            by_partition[(self.shard_of(row.name), row.level, row.window)][row.name] = (req, row)
        queries, keys = [], []
        for part, members in by_partition.items():
            names = list(members)
            for i in range(0, len(names), 100):
                queries.append((self.q["get_names"], (*part, names[i : i + 100])))
                keys.append(part)
        results = await self._run_all(queries)
        now = int(time.time())
        items = []
        for part, rows in zip(keys, results):
            segments: dict[str, list] = defaultdict(list)
            for name, seq, data in rows:
                segments[name].append((seq, data))
            for name, segs in segments.items():
                if len(segs) < 2:
                    continue
                req, row = by_partition[part][name]
                segs.sort(key=lambda r: r[0])
                merged = self.decode_rows([(row.window, bytes(d)) for _, d in segs], req.step, req.slots.values.shape[1])
                newest = segs[-1][0]
                blob = codec.encode(merged.ts, merged.values, row.window, req.step)
                items.append(self._put(*part, name, newest, blob, _ttl(row.expires_at, now)))
                items.append((part, self.q["trim"], (*part, name, newest), len(name) + 40))
        await self._run_all(self._batches(items))

    async def read_many(self, names, level_of, start, end) -> dict[str, Slots]:
        """Many series in few statements: series sharing a (shard, level, window) partition
        are read together (`name IN`, 100 at a time), all partitions in parallel."""
        names = list(dict.fromkeys(names))
        queries, steps = [], {}
        by_partition: dict[tuple, list[str]] = defaultdict(list)
        for n in names:
            level, step = level_of[n]
            steps[n] = step
            for w in self.windows_between(step, start, end):
                by_partition[(self.shard_of(n), level, w)].append(n)
        for part, members in by_partition.items():
            for i in range(0, len(members), 100):
                queries.append((part, members[i : i + 100]))
        results = await self._run_all((self.q["get_names"], (*part, members)) for part, members in queries)
        segments: dict[str, list] = defaultdict(list)  # name -> [(window, seq, data)]
        for (part, _), rows in zip(queries, results):
            for name, seq, data in rows:
                segments[name].append((part[2], seq, bytes(data)))
        out = {}
        for n in names:
            columns = 1 if level_of[n][0] == 0 else 5
            found = sorted(segments.get(n, ()), key=lambda r: (r[0], r[1]))
            # windows are disjoint: one last-wins merge over (window, seq) order is exact
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
