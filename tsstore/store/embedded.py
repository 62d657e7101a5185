"""The embedded store: SQLite in WAL mode (stdlib), one file under the data directory.

Tables: series (id, name, schema; the path tree is read from its name index, not kept),
segments (key, level, window, seq -> encoded slots), tags (tag, value -> name) and
events (Grafana annotations). A segments key >= 0 is one series' row (its id); a key < 0,
-1 - group, is a group row: the pieces a write gave GROUP_SIZE neighbouring series, packed
(tsstore.store.segment_groups), so a flush writes a row per group, not per series.
Compaction moves a group window's pieces into the series' own rows. SQLite work runs on one
writer thread and a small pool of reader threads, each with its own connection, so the
event loop never blocks on disk. The ingest process gives new series their ids itself and
writes their rows behind the points (create_behind), as it is the file's only writer.
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import sqlite3
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from itertools import repeat
from pathlib import Path

import numpy as np

from tsstore.store.base import WINDOW_SLOTS, SegmentStore, rollups_of_text, rollups_text
from tsstore.store.creation_behind import CreatesBehind, CreationBehind
from tsstore.store.name_filter import NameFilter
from tsstore.index.tag_index import TagLogTrimmed
from tsstore.index.tags import tag_rows
from tsstore.model import COUNT, Node, SeriesMeta, Slots, WriteBatch, columns_of
from tsstore.store import segment_codec as codec
from tsstore.store import segment_groups as groups
from tsstore.events import Event
from tsstore.store.errors import StoreDiskFull
from tsstore.data_dir import free_space

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS series (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    rollups TEXT NOT NULL,
    aggregation TEXT NOT NULL,
    xff REAL NOT NULL
);
DROP TABLE IF EXISTS nodes;
CREATE TABLE IF NOT EXISTS segments (
    sid INTEGER NOT NULL,
    level INTEGER NOT NULL,
    window INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    blob BLOB NOT NULL,
    PRIMARY KEY (sid, level, window, seq)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS segments_expiry ON segments (expires_at);
CREATE TABLE IF NOT EXISTS tags (
    tag TEXT NOT NULL,
    value TEXT NOT NULL,
    name TEXT NOT NULL,
    PRIMARY KEY (tag, value, name)
) WITHOUT ROWID;
-- Every series tagged or untagged, in order, by any process: the tag indexes of the other
-- processes catch up from it (tsstore.index.tag_index). Triggers, so no writer can miss it.
CREATE TABLE IF NOT EXISTS tag_log (
    seq INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    tagged INTEGER NOT NULL
);
CREATE TRIGGER IF NOT EXISTS tag_log_tagged AFTER INSERT ON tags WHEN new.tag = 'name'
BEGIN INSERT INTO tag_log (name, tagged) VALUES (new.name, 1); END;
CREATE TRIGGER IF NOT EXISTS tag_log_untagged AFTER DELETE ON tags WHEN old.tag = 'name'
BEGIN INSERT INTO tag_log (name, tagged) VALUES (old.name, 0); END;
-- The last write of each series (tsstore.store.activity): the newest finest slot, to within a granule.
CREATE TABLE IF NOT EXISTS activity (
    sid INTEGER PRIMARY KEY,
    last INTEGER NOT NULL
);
-- Every series deleted (tsstore.lifecycle), with the request that deleted it: the operators'
-- record, and how the other processes' path indexes learn of it.
CREATE TABLE IF NOT EXISTS deletions (
    seq INTEGER PRIMARY KEY,
    at REAL NOT NULL,
    name TEXT NOT NULL,
    request TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS deletions_at ON deletions (at);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at REAL NOT NULL,
    what TEXT NOT NULL,
    data TEXT NOT NULL,
    tags TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_at ON events (at);
"""

TAG_LOG_KEEP = 1_000_000  # rows of the tag log expire() keeps
CHILDREN_RUN = 256  # names read per query of a children() skip scan
NAMES_READ_AT_ONCE = 50_000  # names per fetch while the name filter is loaded
INSERT_SERIES = "INSERT OR IGNORE INTO series (id, name, rollups, aggregation, xff) "  # a name held keeps its row
_JSON_ESCAPED = re.compile(r"[\\\x00-\x1f]")  # what a JSON string must escape, but the quote
# SQLite's page cache per connection, in KiB (the OS page cache keeps the rest). The writer's
# fills with every group row a flush rewrites: at 16 MiB it held 16-20 bytes per series more
# at rest at 1M series than at 4 MiB, for the same ingest rate (bench_ingest, two runs each).
# The readers' (2) fill only with what renders read: hot dashboards' pages stay.
WRITER_CACHE_KIB = 4096
READER_CACHE_KIB = 16384


def _json_array(names: list[str]) -> str | None:
    """The names as a JSON array for json_each, or None if one holds a NUL (json_each would cut
    it there). Names need no escaping but for a quote, a backslash or a control character:
    joined as they are, not through json.dumps, which took 0.6 s of a million new series'
    GIL time on the writer thread."""
    joined = '","'.join(names)
    if "\x00" in joined:
        return None
    if joined.count('"') == 2 * (len(names) - 1) and _JSON_ESCAPED.search(joined) is None:
        return '["' + joined + '"]'
    return json.dumps(names, ensure_ascii=False)


