"""Python's cyclic garbage collector, set for a server that allocates in bursts.

With the default thresholds (700, 10, 10) a young collection runs every 700 new container
objects, and every hundred of those a full one walks every object the process keeps. A
burst builds hundreds of thousands of small objects at once (the statements of a Cassandra
flush, the rows of a batch of new series), so the collector ran thousands of times per
burst: py-spy of a 100k-series first pass on Cassandra found 553 of 7,012 samples in it.
A young collection every YOUNG_THRESHOLD objects, and the objects built while starting
(modules, the application) frozen out of every collection, took that pass from 5.5 to
3.9 CPU s per million points and the next from 1.3-2.3 to 0.9 (benchmarks/RESULTS.md).
Cycles are still collected, later. A young collection holds the event loop for as long as it
walks. With Cassandra (whose driver builds objects per request) that was 100-250 ms at
100,000 objects while a burst was written, and every /render waited it out: there, a young
collection comes every CASSANDRA_YOUNG_THRESHOLD objects (mostly 12-40 ms, at most about 70;
new-series freshness p99 94-169 ms against 301-304, the same points/s). The embedded store
keeps the larger threshold: 20,000 took its creating pass from 583-636k to 472-505k points/s.
"""
from __future__ import annotations

import gc

YOUNG_THRESHOLD = 100_000
CASSANDRA_YOUNG_THRESHOLD = 20_000
OLDER_THRESHOLDS = (50, 100)  # young collections per middle one, middle ones per full one


def tune_for_server(young_threshold: int = YOUNG_THRESHOLD) -> None:
    """Freeze what exists now (call it once started) and space the collections out."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(young_threshold, *OLDER_THRESHOLDS)
