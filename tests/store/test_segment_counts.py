"""SegmentCounts: when a (series, level, window) has collected COMPACT_AFTER segments, it is
reported once for compaction, whatever the batching, the order of series and levels."""
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
        reported += [chunk[x] for x in counts.add(keys, chunk[0][1], windows).tolist()]
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
    got = counts.add(keys, 1, np.zeros(COMPACT_AFTER, np.int64))
    assert len(got) == 1
    # the compacted window counts as one segment: COMPACT_AFTER - 1 more make it due again
    assert len(counts.add(keys[: COMPACT_AFTER - 2], 1, np.zeros(COMPACT_AFTER - 2, np.int64))) == 0
    assert len(counts.add(keys[:1], 1, np.zeros(1, np.int64))) == 1
