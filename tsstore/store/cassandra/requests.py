"""Bounded concurrent requests to Cassandra, and unlogged batches within one partition.

run_all() executes many statements with at most `inflight` outstanding and returns the rows
of each, in order (every page); any failure is a StoreUnavailable. batches() groups
(partition, statement, params, bytes) items into unlogged batches under a byte size: a
partition's own, or a few small partitions sharing their replicas.
"""
from __future__ import annotations

import asyncio
import threading
from collections import defaultdict

from tsstore.store.errors import StoreUnavailable


# Statements launched between two turns of the event loop.
LAUNCHES_PER_TURN = 16

# What an answered ResponseFuture still refers to: its request, statement (every bound
# value), query plan and rows. The driver keeps each future until its request timeout
# (10 s) has passed, answered or not (a cancelled timer stays queued until it is due), so
# a burst's statements stayed in memory 10 s after Cassandra took them: 1.6 KB per series
# while 100k series were created, 1.8 GB at a million.
_HELD_AFTER_ANSWER = ("message", "query", "query_plan", "_final_result")


def _let_go(rf) -> None:
    """Drop what an answered future holds (its callbacks too: they hold the caller's lists)."""
    rf.clear_callbacks()
    for attr in _HELD_AFTER_ANSWER:
        if hasattr(rf, attr):
            setattr(rf, attr, None)


async def run_all(session, calls, inflight: int) -> list:
    """Execute many statements with at most `inflight` outstanding; rows of each, in order.

    Completions are chained inside the driver's own thread and the event loop is woken
    once for the whole group: per-statement wake-ups cost more than the statements.
    """
    calls = list(calls)
    if not calls:
        return []
    if session is None:
        raise StoreUnavailable("Cassandra store is not open")
    window = _Window(session, calls, asyncio.get_running_loop())
    first = min(inflight, len(calls))
    for i in range(first):
        window.launch()
        if i % LAUNCHES_PER_TURN == LAUNCHES_PER_TURN - 1 and i + 1 < first:
            await asyncio.sleep(0)  # a flush's first window (256 launches, some 40 ms) held up the reads
    try:
        return await window.done
    except Exception as exc:
        raise StoreUnavailable(f"Cassandra request failed: {type(exc).__name__}: {exc}") from exc


class _Window:
    """One run_all's statements in flight. An object, not closures that call each other: such
    closures form a cycle, which kept every statement of a call until the cyclic GC ran."""

    def __init__(self, session, calls: list, loop):
        self.session, self.calls, self.loop = session, calls, loop
        self.done = loop.create_future()
        self.results: list = [None] * len(calls)
        self.lock = threading.Lock()
        self.next = 0
        self.remaining = len(calls)
        self.error: BaseException | None = None

    def launch(self) -> None:
        with self.lock:
            i = self.next
            if i >= len(self.calls):
                return
            self.next = i + 1
        stmt, params = self.calls[i]
        self.calls[i] = None  # the driver holds it while it runs
        try:
            rf = self.session.execute_async(stmt, params)
        except Exception as exc:  # e.g. the session is shutting down
            self.error = self.error or exc
            self._finish_one()
            return
        rf.add_callbacks(self._ok, self._failed, callback_args=(i, rf, []), errback_args=(rf,))

    def _ok(self, rows, i: int, rf, acc: list) -> None:
        if rows:
            acc.extend(rows)
        if rf.has_more_pages:
            rf.start_fetching_next_page()
            return
        self.results[i] = acc
        _let_go(rf)
        self._finish_one()

    def _failed(self, exc, rf) -> None:
        self.error = self.error or exc
        _let_go(rf)
        self._finish_one()

    def _finish_one(self) -> None:
        with self.lock:
            self.remaining -= 1
            last = self.remaining == 0
        if not last:
            self.launch()
            return
        err, results = self.error, self.results
        done = self.done
        self.loop.call_soon_threadsafe(
            lambda: done.done() or (done.set_exception(err) if err else done.set_result(results)))


# Cassandra logs a warning for an unlogged batch over more partitions than this
# (unlogged_batch_across_partitions_warn_threshold, 10 by default).
PARTITIONS_PER_BATCH = 10


