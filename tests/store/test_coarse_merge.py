"""Coarse slots written by more than one process: the write counting the most finest slots
wins (then the latest), on both stores, in reads and after compaction; the finest level stays
last-write-wins; every segment's sequence number carries its writer."""
import numpy as np

from tsstore.model import Rollup, SeriesMeta, Slots, WriteRequest
from tsstore.store.base import COMPACT_AFTER, WRITER_BITS, WRITER_MASK, _SeqClock, merge_last_wins
from tests.store.test_store_contract import T0, make_store, store  # noqa: F401  (fixtures)

META = SeriesMeta("shared.coarse", (Rollup(10, 100_000), Rollup(60, 100_000)), "sum", 0.0)


def coarse(ts, sum_, count, min_, max_, last) -> Slots:
    return Slots(np.array([ts], np.int64), np.array([[sum_, count, min_, max_, last]], np.float64))


def test_the_merge_rule():
    partial_late = coarse(T0, 5.0, 2, 2.0, 3.0, 3.0)
    whole_early = coarse(T0, 12.0, 4, 2.0, 4.0, 4.0)
    got = merge_last_wins([whole_early, partial_late], 5)
    assert got.values.tolist() == [[12.0, 4, 2.0, 4.0, 4.0]]  # counted more: wins though written first
    corrected = coarse(T0, 13.0, 4, 2.0, 5.0, 5.0)
    assert merge_last_wins([whole_early, corrected], 5).values.tolist() == [[13.0, 4, 2.0, 5.0, 5.0]]  # a tie: the later
    finest = [Slots(np.array([T0]), np.array([[1.0]])), Slots(np.array([T0]), np.array([[0.5]]))]
    assert merge_last_wins(finest, 1).values.tolist() == [[0.5]]  # finest: the later, always


def test_sequence_numbers_carry_the_writer():
    clock = _SeqClock()
    seqs = clock.take(5)
    assert (np.diff(seqs) > 0).all() and set((np.asarray(seqs, np.int64) & WRITER_MASK).tolist()) == {clock.writer}
    assert (clock.take(1) > seqs[-1]).all() and clock.writer < (1 << WRITER_BITS)


async def test_a_coarse_slot_counting_more_wins_in_reads_and_compaction(store):
    await store.create_series([META])
    whole = coarse(T0, 12.0, 4, 2.0, 4.0, 4.0)
    await store.write([WriteRequest(META.name, 1, 60, whole, 10**7)])
    await store.write([WriteRequest(META.name, 1, 60, coarse(T0, 5.0, 2, 2.0, 3.0, 3.0), 10**7)])  # a partial, later
    assert (await store.read(META.name, 1, 60, T0, T0 + 60)).values.tolist() == whole.values.tolist()
    for i in range(COMPACT_AFTER):  # other slots of the window, until it is compacted
        await store.write([WriteRequest(META.name, 1, 60, coarse(T0 + 60 * (i + 1), 1.0, 1, 1.0, 1.0, 1.0), 10**7)])
    got = await store.read(META.name, 1, 60, T0, T0 + 60)
    assert got.values.tolist() == whole.values.tolist()
