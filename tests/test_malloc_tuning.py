"""Large arrays freed after a burst go back to the system (tsstore.malloc_tuning), in a
process of their own: glibc's settings are per process."""
import subprocess
import sys

import pytest

BURST = """
import sys, numpy as np
from tsstore import malloc_tuning
def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
malloc_tuning.tune_for_server()
warm = np.ones((4 << 20) // 8); del warm  # a large block freed: untuned, glibc raises its threshold past it
base = rss()
arrays, pins = [], []
for i in range(100):
    arrays.append(np.ones((3 << 20) // 8))  # 300 MiB in 3 MiB arrays, a flush part's size
    pins.append(bytearray(64 << 10))        # small blocks kept between them, as a server's objects are
del arrays
malloc_tuning.give_back()
print((rss() - base) >> 20)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the settings are glibc's")
def test_a_burst_of_large_arrays_is_given_back_once_freed():
    out = subprocess.run([sys.executable, "-c", BURST], capture_output=True, text=True, timeout=120, check=True)
    kept_mib = int(out.stdout)
    assert kept_mib < 50, f"{kept_mib} MiB of the 300 MiB burst stayed resident after it was freed"