def batches(items: list[tuple], batch_bytes: int, replicas_of=None) -> list:
    """Unlogged batches of (partition, statement, params, bytes) items, under a byte size
    (the batch size Cassandra warns about).

    A partition with a batch's worth of rows gets batches of its own (one mutation each for
    Cassandra). Smaller ones (a series row, a parent's few leaves) share batches of up to
    PARTITIONS_PER_BATCH partitions whose replicas are the same (`replicas_of(bound
    statement)`, e.g. the hosts owning its token; None: one group): the driver's cost is per
    request (about 80 us), a row in a batch costs a tenth of that, and a batch routed by its
    first row's token then needs no further hop. A lone statement is sent as itself.
    """
    by_partition: dict[tuple, list] = defaultdict(list)
    for item in items:
        by_partition[item[0]].append(item)
    out: list[list] = []
    shared: dict[object, list] = defaultdict(list)  # replicas -> small partitions' items
    for part_items in by_partition.values():
        if sum(item[3] for item in part_items) >= batch_bytes // 2:
            _cut(part_items, batch_bytes, 0, out)
            continue
        replicas = None
        if replicas_of is not None:  # bound here once: the batch takes the bound statement
            part, stmt, params, nbytes = part_items[0]
            bound = stmt.bind(params)
            part_items[0] = (part, bound, None, nbytes)
            replicas = replicas_of(bound)
        shared[replicas].extend(part_items)
    for grouped in shared.values():
        _cut(grouped, batch_bytes, PARTITIONS_PER_BATCH, out)
    return [_statement(rows) for rows in out]


def _cut(items: list[tuple], batch_bytes: int, max_partitions: int, out: list) -> None:
    """Items, grouped by partition, into lists of (statement, params) under batch_bytes and,
    with max_partitions, over at most that many partitions."""
    rows, size, partitions, last = None, 0, 0, object()
    for part, stmt, params, nbytes in items:
        new_partition = part != last
        if rows is None or size + nbytes > batch_bytes or (max_partitions and new_partition and partitions == max_partitions):
            rows, size, partitions = [], 0, 0
            out.append(rows)
            new_partition = True
        partitions += new_partition
        last = part
        rows.append((stmt, params))
        size += nbytes


def _statement(rows: list[tuple]) -> tuple:
    """(statement, params) to execute: a batch of one is a plain statement with extra work.

    The first row is added as the driver adds it (it routes the batch by its token and sets
    its keyspace); the rest of a prepared statement's rows are serialized here and appended
    as the driver's add() appends them (`_statements_and_parameters`, a private list):
    add() binds a whole BoundStatement per row, 4.4 us, where this takes 0.9 us. A flush of
    100k series adds some 400k rows, and that Python work, in the serving process, held up
    the reads that met it (tests/store/test_cassandra_batches.py checks both give the same).
    """
    from cassandra.query import BatchStatement, BatchType

    if len(rows) == 1:
        return rows[0]
    batch = BatchStatement(batch_type=BatchType.UNLOGGED)
    batch.add(*rows[0])
    append = batch._statements_and_parameters.append
    for stmt, params in rows[1:]:
        serialize = _serializers(stmt, params)
        if serialize is None:
            batch.add(stmt, params)
        else:
            version = stmt.protocol_version
            append((True, stmt.query_id, [None if v is None else ser(v, version) for ser, v in zip(serialize, params)]))
    return batch, None


_SERIALIZERS: dict[bytes, list] = {}  # a prepared statement's query id -> its bind variables' serializers


def _serializers(stmt, params) -> list | None:
    """The driver's serializer of each bind variable, as BoundStatement.bind uses them
    (no column encryption here); None where bind() must do it (not a prepared statement
    with every value given)."""
    if params is None or not hasattr(stmt, "column_metadata") or len(params) != len(stmt.column_metadata):
        return None
    found = _SERIALIZERS.get(stmt.query_id)
    if found is None:
        found = _SERIALIZERS[stmt.query_id] = [spec.type.serialize for spec in stmt.column_metadata]
    return found
