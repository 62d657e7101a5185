"""The Cassandra keyspace: its tables (created when absent) and every prepared statement.

Tables:
  segments_by_shard (shard, level, window) -> name -> seq -> data
                 TTL = the rollup's retention, TWCS; shard = crc32(name) % shards. Besides each
                 series' own rows, group rows: name = group_row_name(bucket), a name no series
                 can have; data = the pieces one write gave the series of that bucket of the
                 shard, packed (segment_groups.NAMED_FORMAT); bucket = crc32(name) // shards %
                 buckets. Compaction moves their pieces into the series' own rows.
  store_meta     key -> value                      (the shard and bucket counts, fixed at creation; tree_changed,
                                                    rewritten whenever a process adds nodes)
  series_by_shard shard -> name -> rollups, aggregation, xff
                                                    (an earlier version's `series`, name -> ..., is copied in once)
  nodes          parent -> name -> leaf, branch    (flags are only ever written true;
                                                    the root's parent is ROOT)
  tags           tag -> value -> name
  series_log     minute -> time -> name, more         (series created, for the other processes' path indexes;
                                                    a row names `name` and the '\n'-separated names in `more`)
  tag_log        minute -> time -> name, tagged       (series tagged or untagged, for their tag indexes)
  series_activity shard -> name -> last             (the last write, tsstore.store.activity)
  deletions      day -> time -> name, request          (series deleted, tsstore.lifecycle)
  events, event_days, event_ids                     (Grafana annotations)
"""
from __future__ import annotations

import logging
import time
import zlib

from tsstore.store.cassandra.options import CassandraConfig
from tsstore.store.cassandra.requests import batches

log = logging.getLogger(__name__)

GROUP_BUCKETS = 16  # group rows per shard partition and write, for new keyspaces (store_meta keeps the real count)
COPY_PAGE_ROWS = 5000  # rows of an earlier version's series table read, and written in batches, at a time
ROOT = "."  # the root's partition key in nodes (Cassandra refuses an empty key)
SERIES_LOG_TTL = 86400  # seconds a series_log row is kept: a process further behind reads the series table again


def create_schema(session, config: CassandraConfig) -> tuple[int, int]:
    """Create the keyspace and the tables it lacks; returns the keyspace's shard and group
    bucket counts.

    What exists is read from system_schema (each node's own copy), so a start against an
    existing keyspace runs no DDL; the shard count is read at the configured consistency and
    only written (a lightweight transaction, which needs a serial quorum of replicas) when the
    keyspace has none yet. So a keyspace that exists opens with a replica down whenever the
    configured consistency can be met.
    """
    ks = config.keyspace
    row = session.execute("SELECT replication FROM system_schema.keyspaces WHERE keyspace_name=%s", (ks,), timeout=60).one()
    if row is None:
        session.execute(f"CREATE KEYSPACE IF NOT EXISTS {ks} WITH replication = {replication_cql(config)}", timeout=60)
    elif config.replication_given:
        warn_if_replication_differs(ks, dict(row[0]), config)
    existing = {r[0] for r in session.execute("SELECT table_name FROM system_schema.tables WHERE keyspace_name=%s", (ks,),
                                              timeout=60)}
    for table, cql in _tables(ks):
        if table not in existing:
            session.execute(cql, timeout=60)
    if "series_log" in existing and not session.execute(
            "SELECT column_name FROM system_schema.columns WHERE keyspace_name=%s AND table_name='series_log' "
            "AND column_name='more'", (ks,), timeout=60).one():
        session.execute(f"ALTER TABLE {ks}.series_log ADD more text", timeout=60)  # a keyspace of an earlier version
    shards = _fixed_count(session, ks, "shards", config.shards)
    if shards != config.shards:
        log.warning("keyspace %s was created with %d shards; using them (shards=%d asked for)", ks, shards, config.shards)
    buckets = _fixed_count(session, ks, "group_buckets", GROUP_BUCKETS)
    if "series" in existing:
        copy_series_table(session, ks, shards, config.batch_bytes)
    if "segments" in existing:
        log.warning("keyspace %s has a 'segments' table from an earlier tsstore layout: it is not read; "
                    "re-send that data or keep the old version to read it", ks)
    return shards, buckets


def shard_of(name: str, shards: int) -> int:
    """The shard of a series: its partition in series_by_shard, segments_by_shard and
    series_activity."""
    return zlib.crc32(name.encode()) % shards


