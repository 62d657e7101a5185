"""Python's cyclic garbage collector, set for a server that allocates in bursts.

With the default thresholds (700, 10, 10) a young collection runs every 700 new container
objects, and every hundred of those a full one walks every object the process keeps. A
burst builds hundreds of thousands of small objects at once (the statements of a Cassandra
flush, the rows of a batch of new series), so the collector ran thousands of times per
burst: py-spy of a 100k-series first pass on Cassandra found 553 of 7,012 samples in it.
A young collection every YOUNG_THRESHOLD objects, and the objects built while starting
(modules, the application) frozen out of every collection, took that pass from 5.5 to
3.9 CPU s per million points and the next from 1.3-2.3 to 0.9 (benchmarks/RESULTS.md).
Cycles are still collected, later.
"""
from __future__ import annotations

import gc

YOUNG_THRESHOLD = 100_000
OLDER_THRESHOLDS = (50, 100)  # young collections per middle one, middle ones per full one


def tune_for_server() -> None:
    """Freeze what exists now (call it once started) and space the collections out."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, *OLDER_THRESHOLDS)
