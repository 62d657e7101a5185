"""Compaction on Cassandra with several writers: a segment another process writes while a
window is being compacted, its sequence number from a clock behind the compacting process's,
is not deleted with the rows that were merged (a range delete took it: 100,000 of 160,000
points lost with a writer 5 s behind)."""
import time

import numpy as np
import pytest

from tsstore.model import Rollup, SeriesMeta, Slots, WriteRequest
from tsstore.store.base import COMPACT_AFTER, WINDOW_SLOTS, WRITER_BITS
from tsstore.store.cassandra.store import CassandraStore

pytestmark = pytest.mark.cassandra

STEP = 10
NAME = "shared.series"
WINDOW = int(time.time()) // (STEP * WINDOW_SLOTS) * (STEP * WINDOW_SLOTS)


class ClockBehind:
    """A store's segment sequence numbers from a clock `seconds` behind, for writer `writer`."""

    def __init__(self, seconds: float, writer: int):
        self.offset, self.writer, self.last = int(seconds * 1e9), writer, 0

    def take(self, n: int) -> np.ndarray:
        unit = 1 << WRITER_BITS
        first = max(((time.time_ns() - self.offset) >> WRITER_BITS) << WRITER_BITS | self.writer, self.last + unit)
        self.last = first + (n - 1) * unit
        return first + np.arange(n, dtype=np.int64) * unit


def _one_point(i: int, value: float | None = None) -> WriteRequest:
    return WriteRequest(NAME, 0, STEP, Slots(np.array([WINDOW + i * STEP]), np.array([[float(i) if value is None else value]])),
                        86400 * 30)


async def test_a_segment_written_during_a_compaction_is_kept(cassandra_url):
    ahead, behind = CassandraStore(cassandra_url), CassandraStore(cassandra_url)
    await ahead.open()
    await behind.open()
    try:
        behind._seq = ClockBehind(5.0, writer=ahead._seq.writer ^ 1)
        await ahead.create_series([SeriesMeta(NAME, (Rollup(STEP, 86400 * 30 // STEP),))])
        run_all = ahead._run_all
        injected = []

        async def write_between_read_and_delete(calls):
            calls = list(calls)
            out = await run_all(calls)
            if not injected and calls and calls[0][0] is ahead.q["get_to_merge"]:  # the compaction's read
                injected.append(True)
                await behind.write([_one_point(1000)])  # seq 5 s behind every row just read
            return out

        ahead._run_all = write_between_read_and_delete
        for i in range(COMPACT_AFTER):  # the last one makes the window due: read, merge, delete
            await ahead.write([_one_point(i)])
        assert injected, "the window was not compacted"
        got = await ahead.read(NAME, 0, STEP, WINDOW, WINDOW + WINDOW_SLOTS * STEP)
        assert got.ts.tolist() == [WINDOW + i * STEP for i in [*range(COMPACT_AFTER), 1000]]
        assert got.values[:, 0].tolist() == [float(i) for i in [*range(COMPACT_AFTER), 1000]]
    finally:
        await ahead.close()
        await behind.close()


async def test_a_window_two_writers_left_before_either_compacted_it_is_compacted_and_reported_shared(cassandra_url):
    """Two writers put fewer than COMPACT_AFTER segments each into a window of one series;
    then one writes the next window. The window left behind is compacted, and the series
    reported as written by two processes over the slots they wrote: its coarse slots, each
    writer's share, are re-derived from the store then (tests/cluster/test_two_writers.py:
    without this, 320 of 1,500 coarse slots kept one writer's share where the sends left a
    window before either writer had compacted it)."""
    first, second = CassandraStore(cassandra_url), CassandraStore(cassandra_url)
    await first.open()
    await second.open()
    try:
        second._seq = ClockBehind(0.0, writer=first._seq.writer ^ 1)
        noted = []
        first.on_shared_writes(noted.extend)
        await first.create_series([SeriesMeta(NAME, (Rollup(STEP, 86400 * 30 // STEP),))])
        for i in range(3):
            await first.write([_one_point(i)])
            await second.write([_one_point(10 + i)])
        assert noted == [], "compacted before COMPACT_AFTER segments"
        await first.write([_one_point(WINDOW_SLOTS)])  # the next window
        assert noted == [(NAME, WINDOW, WINDOW + 13 * STEP)]
        rows = first.session.execute(f"SELECT seq FROM {first.config.keyspace}.segments_by_shard WHERE shard=%s AND level=0 AND window=%s AND name=%s",
                                     (first.shard_of(NAME), WINDOW, NAME))
        assert len(list(rows)) == 2, "the window left behind was not compacted into a row per writer"
        got = await first.read(NAME, 0, STEP, WINDOW, WINDOW + 2 * WINDOW_SLOTS * STEP)
        assert got.ts.tolist() == [WINDOW + i * STEP for i in (0, 1, 2, 10, 11, 12, WINDOW_SLOTS)]
    finally:
        await first.close()
        await second.close()


LOW, HIGH = 5, 3000  # writer ids


@pytest.mark.parametrize("behind_writer", [LOW, HIGH])
@pytest.mark.parametrize("first_writer", [LOW, HIGH])
async def test_two_writers_values_for_one_slot_the_higher_writer_wins_whatever_the_clocks(cassandra_url, behind_writer,
                                                                                       first_writer):
    """Two writers put different values into one finest slot: every read, before and after
    either compacts, gives the higher writer id's value, whichever wrote first and whichever
    clock is 5 s behind; a writer's later write of a slot only it wrote still wins over its own
    earlier one, merged or not."""
    stores = {w: CassandraStore(cassandra_url) for w in (LOW, HIGH)}
    reader = CassandraStore(cassandra_url)
    for store in (*stores.values(), reader):
        await store.open()
    try:
        for w, store in stores.items():
            store._seq = ClockBehind(5.0 if w == behind_writer else 0.0, w)
        await reader.create_series([SeriesMeta(NAME, (Rollup(STEP, 86400 * 30 // STEP),))])
        order = [first_writer, LOW + HIGH - first_writer]
        for w in order:
            await stores[w].write([_one_point(0, value=float(w))])  # the conflict: slot 0

        async def slot_values():
            got = await reader.read(NAME, 0, STEP, WINDOW, WINDOW + WINDOW_SLOTS * STEP)
            return dict(zip(((got.ts - WINDOW) // STEP).tolist(), got.values[:, 0].tolist()))

        assert (await slot_values())[0] == HIGH
        # each writes slots of its own until it compacts the window (and sees the other writer):
        # its COMPACT_AFTER-th segment of the window
        own = {LOW: range(100, 99 + COMPACT_AFTER), HIGH: range(200, 199 + COMPACT_AFTER)}
        for w in order:
            for i in own[w]:
                await stores[w].write([_one_point(i)])
        values = await slot_values()
        assert values[0] == HIGH
        assert all(values[i] == i for w in own for i in own[w])
        rows = reader.session.execute(f"SELECT seq FROM {reader.config.keyspace}.segments_by_shard WHERE shard=%s AND level=0 AND window=%s AND name=%s",
                                      (reader.shard_of(NAME), WINDOW, NAME))
        assert len(list(rows)) == 2, "each writer's rows were not merged into one"
        await stores[LOW].write([_one_point(100, value=-1.0)])  # LOW corrects a slot only it wrote
        values = await slot_values()
        assert values[0] == HIGH and values[100] == -1.0
    finally:
        for store in (*stores.values(), reader):
            await store.close()
