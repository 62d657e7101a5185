"""The activity tracker answers as a plain table of (key -> recorded time) would: a write is
due when it reaches a granule (less the key's spread) past what was recorded, or when its
series was never recorded, or forgotten since; across the merges of its small table into
the large one."""
import numpy as np

from tsstore.store.activity import ActivityTracker

GRANULE = 100


def by_hand(recorded: dict, keys, newest) -> list[int]:
    due = []
    for i, (key, t) in enumerate(zip(keys.tolist(), newest.tolist())):
        spread = key * 0x9E3779B1 % (GRANULE // 2)
        if key not in recorded or t >= recorded[key] + GRANULE - spread:
            recorded[key] = t
            due.append(i)
    return due


def test_due_as_a_table_would_answer_through_merges_and_forgets():
    rng = np.random.default_rng(5)
    tracker = ActivityTracker(GRANULE)
    tracker.RECENT_KEYS = 64  # merged every few writes here
    recorded: dict[int, int] = {}
    now = 10_000
    for write in range(300):
        now += int(rng.integers(0, 40))
        keys = rng.choice(np.arange(-500, 3000) * 7919, size=int(rng.integers(1, 80)), replace=False)
        newest = now - rng.integers(0, 300, len(keys))
        assert tracker.due(keys, newest).tolist() == by_hand(recorded, keys, newest), f"write {write}"
        if write % 37 == 36:
            gone = rng.choice(list(recorded), size=10, replace=False)
            tracker.forget(gone)
            for key in gone.tolist():
                del recorded[key]
    assert len(tracker._keys) + len(tracker._recent_keys) == len(recorded)
    assert len(tracker._keys) > tracker.RECENT_KEYS  # the large table took merges