class EmbeddedStore(CreatesBehind, SegmentStore):
    kind = "embedded"

    def __init__(self, data_dir: str | os.PathLike, synchronous: str = "FULL"):
        super().__init__()
        self.data_dir = Path(data_dir)
        self.path = self.data_dir / "tsstore.db"
        self._synchronous = synchronous
        self._local = threading.local()
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="sqlite-writer", initializer=self._on_writer_thread)
        self._readers = ThreadPoolExecutor(2, thread_name_prefix="sqlite-reader")
        self._opened = False
        self._names_load: asyncio.Task | None = None
        self._behind: CreationBehind | None = None  # create_behind
        self._pending_ids: dict[str, int] = {}  # with create_behind: name -> the id given, until its row is in
        self._next_id: int | None = None  # with create_behind: the next id to give (this process holds the data dir)

    # -- connections -----------------------------------------------------------
    def _on_writer_thread(self) -> None:
        self._local.cache_kib = WRITER_CACHE_KIB

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=True)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(f"PRAGMA synchronous={self._synchronous}")
            conn.execute("PRAGMA busy_timeout=30000")
            # 64 MiB a connection held 70 MB more RSS at 1M series for the same ingest rate
            conn.execute(f"PRAGMA cache_size=-{getattr(self._local, 'cache_kib', READER_CACHE_KIB)}")
            self._local.conn = conn
        return conn

    async def _on_writer(self, fn, *args):
        try:
            return await asyncio.get_running_loop().run_in_executor(self._writer, fn, *args)
        except sqlite3.OperationalError as exc:
            if "full" in str(exc):  # SQLITE_FULL: name the file and the space, the retry keeps trying
                raise StoreDiskFull(f"{self.path}: {exc} ({free_space(self.data_dir)} free); free space there, "
                                    "writes resume by themselves") from exc
            raise

    async def _on_reader(self, fn, *args):
        return await asyncio.get_running_loop().run_in_executor(self._readers, fn, *args)

    async def open(self) -> None:
        if self._opened:
            return
        self.data_dir.mkdir(parents=True, exist_ok=True)
        await self._on_writer(lambda: self._conn().executescript(SCHEMA))
        self._opened = True

    async def close(self) -> None:
        def _close():
            conn = getattr(self._local, "conn", None)
            if conn is not None:
                conn.close()
                self._local.conn = None

        if not self._opened:
            return
        if self._names_load is not None:
            self._names_load.cancel()
            await asyncio.gather(self._names_load, return_exceptions=True)
        if self._behind is not None:  # before the writer's connection goes: it writes them
            await self._behind.close()
        await self._on_writer(_close)
        for _ in range(2):
            await self._on_reader(_close)
        self._writer.shutdown(wait=True)
        self._readers.shutdown(wait=True)
        self._opened = False

    # -- series and tree --------------------------------------------------------
    def know_every_name(self) -> None:
        """This process writes the store and nobody else adds series (it holds the data dir):
        keep a filter of every name held (tsstore.store.name_filter), read beside the ingest."""
        if self._names is None:
            self._names = NameFilter()
            self._names_load = asyncio.ensure_future(self._load_names(self._names))

    async def _load_names(self, names: NameFilter) -> None:
        def _read() -> None:
            cur = self._conn().execute("SELECT name FROM series")
            while rows := cur.fetchmany(NAMES_READ_AT_ONCE):
                names.add([row[0] for row in rows])

        try:
            await self._on_reader(_read)
        except sqlite3.Error as exc:  # looked up as before: slower for new series, never wrong
            log.warning("embedded store: reading the series names failed (%s); new series are looked up in %s",
                        exc, self.path)
            return
        names.loaded()

    async def create_series(self, metas: list[SeriesMeta]) -> np.ndarray:
        schema_index: dict[tuple, int] = {}
        schema_of = [schema_index.setdefault((m.rollups, m.aggregation, m.xff), len(schema_index)) for m in metas]
        return await self._create([m.name for m in metas], list(schema_index), np.array(schema_of, np.int64), False)

    async def create_series_columns(self, names: list[str], schemas: list, schema_of: np.ndarray) -> np.ndarray:
        return await self._create(names, schemas, np.asarray(schema_of, np.int64), True)

    async def _create(self, names: list[str], schemas: list, schema_of: np.ndarray, looked_up: bool) -> np.ndarray:
        if not names:
            return np.zeros(0, np.int64)
        if self._behind is not None:
            return await self._create_behind(names, schemas, schema_of, looked_up)
        columns = [(rollups_text(rollups), aggregation, xff) for rollups, aggregation, xff in schemas]
        if self._names is not None:  # before they are written: a lookup meanwhile asks SQLite
            self._names.add(names)

        def _create() -> np.ndarray:
            conn = self._conn()
            conn.execute("BEGIN")
            try:
                # Ids given here, past the largest, so the keys need no SELECT when every row
                # was new (a name that existed keeps its id)
                first = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM series").fetchone()[0]
                order = self._id_order(names, schema_of)
                ids = np.arange(first, first + len(names), dtype=np.int64)
                inserted = self._insert_series(conn, [names[i] for i in order.tolist()], ids, schema_of[order], columns)
                if inserted == len(names):
                    keys = np.empty(len(names), np.int64)
                    keys[order] = ids
                else:
                    found = self._ids_of(conn, names)
                    keys = np.array([found[n] for n in names], np.int64)
                conn.execute("COMMIT")
                return keys
            except BaseException:
                if conn.in_transaction:  # on a full disk SQLite rolled back already: again would hide why
                    conn.execute("ROLLBACK")
                raise

        return await self._on_writer(_create)

    @staticmethod
    def _id_order(names: list[str], schema_of: np.ndarray) -> np.ndarray:
        """The order new series get their ids in: by name within each schema. Rows inserted
        in key order touch few B-tree pages (1.7x faster for shuffled names), neighbouring
        series share group rows (tsstore.store.segment_groups), and a schema's rows are few
        statements (_insert_series)."""
        order = np.array(sorted(range(len(names)), key=names.__getitem__), np.int64)
        return order[np.argsort(schema_of[order], kind="stable")]

    @staticmethod
    def _insert_series(conn, names: list[str], ids: np.ndarray, schema_of: np.ndarray, columns: list) -> int:
        """Insert series rows (names[i] under ids[i], ascending, with columns[schema_of[i]]) and
        their tags, in the caller's transaction; a name held already keeps its row. Each run of
        consecutive ids of one schema is one statement over a JSON array of its names (SQLite
        parses it in C: 500k rows 2.95 s -> 1.66 s against a row bound at a time). Returns the
        rows inserted."""
        changes = conn.total_changes
        bounds = (np.flatnonzero((np.diff(ids) != 1) | (np.diff(schema_of) != 0)) + 1).tolist()
        for start, stop in zip([0, *bounds], [*bounds, len(names)]):
            run_names = names[start:stop]
            schema = columns[int(schema_of[start])]
            array = _json_array(run_names)
            if array is None:  # JSON text would cut such a name at the NUL
                conn.executemany(INSERT_SERIES + "VALUES (?, ?, ?, ?, ?)",
                                 [(int(ids[start]) + i, name, *schema) for i, name in enumerate(run_names)])
                continue
            conn.execute(INSERT_SERIES + "SELECT ? + key, value, ?, ?, ? FROM json_each(?)",
                         (int(ids[start]), *schema, array))
        inserted = conn.total_changes - changes
        if ";" in "".join(names):  # tagged ones among them (one test in C, not one per name)
            conn.executemany(
                "INSERT OR IGNORE INTO tags (tag, value, name) VALUES (?, ?, ?)",
                [(tag, value, name) for name in names if ";" in name for tag, value in tag_rows(name)],
            )
        return inserted

    # -- creating behind the ingest ------------------------------------------------
    def create_behind(self, retry, busy=lambda: False) -> None:
        """From now on create_series answers at once and writes behind (tsstore.store.creation_behind):
        the ingest process's mode. This process holds the data directory, so it gives the ids
        itself; `retry` retries a failing write (StoreRetry); `busy()`: the ingest has points
        to apply. Creating 100k series took the consumer 0.73 s of a 1.5 s first pass of 1M
        points, while it applied nothing."""
        self._behind = CreationBehind(self._write_created, retry, busy=busy)

    async def _create_behind(self, names: list[str], schemas: list, schema_of: np.ndarray,
                             looked_up: bool) -> np.ndarray:
        """`looked_up`: the ingest's names, which it asked the store for and found absent
        (create_series_columns): only the ones pending are checked, not the ones held."""
        if self._next_id is None:
            first_free = await self.series_count_estimate() + 1
            self._next_id = self._next_id or first_free  # another call may have set it meanwhile
        held: dict[str, int] = {}
        if not looked_up:  # a rename's target or an import may exist: it keeps its row and key
            candidates = [n for n in names if n not in self._pending_ids]
            maybe = self.names_maybe_held(candidates)  # the name filter clears most without a lookup
            asked = candidates if maybe is None else [n for n, may in zip(candidates, maybe.tolist()) if may]
            held = await self._on_reader(lambda: self._ids_of(self._conn(), asked)) if asked else {}
        # no await from here on: a name is given one id, whoever else creates it meanwhile
        pending_ids = self._pending_ids  # after the await: _write_created may have replaced it
        keys = np.zeros(len(names), np.int64)
        if not held and pending_ids.keys().isdisjoint(names):  # the ingest's case: all new (no loop per name)
            new, new_names = np.arange(len(names)), names
        else:
            new = []
            for i, name in enumerate(names):
                key = pending_ids.get(name) or held.get(name)
                if key is None:
                    new.append(i)
                else:
                    keys[i] = key
            new = np.array(new, np.int64)
            new_names = [names[i] for i in new.tolist()]
        if len(new):
            order = new[self._id_order(new_names, schema_of[new])]
            first, self._next_id = self._next_id, self._next_id + len(order)
            keys[order] = np.arange(first, self._next_id, dtype=np.int64)
            created = [names[i] for i in order.tolist()]
            if self._names is not None:
                self._names.add(created)
            pending_ids.update(zip(created, range(first, self._next_id)))
            self._tell_created(created)  # this process's indexes: their catch-up reads SQLite, which lacks them yet
            await self._behind.add(created, list(map(schemas.__getitem__, schema_of[order].tolist())))
        return keys

    async def _write_created(self, names: list[str], schemas: list[tuple]) -> None:
        """CreationBehind's write: the rows of series created behind, under the ids given (in
        ascending order: their queue order), in one transaction."""
        ids = np.fromiter(map(self._pending_ids.__getitem__, names), np.int64, len(names))
        # the schemas by identity: a schema's series share its tuple, and hashing rollups is not cheap
        distinct = dict(zip(map(id, schemas), schemas))
        position = {key: i for i, key in enumerate(distinct)}
        schema_of = np.fromiter(map(position.__getitem__, map(id, schemas)), np.int64, len(names))
        columns = [(rollups_text(rollups), aggregation, xff) for rollups, aggregation, xff in distinct.values()]

        def _write() -> None:
            conn = self._conn()
            conn.execute("BEGIN")
            try:
                inserted = self._insert_series(conn, names, ids, schema_of, columns)
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:  # on a full disk SQLite rolled back already: again would hide why
                    conn.execute("ROLLBACK")
                raise
            if inserted != len(names):  # their points would go under ids no row has
                log.error("embedded store: %d of %d series created behind were in %s already, under other ids "
                          "(another process wrote to it, or a rename created one between the ingest's lookup and "
                          "its creation); their new points are written under ids no series has",
                          len(names) - inserted, len(names), self.path)

        await self._on_writer(_write)
        for name in names:  # in SQLite now: series_keys reads them there
            self._pending_ids.pop(name, None)
        if not self._pending_ids:  # an emptied dict keeps its largest table (15 MB after 500k names)
            self._pending_ids = {}

    @staticmethod
    def _meta_from_row(name, rollups, aggregation, xff) -> SeriesMeta:
        return SeriesMeta(name, rollups_of_text(rollups), aggregation, xff)

    def names_maybe_held(self, names: list[str]) -> np.ndarray | None:
        return self._names.may_hold(names) if self._names is not None and self._names.complete else None

    async def get_series(self, names: list[str]) -> dict[str, SeriesMeta]:
        if not names:
            return {}
        # the pending first: one written meanwhile is in SQLite before it leaves them
        pending = self._behind.pending_metas(names) if self._behind is not None else {}
        asked = [n for n in names if n not in pending] if pending else names

        def _get():
            conn = self._conn()
            out = pending
            for i in range(0, len(asked), 500):
                chunk = asked[i : i + 500]
                q = f"SELECT name, rollups, aggregation, xff FROM series WHERE name IN ({','.join('?' * len(chunk))})"
                for row in conn.execute(q, chunk):
                    out[row[0]] = self._meta_from_row(*row)
            return out

        return await self._on_reader(_get)

    def _children_sync(self, parent: str) -> list[Node]:
        """The children of a branch, read from the series names: the tree is the untagged
        names' prefixes, so creating a series writes no tree rows (a million series under a
        bushy tree were 1.7M rows) and a deletion leaves nothing to prune. A skip scan over the
        name index: the names under a child branch (parent.child. up to parent.child/, '/'
        following '.') are stepped over in one query, and so are a tagged path's names
        (path; up to path<, '<' following ';'); leaves are read in sorted runs."""
        conn = self._conn()
        prefix = parent + "." if parent else ""
        bound = " AND name < ?" if parent else ""
        after = (parent + "/",) if parent else ()
        found: dict[str, list[bool]] = {}  # child -> [is leaf, is branch]
        low, op = prefix, ">="
        while True:
            rows = conn.execute(f"SELECT name FROM series WHERE name {op} ?{bound} ORDER BY name LIMIT {CHILDREN_RUN}",
                                (low, *after)).fetchall()
            skip = None
            for (name,) in rows:
                rest = name[len(prefix):]
                tagged, dot = rest.find(";"), rest.find(".")
                if tagged >= 0:  # tagged series stay out of the tree
                    skip = prefix + rest[:tagged] + "<"
                    break
                if dot >= 0:
                    found.setdefault(rest[:dot], [False, False])[1] = True
                    skip = prefix + rest[:dot] + "/"
                    break
                found.setdefault(rest, [False, False])[0] = True
            if skip is not None:
                low, op = skip, ">="
            elif len(rows) == CHILDREN_RUN:
                low, op = rows[-1][0], ">"
            else:
                break
        return [Node(prefix + child, leaf, branch) for child, (leaf, branch) in sorted(found.items())]

    async def children(self, parent: str) -> list[Node]:
        return await self._on_reader(self._children_sync, parent)

    async def children_many(self, parents: list[str]) -> list[list[Node]]:
        return await self._on_reader(lambda: [self._children_sync(p) for p in parents])

    lists_tree_names = True  # ids are given past the largest: creation order

    async def tree_names_after(self, cursor: int, limit: int) -> tuple[str, int, int]:
        def _q():
            # one joined string per chunk: a million rows as Python tuples cost more than the read
            row = self._conn().execute(
                "SELECT count(*), max(id), group_concat(CASE WHEN instr(name, ';') = 0 THEN name END, char(10)) "
                "FROM (SELECT id, name FROM series WHERE id > ? ORDER BY id LIMIT ?)", (cursor, limit)).fetchone()
            return (row[2] or "", row[0], row[1] if row[0] else cursor)

        return await self._on_reader(_q)

    async def series_count_estimate(self) -> int:
        """The largest series id: the series created, deleted ones included (one index seek)."""
        return await self._on_reader(lambda: self._conn().execute("SELECT coalesce(max(id), 0) FROM series").fetchone()[0])

    keeps_tag_log = True

    async def tagged_names(self) -> tuple[list[str], int]:
        def _q():
            conn = self._conn()
            conn.execute("BEGIN")  # one snapshot: the names, and the log position they reflect
            try:
                cursor = conn.execute("SELECT coalesce(max(seq), 0) FROM tag_log").fetchone()[0]
                joined = conn.execute("SELECT group_concat(name, char(10)) FROM tags WHERE tag = 'name'").fetchone()[0]
            finally:
                conn.execute("COMMIT")
            return (joined.split("\n") if joined else []), cursor

        return await self._on_reader(_q)

    async def tag_changes_after(self, cursor: int, limit: int) -> tuple[list[tuple[str, bool]], int]:
        def _q():
            conn = self._conn()
            oldest = conn.execute("SELECT min(seq) FROM tag_log").fetchone()[0]
            if oldest is not None and cursor < oldest - 1:
                raise TagLogTrimmed(f"the tag log starts at {oldest}, after {cursor}")
            rows = conn.execute("SELECT seq, name, tagged FROM tag_log WHERE seq > ? ORDER BY seq LIMIT ?",
                                (cursor, limit)).fetchall()
            return [(name, bool(tagged)) for _, name, tagged in rows], (rows[-1][0] if rows else cursor)

        return await self._on_reader(_q)

    async def tag_names(self) -> list[str]:
        def _q():
            return [r[0] for r in self._conn().execute("SELECT DISTINCT tag FROM tags ORDER BY tag")]

        return await self._on_reader(_q)

    async def tag_values(self, tag: str) -> dict[str, int]:
        def _q():
            q = "SELECT value, count(*) FROM tags WHERE tag = ? GROUP BY value ORDER BY value"
            return dict(self._conn().execute(q, (tag,)).fetchall())

        return await self._on_reader(_q)

    async def series_with_tag(self, tag: str, value: str | None = None) -> list[str]:
        def _q():
            if value is None:
                rows = self._conn().execute("SELECT name FROM tags WHERE tag = ? ORDER BY name", (tag,))
            else:
                rows = self._conn().execute("SELECT name FROM tags WHERE tag = ? AND value = ? ORDER BY name", (tag, value))
            return [r[0] for r in rows]

        return await self._on_reader(_q)

    async def forget_tagged(self, names: list[str]) -> int:
        await self.creations_settled()  # a pending tagged series must not come back after

        def _delete():
            conn = self._conn()
            conn.execute("BEGIN")
            try:
                known = 0
                for name in names:
                    known += conn.execute("DELETE FROM tags WHERE tag = 'name' AND name = ?", (name,)).rowcount
                    for tag, value in tag_rows(name)[1:]:
                        conn.execute("DELETE FROM tags WHERE tag = ? AND value = ? AND name = ?", (tag, value, name))
                conn.execute("COMMIT")
                return known
            except BaseException:
                if conn.in_transaction:  # on a full disk SQLite rolled back already: again would hide why
                    conn.execute("ROLLBACK")
                raise

        return await self._on_writer(_delete)

    # -- lifecycle ------------------------------------------------------------------
    keeps_deletion_log = True

    async def last_writes(self, names: list[str]) -> dict[str, int]:
        def _q():
            out = {}
            for i in range(0, len(names), 500):
                chunk = names[i : i + 500]
                out.update(self._conn().execute(
                    f"SELECT s.name, a.last FROM series s JOIN activity a ON a.sid = s.id "
                    f"WHERE s.name IN ({','.join('?' * len(chunk))})", chunk).fetchall())
            return out

        return await self._on_reader(_q)

    async def delete_series(self, names: list[str], request: str) -> int:
        await self.creations_settled()  # a pending series must not come back after its deletion

        def _delete() -> int:
            conn = self._conn()
            conn.execute("BEGIN")
            try:
                ids = self._ids_of(conn, list(dict.fromkeys(names)))
                sids = np.array(sorted(ids.values()), np.int64)
                for i in range(0, len(sids), 500):
                    chunk = sids[i : i + 500].tolist()
                    marks = ",".join("?" * len(chunk))
                    for table, column in (("segments", "sid"), ("activity", "sid"), ("series", "id")):
                        conn.execute(f"DELETE FROM {table} WHERE {column} IN ({marks})", chunk)
                self._drop_group_pieces(conn, sids)
                gone = list(ids)
                conn.executemany("DELETE FROM tags WHERE tag = ? AND value = ? AND name = ?",
                                 [(tag, value, name) for name in gone if ";" in name for tag, value in tag_rows(name)])
                now = time.time()
                conn.executemany("INSERT INTO deletions (at, name, request) VALUES (?, ?, ?)",
                                 [(now, name, request) for name in gone])
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:  # on a full disk SQLite rolled back already: again would hide why
                    conn.execute("ROLLBACK")
                raise
            self._activity.forget(sids)
            return len(gone)

        return await self._on_writer(_delete)

    @staticmethod
    def _drop_group_pieces(conn, sids: np.ndarray) -> None:
        """Take the deleted series' pieces out of their groups' rows (a row left empty goes)."""
        for group in np.unique(groups.group_of(sids)).tolist():
            gone = groups.member_of(sids[groups.group_of(sids) == group])
            rows = conn.execute("SELECT level, window, seq, blob FROM segments WHERE sid = ?", (-1 - group,)).fetchall()
            for level, window, seq, blob in rows:
                members, pieces = groups.split(blob)
                keep = ~np.isin(members, gone)
                if keep.all():
                    continue
                key = (-1 - group, level, window, seq)
                if not keep.any():
                    conn.execute("DELETE FROM segments WHERE sid = ? AND level = ? AND window = ? AND seq = ?", key)
                    continue
                kept = [p for p, k in zip(pieces, keep.tolist()) if k]
                conn.execute("UPDATE segments SET blob = ? WHERE sid = ? AND level = ? AND window = ? AND seq = ?",
                             (groups.pack(members[keep], kept), *key))

    async def deletion_cursor(self) -> int:
        return await self._on_reader(lambda: self._conn().execute("SELECT coalesce(max(seq), 0) FROM deletions").fetchone()[0])

    async def deletions_after(self, cursor: int, limit: int) -> tuple[list[tuple[float, str, str]], int]:
        def _q():
            rows = self._conn().execute("SELECT seq, at, name, request FROM deletions WHERE seq > ? ORDER BY seq LIMIT ?",
                                        (cursor, limit)).fetchall()
            return [(at, name, request) for _, at, name, request in rows], (rows[-1][0] if rows else cursor)

        return await self._on_reader(_q)

    async def deletions_since(self, when: float, limit: int) -> list[tuple[float, str, str]]:
        def _q():
            return self._conn().execute("SELECT at, name, request FROM deletions WHERE at >= ? ORDER BY seq LIMIT ?",
                                        (when, limit)).fetchall()

        return await self._on_reader(_q)

    # -- events -------------------------------------------------------------------
    async def add_event(self, event: Event) -> int:
        def _add():
            cur = self._conn().execute("INSERT INTO events (at, what, data, tags) VALUES (?, ?, ?, ?)",
                                       (event.when, event.what, event.data, " ".join(event.tags)))
            return cur.lastrowid

        return await self._on_writer(_add)

    @staticmethod
    def _event(row) -> Event:
        eid, at, what, data, tags = row
        return Event(at, what, data, tags.split(), eid)

    async def events_between(self, start: float, end: float) -> list[Event]:
        def _q():
            rows = self._conn().execute("SELECT id, at, what, data, tags FROM events WHERE at >= ? AND at <= ? ORDER BY at, id", (start, end))
            return [self._event(r) for r in rows]

        return await self._on_reader(_q)

    async def get_event(self, event_id: int) -> Event | None:
        def _q():
            row = self._conn().execute("SELECT id, at, what, data, tags FROM events WHERE id = ?", (event_id,)).fetchone()
            return self._event(row) if row else None

        return await self._on_reader(_q)

    # -- points -------------------------------------------------------------------
    # Blocks per writer-thread job: a flush of a million series is many jobs, so a
    # create_series (a new series' first points wait for it) runs between two of them.
    WRITE_CHUNK_BLOCKS = 5_000

    def _ids_of(self, conn, names: list[str]) -> dict[str, int]:
        ids: dict[str, int] = {}
        for i in range(0, len(names), 500):
            chunk = names[i : i + 500]
            ids.update(conn.execute(f"SELECT name, id FROM series WHERE name IN ({','.join('?' * len(chunk))})", chunk).fetchall())
        return ids

    async def series_keys(self, names: list[str]) -> np.ndarray:
        """The series' row ids (given already to those created behind and not yet written)."""
        pending = {n: self._pending_ids[n] for n in names if n in self._pending_ids} if self._pending_ids else {}
        asked = list(dict.fromkeys(n for n in names if n not in pending))
        ids = await self._on_reader(lambda: self._ids_of(self._conn(), asked))
        ids.update(pending)
        unknown = [n for n in names if n not in ids]
        if unknown:
            raise KeyError(f"write for series never created: {unknown[:3]}")
        return np.array([ids[n] for n in names], np.int64)

    async def write_batch(self, batch: WriteBatch) -> None:
        # the store holds no points of a series it does not list, and the WAL is trimmed only
        # after this: a crash before the series are written replays their points
        await self.creations_settled()
        for lo in range(0, len(batch), self.WRITE_CHUNK_BLOCKS):
            await self._on_writer(self._write_sync, batch.blocks(lo, min(lo + self.WRITE_CHUNK_BLOCKS, len(batch))))
        if self._fsyncs_each_commit:
            await self._on_writer(self._sync_wal)

    @property
    def _fsyncs_each_commit(self) -> bool:
        return self._synchronous.upper() in ("FULL", "EXTRA")

    def _sync_wal(self) -> None:
        """Make every committed chunk durable with one fsync of SQLite's WAL file: the chunks
        commit with synchronous=NORMAL (no fsync each, which was half the writer's time), and
        the WAL holds every frame not yet checkpointed (a checkpoint syncs the database)."""
        try:
            fd = os.open(f"{self.path}-wal", os.O_RDONLY)
        except FileNotFoundError:
            return
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def _write_sync(self, batch: WriteBatch) -> None:
        """Encode and insert one chunk in one transaction (on the writer thread: encoding a
        large flush must not hold up the event loop), compacting the windows it filled."""
        seg = self.encode(batch)
        keys = batch.keys[seg.blocks]
        conn = self._conn()
        if not self._fsyncs_each_commit:
            return self._insert_segments(conn, batch, seg, keys)
        conn.execute("PRAGMA synchronous=NORMAL")  # write_batch syncs once at the end (_sync_wal)
        try:
            self._insert_segments(conn, batch, seg, keys)
        finally:
            conn.execute(f"PRAGMA synchronous={self._synchronous}")

    def _insert_segments(self, conn, batch: WriteBatch, seg, keys) -> None:
        """The batch's segments as group rows (tsstore.store.segment_groups): one row per group
        and window, whatever the number of series in it; groups whose window gathered
        COMPACT_AFTER rows, or whose writes moved on to a newer window (SegmentCounts), are
        compacted in the same transaction."""
        order, row_starts = groups.rows_of(keys, seg.windows)
        first = order[row_starts[:-1]]
        row_groups, row_windows = groups.group_of(keys[first]), seg.windows[first]
        row_expires = np.maximum.reduceat(seg.expires_at[order], row_starts[:-1]) if len(first) else first
        members, taken, blobs = groups.member_of(keys[order]), order.tolist(), seg.blobs
        packed = [groups.pack(members[a:b], [blobs[i] for i in taken[a:b]])
                  for a, b in zip(row_starts[:-1].tolist(), row_starts[1:].tolist())]
        active_keys, newest, _ = self.activity_due(batch)
        conn.execute("BEGIN")
        try:
            conn.executemany(
                "INSERT INTO activity (sid, last) VALUES (?, ?) ON CONFLICT (sid) DO UPDATE SET last = max(last, excluded.last)",
                zip(active_keys.tolist(), newest.tolist()))
            conn.executemany(
                "INSERT INTO segments (sid, level, window, seq, expires_at, blob) VALUES (?, ?, ?, ?, ?, ?)",
                zip((-1 - row_groups).tolist(), repeat(batch.level), row_windows.tolist(),
                    self._seq.take(len(packed)).tolist(), row_expires.tolist(), packed),
            )
            for group, window in self.windows_to_compact(row_groups, batch.level, row_windows):
                self._compact_group_window(conn, group, batch.level, window)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:  # on a full disk SQLite rolled back already: again would hide why
                conn.execute("ROLLBACK")
            raise

    def _compact_group_window(self, conn, group: int, level: int, window: int) -> None:
        """Move the pieces of a group's rows for one window into one row per series: each
        series' row there (if any) merged with its pieces, later writes winning, under the
        newest seq merged. Only rows read here are deleted (one writer: nothing else wrote
        meanwhile). Decoding, merging and encoding are one call each for the whole group."""
        group_key = -1 - group
        rows = conn.execute("SELECT seq, expires_at, blob FROM segments WHERE sid=? AND level=? AND window=? ORDER BY seq",
                            (group_key, level, window)).fetchall()
        if not rows:
            return
        sid_parts, seq_parts, expiry_parts, blobs = [], [], [], []
        for seq, expires_at, blob in rows:
            members, pieces = groups.split(blob)
            sid_parts.append(members.astype(np.int64) + (group << groups.GROUP_BITS))
            seq_parts.append(np.full(len(pieces), seq, np.int64))
            expiry_parts.append(np.full(len(pieces), expires_at, np.int64))
            blobs.extend(pieces)
        sids = np.unique(np.concatenate(sid_parts))
        marks = ",".join("?" * len(sids))
        own = conn.execute(f"SELECT sid, seq, expires_at, blob FROM segments WHERE sid IN ({marks}) AND level=? AND window=?",
                           (*sids.tolist(), level, window)).fetchall()
        sid_parts.append(np.array([r[0] for r in own], np.int64))
        seq_parts.append(np.array([r[1] for r in own], np.int64))
        expiry_parts.append(np.array([r[2] for r in own], np.int64))
        blobs.extend(r[3] for r in own)
        step_of = {sid: rollups_of_text(text)[level].step
                   for sid, text in conn.execute(f"SELECT id, rollups FROM series WHERE id IN ({marks})", sids.tolist())}
        piece_sid, piece_seq, piece_expiry = (np.concatenate(p) for p in (sid_parts, seq_parts, expiry_parts))
        if len(step_of) < len(sids):
            # no read can reach points of an id the series table lacks (reads go by name):
            # leaving them would stop every later flush of this group, so they go, named
            lost = [s for s in sids.tolist() if s not in step_of]
            log.warning("%s: dropping the points of series ids %s at level %d, window %d: the series table lacks them",
                        self.path, lost[:10], level, window)
            kept = np.isin(piece_sid, lost, invert=True)
            piece_sid, piece_seq, piece_expiry = piece_sid[kept], piece_seq[kept], piece_expiry[kept]
            blobs = [b for b, k in zip(blobs, kept.tolist()) if k]
            sids = np.array(sorted(step_of), np.int64)
            marks = ",".join("?" * len(sids))
        steps = np.array([step_of[s] for s in sids.tolist()], np.int64)
        series_of_piece = np.searchsorted(sids, piece_sid)
        ts, values, starts = codec.decode_batch(blobs, np.full(len(blobs), window, np.int64), steps[series_of_piece])
        slot_series = np.repeat(series_of_piece, np.diff(starts))
        slot_seq = np.repeat(piece_seq, np.diff(starts))
        # the winning write first within each (series, slot), as merge_last_wins picks it: the
        # newest, and at a coarse level the one counting the most finest slots before that
        order = (np.lexsort((-slot_seq, ts, slot_series)) if level == 0
                 else np.lexsort((-slot_seq, -values[:, COUNT], ts, slot_series)))
        slot_series, ts = slot_series[order], ts[order]
        newest = np.ones(len(order), bool)
        newest[1:] = (slot_series[1:] != slot_series[:-1]) | (ts[1:] != ts[:-1])
        slot_series, ts, values = slot_series[newest], ts[newest], values[order[newest]]
        block_starts = np.searchsorted(slot_series, np.arange(len(sids) + 1))
        blocks, windows, encoded = codec.encode_batch(ts, values, block_starts, steps, WINDOW_SLOTS)
        if len(blocks) != len(sids) or np.any(windows != window):
            raise RuntimeError(f"{self.path}: compacting group {group} level {level} window {window} "
                               "gave slots outside it")
        newest_seq = np.full(len(sids), np.iinfo(np.int64).min)
        np.maximum.at(newest_seq, series_of_piece, piece_seq)
        latest_expiry = np.full(len(sids), np.iinfo(np.int64).min)
        np.maximum.at(latest_expiry, series_of_piece, piece_expiry)
        conn.execute(f"DELETE FROM segments WHERE sid IN ({marks}) AND level=? AND window=?", (*sids.tolist(), level, window))
        conn.executemany("INSERT INTO segments (sid, level, window, seq, expires_at, blob) VALUES (?, ?, ?, ?, ?, ?)",
                         zip(sids.tolist(), repeat(level), repeat(window), newest_seq.tolist(), latest_expiry.tolist(),
                             encoded))
        conn.execute("DELETE FROM segments WHERE sid=? AND level=? AND window=? AND seq<=?",
                     (group_key, level, window, rows[-1][0]))

    def _read_many_sync(self, names, level_of, start: int, end: int) -> dict[str, Slots]:
        """read() of many series in a few statements: one per 500 names for the ids, one per
        500 series of the same level for the segments (a panel over 500 series was 1,000)."""
        conn = self._conn()
        ids = self._ids_of(conn, names)
        by_level: dict[tuple[int, int], list[str]] = defaultdict(list)
        for n in names:
            by_level[level_of[n]].append(n)
        out: dict[str, Slots] = {}
        for (level, step), group in by_level.items():
            columns = columns_of(level)
            windows = self.windows_between(step, start, end)
            sids = np.array(sorted({ids[n] for n in group if n in ids}), np.int64)
            blobs: dict[int, list] = defaultdict(list)  # sid -> [(window, seq, blob)]
            for i in range(0, len(sids) if windows else 0, 500):
                chunk = sids[i : i + 500]
                wanted = {int(g): groups.member_of(chunk[groups.group_of(chunk) == g]) for g in np.unique(groups.group_of(chunk))}
                keys = [*chunk.tolist(), *(-1 - g for g in wanted)]
                q = (f"SELECT sid, window, seq, blob FROM segments WHERE sid IN ({','.join('?' * len(keys))}) "
                     "AND level=? AND window>=? AND window<=?")
                for key, window, seq, blob in conn.execute(q, (*keys, level, windows[0], windows[-1])):
                    if key >= 0:
                        blobs[key].append((window, seq, blob))
                        continue
                    base = (-1 - key) << groups.GROUP_BITS
                    for member, piece in groups.pieces_of(blob, wanted[-1 - key]):
                        blobs[base + member].append((window, seq, piece))
            for n in group:
                found = blobs.get(ids.get(n, -1))
                if not found:
                    out[n] = Slots.empty(columns)
                    continue
                # windows are disjoint, so one last-wins merge over (window, seq) order is exact
                found.sort(key=lambda row: (row[0], row[1]))
                out[n] = self.decode_rows([(w, b) for w, _, b in found], step, columns).between(start, end)
        return out

    async def read_many(self, names, level_of, start, end) -> dict[str, Slots]:
        return await self._on_reader(self._read_many_sync, list(names), level_of, start, end)

    async def expire(self, now: int) -> int:
        def _expire():
            cur = self._conn().execute("DELETE FROM segments WHERE expires_at < ?", (now,))
            # the tag log keeps its newest rows: an index further behind than that rebuilds
            self._conn().execute("DELETE FROM tag_log WHERE seq <= (SELECT max(seq) FROM tag_log) - ?", (TAG_LOG_KEEP,))
            return cur.rowcount

        return await self._on_writer(_expire)

    async def disk_bytes(self) -> int:
        def _checkpoint():
            self._conn().execute("PRAGMA wal_checkpoint(TRUNCATE)")

        await self._on_writer(_checkpoint)
        return sum(p.stat().st_size for p in self.data_dir.glob("tsstore.db*"))