GROUP_ROW_PREFIX = " group "  # series names have no whitespace (carbon plaintext cannot carry it; pickle's are refused)


def group_row_name(bucket: int) -> str:
    """The clustering name of a bucket's group rows in segments_by_shard: read in the same
    `name IN` as the series' own rows, so a read is one query per partition."""
    return f"{GROUP_ROW_PREFIX}{bucket}"


def copy_series_table(session, ks: str, shards: int, batch_bytes: int) -> None:
    """An earlier version's `series` table (one partition per name) copied into
    series_by_shard, once per keyspace (store_meta 'series_copied'), with progress in the log.
    The old table is left as it was. A process of an earlier version still running on the
    keyspace writes new series to the old table only: upgrade them all together."""
    if session.execute(f"SELECT value FROM {ks}.store_meta WHERE key='series_copied'", timeout=60).one() is not None:
        return
    from cassandra.query import SimpleStatement

    put = session.prepare(f"INSERT INTO {ks}.series_by_shard (shard, name, rollups, aggregation, xff) VALUES (?, ?, ?, ?, ?)")
    log.info("keyspace %s: copying the series table of an earlier version into series_by_shard (once)", ks)
    copied, started, page = 0, time.monotonic(), []

    def write_page():
        # batched per shard partition, as the store batches its writes
        for stmt, params in batches(page, batch_bytes):
            session.execute(stmt, params, timeout=60)
        page.clear()

    for name, rollups, aggregation, xff in session.execute(
            SimpleStatement(f"SELECT name, rollups, aggregation, xff FROM {ks}.series", fetch_size=COPY_PAGE_ROWS), timeout=120):
        shard = shard_of(name, shards)
        page.append(((shard,), put, (shard, name, rollups, aggregation, xff), len(name) + 60))
        copied += 1
        if len(page) == COPY_PAGE_ROWS:
            write_page()
        if copied % 100_000 == 0:
            log.info("keyspace %s: %d series copied (%.0f s)", ks, copied, time.monotonic() - started)
    write_page()
    session.execute(f"INSERT INTO {ks}.store_meta (key, value) VALUES ('series_copied', %s)", (str(copied),), timeout=60)
    log.info("keyspace %s: %d series copied into series_by_shard in %.0f s; the old table `series` is no longer read "
             "(DROP TABLE %s.series frees its space)", ks, copied, time.monotonic() - started, ks)


def _fixed_count(session, ks: str, key: str, wanted: int) -> int:
    """A count in store_meta (the shards, the group buckets); a keyspace without one gets
    `wanted`. It is part of where every segment lives, so the first store to write it fixes
    it for every later one."""
    row = session.execute(f"SELECT value FROM {ks}.store_meta WHERE key=%s", (key,), timeout=60).one()
    if row is not None:
        return int(row[0])
    # Two stores may create the keyspace at once: the transaction makes one count win, and
    # its answer carries the winner's value when it was not ours.
    answer = session.execute(f"INSERT INTO {ks}.store_meta (key, value) VALUES (%s, %s) IF NOT EXISTS",
                             (key, str(wanted)), timeout=60).one()
    return wanted if answer[0] else int(answer[-1])


def replication_cql(config: CassandraConfig) -> str:
    """The replication map a new keyspace gets from the URL's replication, rf and dc."""
    if config.replication == "SimpleStrategy":
        return f"{{'class': 'SimpleStrategy', 'replication_factor': {config.replication_factor}}}"
    return f"{{'class': 'NetworkTopologyStrategy', '{config.local_dc}': {config.replication_factor}}}"


def warn_if_replication_differs(ks: str, replication: dict, config: CassandraConfig) -> None:
    """A keyspace keeps the replication it was created with: the URL's rf/replication only
    apply to a new one. Say so when they differ, with the statement that changes it."""
    strategy = replication.get("class", "").rsplit(".", 1)[-1]
    key = "replication_factor" if strategy == "SimpleStrategy" else config.local_dc
    has = f"{strategy}, rf={replication.get(key, '0')}" + ("" if strategy == "SimpleStrategy" else f" in {config.local_dc}")
    asked = f"{config.replication}, rf={config.replication_factor}" + (
        "" if config.replication == "SimpleStrategy" else f" in {config.local_dc}")
    if has != asked:
        log.warning("keyspace %s has replication %s but the URL asks %s: the keyspace's replication is used. To change "
                    "it run, once, ALTER KEYSPACE %s WITH replication = %s; then `nodetool repair --full %s` on every "
                    "node (README: Running several nodes)", ks, has, asked, ks, replication_cql(config), ks)


