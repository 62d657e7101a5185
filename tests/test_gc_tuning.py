"""The collector settings of a server (tsstore.gc_tuning), in a process of their own: they are
per process. A burst of small objects, as a flush builds, no longer runs full collections over
everything the process keeps, and garbage cycles made later are still collected."""
import json
import subprocess
import sys

import pytest

BURST = """
import gc, json, sys, weakref
if sys.argv[1] != "default":
    from tsstore import gc_tuning
    gc_tuning.tune_for_server(gc_tuning.CASSANDRA_YOUNG_THRESHOLD if sys.argv[1] == "tuned for cassandra"
                              else gc_tuning.YOUNG_THRESHOLD)
kept = [{"n": i} for i in range(200_000)]  # what a server keeps: every full collection walks it
full_before = gc.get_stats()[2]["collections"]
burst = [(i, [i]) for i in range(1_000_000)]  # a flush's statements
full = gc.get_stats()[2]["collections"] - full_before
del burst

class Node:
    pass
a, b = Node(), Node()
a.other, b.other = b, a  # a cycle, then garbage
gone = weakref.ref(a)
del a, b
more = [[i] for i in range(300_000)]  # later allocations collect it, as the server's do
print(json.dumps({"full": full, "cycle_collected": gone() is None}))
"""


def _run(mode: str) -> dict:
    out = subprocess.run([sys.executable, "-c", BURST, mode], capture_output=True, text=True, timeout=120, check=True)
    return json.loads(out.stdout)


@pytest.mark.parametrize("mode", ["default", "tuned", "tuned for cassandra"])
def test_a_burst_of_small_objects_and_a_later_cycle(mode):
    got = _run(mode)
    if mode == "default":
        assert got["full"] >= 2, "the defaults changed: this test no longer shows what the tuning saves"
    else:
        assert got["full"] == 0
    assert got["cycle_collected"]
