"""Compaction on Cassandra with several writers: a segment another process writes while a
window is being compacted, its sequence number from a clock behind the compacting process's,
is not deleted with the rows that were merged (a range delete took it: 100,000 of 160,000
points lost with a writer 5 s behind)."""
import time

import numpy as np
import pytest

from tsstore.model import Rollup, SeriesMeta, Slots, WriteRequest
from tsstore.store.base import COMPACT_AFTER, WINDOW_SLOTS
from tsstore.store.cassandra.store import CassandraStore

pytestmark = pytest.mark.cassandra

STEP = 10
NAME = "shared.series"
WINDOW = int(time.time()) // (STEP * WINDOW_SLOTS) * (STEP * WINDOW_SLOTS)


class ClockBehind:
    """A store's segment sequence numbers from a clock `seconds` behind."""

    def __init__(self, seconds: float):
        self.offset, self.last = int(seconds * 1e9), 0

    def take(self, n: int) -> np.ndarray:
        first = max(time.time_ns() - self.offset, self.last + 1)
        self.last = first + n - 1
        return np.arange(first, first + n, dtype=np.int64)


def _one_point(i: int) -> WriteRequest:
    return WriteRequest(NAME, 0, STEP, Slots(np.array([WINDOW + i * STEP]), np.array([[float(i)]])), 86400 * 30)


async def test_a_segment_written_during_a_compaction_is_kept(cassandra_url):
    ahead, behind = CassandraStore(cassandra_url), CassandraStore(cassandra_url)
    await ahead.open()
    await behind.open()
    try:
        behind._seq = ClockBehind(5.0)
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