# Segment rows expire by TTL, a day's rows together: whole SSTables drop once all expired.
_SEGMENT_TABLE_OPTIONS = """WITH compaction = {'class': 'TimeWindowCompactionStrategy', 'compaction_window_unit': 'DAYS',
    'compaction_window_size': 1} AND gc_grace_seconds = 3600"""


def _tables(ks: str) -> list[tuple[str, str]]:
    """(name, CREATE TABLE) of every table of the keyspace."""
    return [
        ("store_meta", f"CREATE TABLE IF NOT EXISTS {ks}.store_meta (key text PRIMARY KEY, value text)"),
        ("segments_by_shard",
         f"""CREATE TABLE IF NOT EXISTS {ks}.segments_by_shard (shard int, level tinyint, window bigint, name text, seq bigint,
            data blob, PRIMARY KEY ((shard, level, window), name, seq)) {_SEGMENT_TABLE_OPTIONS}"""),
        # series by shard: creating 100k series is a few thousand batches of one partition each,
        # not 100k partitions, and get_series reads one partition per 100 names
        ("series_by_shard", f"""CREATE TABLE IF NOT EXISTS {ks}.series_by_shard (shard int, name text, rollups text,
            aggregation text, xff double, PRIMARY KEY ((shard), name))"""),
        ("nodes", f"CREATE TABLE IF NOT EXISTS {ks}.nodes (parent text, name text, leaf boolean, branch boolean, PRIMARY KEY (parent, name))"),
        ("tags", f"CREATE TABLE IF NOT EXISTS {ks}.tags (tag text, value text, name text, PRIMARY KEY ((tag), value, name))"),
        # Series as created, by minute of the creating process's clock, ordered by the
        # coordinator's time: every process's path index reads what the others created.
        ("series_log",
         f"""CREATE TABLE IF NOT EXISTS {ks}.series_log (bucket bigint, at timeuuid, name text, more text,
            PRIMARY KEY ((bucket), at, name))
            WITH default_time_to_live = {SERIES_LOG_TTL}"""),
        # Series tagged or untagged (delSeries), the same way: every process's tag index reads it.
        ("tag_log",
         f"""CREATE TABLE IF NOT EXISTS {ks}.tag_log (bucket bigint, at timeuuid, name text, tagged boolean,
            PRIMARY KEY ((bucket), at, name)) WITH default_time_to_live = {SERIES_LOG_TTL}"""),
        # The last write of each series (tsstore.store.activity), in the segments' shards so a
        # flush batches them per partition; each write's timestamp is the slot time it
        # records, so the newest slot wins whatever the order of arrival.
        ("series_activity",
         f"CREATE TABLE IF NOT EXISTS {ks}.series_activity (shard int, name text, last bigint, PRIMARY KEY ((shard), name))"),
        # Series deleted (tsstore.lifecycle), by UTC day, with the request that deleted them.
        ("deletions",
         f"""CREATE TABLE IF NOT EXISTS {ks}.deletions (day bigint, at timeuuid, name text, request text,
            PRIMARY KEY ((day), at, name))"""),
        # Events: one partition per UTC day, listed in event_days so a range scan reads only
        # the days that have events; event_ids finds one event by id.
        ("events",
         f"""CREATE TABLE IF NOT EXISTS {ks}.events (day int, at double, id bigint, what text, data text, tags list<text>,
            PRIMARY KEY ((day), at, id))"""),
        ("event_days", f"CREATE TABLE IF NOT EXISTS {ks}.event_days (root text, day int, PRIMARY KEY ((root), day))"),
        ("event_ids", f"CREATE TABLE IF NOT EXISTS {ks}.event_ids (id bigint PRIMARY KEY, day int, at double)"),
    ]


