"""Bounded concurrent requests to Cassandra, and unlogged batches within one partition.

run_all() executes many statements with at most `inflight` outstanding and returns the rows
of each, in order (every page); any failure is a StoreUnavailable. batches() groups
(partition, statement, params, bytes) items into unlogged batches that each stay inside one
partition (one mutation for Cassandra, one request for the driver) and under a byte size.
"""
from __future__ import annotations

import asyncio
import threading
from collections import defaultdict

from tsstore.store.errors import StoreUnavailable


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
    loop = asyncio.get_running_loop()
    fut = loop.create_future()
    results: list = [None] * len(calls)
    lock = threading.Lock()
    state = {"next": 0, "remaining": len(calls), "error": None}

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

    for _ in range(min(inflight, len(calls))):
        launch()
    try:
        return await fut
    except Exception as exc:
        raise StoreUnavailable(f"Cassandra request failed: {type(exc).__name__}: {exc}") from exc


def batches(items: list[tuple], batch_bytes: int) -> list:
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
            if batch is None or size + nbytes > batch_bytes:
                batch, size = BatchStatement(batch_type=BatchType.UNLOGGED), 0
                out.append((batch, None))
            batch.add(stmt, params)
            size += nbytes
    return out
