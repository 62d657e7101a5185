"""SegmentCounts: when a (series, level, window) has collected COMPACT_AFTER segments, it is
reported once for compaction, whatever the batching, the order of series and levels; a window
the writes move on from is reported once."""
from collections import defaultdict

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tsstore.store.base import COMPACT_AFTER, SegmentCounts

SPAN = 40960


def _feed(counts: SegmentCounts, writes: list[tuple[int, int, int]], cuts: list[int]) -> list[tuple[int, int, int]]:
    """Feed (key, level, window) writes in batches of one level (cut where the level changes
    or at a cut); returns the reported ones in order."""
    reported, i = [], 0
    while i < len(writes):
        j = i + 1
        while j < len(writes) and writes[j][1] == writes[i][1] and j not in cuts:
            j += 1
        chunk = writes[i:j]
        keys = np.array([k for k, _, _ in chunk], np.int64)
        windows = np.array([w for _, _, w in chunk], np.int64)
        reported += [chunk[x] for x in counts.add(keys, chunk[0][1], windows)[0].tolist()]
        i = j
    return reported


@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 2), st.booleans()), max_size=500),
       st.lists(st.integers(0, 500), max_size=20))
@settings(deadline=None)
def test_in_order_streams_are_reported_at_every_compact_after_th_segment(steps, cuts):
    """Each series level moves to a newer window now and then (advance); every window is
    reported when its segments since its last compaction reach COMPACT_AFTER."""
    window = defaultdict(int)
    writes = []
    for key, level, advance in steps:
        if advance:
            window[(key, level)] += SPAN
        writes.append((key * 1000, level, window[(key, level)]))
    want, count = [], defaultdict(int)
    for w in writes:
        count[w] += 1
        if count[w] == COMPACT_AFTER:
            want.append(w)
            count[w] = 1
    got = _feed(SegmentCounts(), writes, cuts)
    assert sorted(got) == sorted(want)


@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 1), st.integers(0, 4)), max_size=600),
       st.lists(st.integers(0, 600), max_size=20))
@settings(deadline=None)
def test_backfills_into_older_windows_are_compacted_too(steps, cuts):
    """In any order, a window never gathers more than 2 x COMPACT_AFTER segments unreported
    (a newer window taking a series' table entry drops the older count once)."""
    writes = [(key, level, w * SPAN) for key, level, w in steps]
    counts = SegmentCounts()
    pending = defaultdict(int)
    for w in writes:
        got = _feed(counts, [w], [])
        pending[w] += 1
        if got:
            assert got == [w]
            pending[w] = 1
        assert pending[w] < 2 * COMPACT_AFTER, f"{w} gathered {pending[w]} segments without a compaction"


def test_a_batch_repeating_a_window_counts_every_segment():
    counts = SegmentCounts()
    keys = np.full(COMPACT_AFTER, 7, np.int64)
    got, _ = counts.add(keys, 1, np.zeros(COMPACT_AFTER, np.int64))
    assert len(got) == 1
    # the compacted window counts as one segment: COMPACT_AFTER - 1 more make it due again
    assert len(counts.add(keys[: COMPACT_AFTER - 2], 1, np.zeros(COMPACT_AFTER - 2, np.int64))[0]) == 0
    assert len(counts.add(keys[:1], 1, np.zeros(1, np.int64))[0]) == 1


@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 2), st.integers(0, 3)), max_size=500),
       st.lists(st.integers(0, 500), max_size=20))
@settings(deadline=None)
def test_a_window_the_writes_move_on_from_is_reported_once(steps, cuts):
    """Each series level's windows in order (0: the same window, more: that many windows on),
    in batches of one level: a window is reported left behind, once, when a later batch has
    the series level's first segment for a newer window."""
    counts = SegmentCounts()
    window, seen = defaultdict(int), set()
    batch, want, got = [], [], []

    def send():
        if batch:
            keys = np.array([k for k, _ in batch], np.int64)
            got.extend(map(tuple, counts.add(keys, batch[0][0] % 10, np.array([w for _, w in batch], np.int64))[1].tolist()))
            batch.clear()

    for i, (key, level, advance) in enumerate(steps):
        if i in cuts or (batch and batch[0][0] % 10 != level) or (advance and any(k == key * 1000 + level for k, _ in batch)):
            send()  # a batch has one level, and one window per series level here
        if advance and (key, level) in seen:
            want.append((key * 1000 + level, window[(key, level)]))
        window[(key, level)] += advance * SPAN
        seen.add((key, level))
        batch.append((key * 1000 + level, window[(key, level)]))
    send()
    assert sorted(got) == sorted(want)


def test_a_backfill_into_an_older_window_leaves_the_newest_window_unreported():
    """Writes to a window older than the series' newest one do not move the series on."""
    counts = SegmentCounts()
    one = np.array([7], np.int64)
    for _ in range(3):
        counts.add(one, 0, np.array([2 * SPAN], np.int64))
    _, left = counts.add(one, 0, np.array([SPAN], np.int64))
    assert left.tolist() == []
    _, left = counts.add(one, 0, np.array([3 * SPAN], np.int64))
    assert left.tolist() == [[7, 2 * SPAN]]
    _, left = counts.add(one, 0, np.array([3 * SPAN], np.int64))
    assert left.tolist() == []