def prepare_statements(session, ks: str) -> dict:
    """Every statement the store runs, prepared once, by name."""
    p = session.prepare
    return {
        "get_names": p(f"SELECT name, seq, data FROM {ks}.segments_by_shard WHERE shard=? AND level=? AND window=? AND name IN ?"),
        # compaction: the rows with their write times, so the merge overwrites and deletes exactly
        # the versions it read, whatever the clock of the process compacting
        "get_to_merge": p(f"SELECT name, seq, data, writetime(data) FROM {ks}.segments_by_shard "
                          "WHERE shard=? AND level=? AND window=? AND name IN ?"),
        "put_merged": p(f"INSERT INTO {ks}.segments_by_shard (shard, level, window, name, seq, data) VALUES (?, ?, ?, ?, ?, ?) "
                        "USING TTL ? AND TIMESTAMP ?"),
        "drop_merged": p(f"DELETE FROM {ks}.segments_by_shard USING TIMESTAMP ? WHERE shard=? AND level=? AND window=? "
                         "AND name=? AND seq=?"),
        # group rows (group_row_name): a write's, and compaction's and deletion's read of one bucket's
        "group_put": p(f"INSERT INTO {ks}.segments_by_shard (shard, level, window, name, seq, data) VALUES (?, ?, ?, ?, ?, ?) "
                       "USING TTL ?"),
        "group_get_to_merge": p(f"SELECT seq, data, writetime(data) FROM {ks}.segments_by_shard "
                                "WHERE shard=? AND level=? AND window=? AND name=?"),
        "series_put": p(f"INSERT INTO {ks}.series_by_shard (shard, name, rollups, aggregation, xff) VALUES (?, ?, ?, ?, ?)"),
        "series_get_many": p(f"SELECT name, rollups, aggregation, xff FROM {ks}.series_by_shard WHERE shard=? AND name IN ?"),
        "leaf": p(f"INSERT INTO {ks}.nodes (parent, name, leaf) VALUES (?, ?, true)"),
        "branch": p(f"INSERT INTO {ks}.nodes (parent, name, branch) VALUES (?, ?, true)"),
        "children": p(f"SELECT name, leaf, branch FROM {ks}.nodes WHERE parent=?"),
        "series_scan": p(f"SELECT name FROM {ks}.series_by_shard WHERE shard=? AND name > ? LIMIT ?"),
        "log_put": p(f"INSERT INTO {ks}.series_log (bucket, at, name, more) VALUES (?, now(), ?, ?)"),
        "log_since": p(f"SELECT toUnixTimestamp(at), name, more FROM {ks}.series_log WHERE bucket=? AND at > minTimeuuid(?)"),
        "tag_log_put": p(f"INSERT INTO {ks}.tag_log (bucket, at, name, tagged) VALUES (?, now(), ?, ?)"),
        "tag_log_since": p(f"SELECT toUnixTimestamp(at), name, tagged FROM {ks}.tag_log WHERE bucket=? AND at > minTimeuuid(?)"),
        "tree_changed_put": p(f"INSERT INTO {ks}.store_meta (key, value) VALUES ('tree_changed', ?)"),
        "tree_changed_get": p(f"SELECT value FROM {ks}.store_meta WHERE key='tree_changed'"),
        "activity_put": p(f"INSERT INTO {ks}.series_activity (shard, name, last) VALUES (?, ?, ?) USING TIMESTAMP ?"),
        "activity_get_many": p(f"SELECT name, last FROM {ks}.series_activity WHERE shard = ? AND name IN ?"),
        "activity_del": p(f"DELETE FROM {ks}.series_activity USING TIMESTAMP ? WHERE shard = ? AND name = ?"),
        "series_del": p(f"DELETE FROM {ks}.series_by_shard WHERE shard=? AND name=?"),
        "segments_del": p(f"DELETE FROM {ks}.segments_by_shard WHERE shard=? AND level=? AND window=? AND name=?"),
        "node_get": p(f"SELECT leaf, branch FROM {ks}.nodes WHERE parent=? AND name=?"),
        "node_del": p(f"DELETE FROM {ks}.nodes WHERE parent=? AND name=?"),
        "node_unleaf": p(f"UPDATE {ks}.nodes SET leaf = false WHERE parent=? AND name=?"),
        "node_unbranch": p(f"UPDATE {ks}.nodes SET branch = false WHERE parent=? AND name=?"),
        "node_any_child": p(f"SELECT name FROM {ks}.nodes WHERE parent=? LIMIT 1"),
        "deletion_put": p(f"INSERT INTO {ks}.deletions (day, at, name, request) VALUES (?, now(), ?, ?)"),
        "deletions_since": p(f"SELECT at, name, request FROM {ks}.deletions WHERE day=? AND at > minTimeuuid(?)"),
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

