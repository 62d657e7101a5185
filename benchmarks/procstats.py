"""CPU seconds and peak RSS of a process (and its children) from /proc."""
from __future__ import annotations

import os


def _pids(pid: int) -> list[int]:
    out = [pid]
    try:
        for child in open(f"/proc/{pid}/task/{pid}/children").read().split():
            out.extend(_pids(int(child)))
    except OSError:
        pass
    return out


def cpu_seconds(pid: int) -> float:
    """user + system CPU seconds of pid and its live children."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for p in _pids(pid):
        try:
            fields = open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except OSError:
            pass
    return total


def memory_mib(pid: int, field: str = "VmHWM", children: bool = True) -> float:
    """A /proc/<pid>/status memory field (VmHWM: peak RSS, VmRSS: now) in MiB, summed over
    the live children too unless children=False."""
    total = 0.0
    for p in _pids(pid) if children else [pid]:
        try:
            for line in open(f"/proc/{p}/status"):
                if line.startswith(field + ":"):
                    total += int(line.split()[1]) / 1024
        except OSError:
            pass
    return total


def peak_rss_mib(pid: int) -> float:
    return memory_mib(pid, "VmHWM")
