"""A data dir belongs to one ingesting process: `tsstore serve` and `tsstore ingest` hold an
exclusive lock on <data dir>/lock (flock) for as long as they run, taken before the WAL or
the store is opened. A second one exits with an error naming the data dir and the pid that
holds it. The lock goes with the process (also on kill -9), so a crash never leaves it stale.
API-only processes (`tsstore api`, the --http-workers children) only read and take no lock.
"""
from __future__ import annotations

import fcntl
import os
import shutil
from pathlib import Path

LOCK_NAME = "lock"


class DataDirInUse(OSError):
    """Another process holds the data dir."""


class DataDirLock:
    def __init__(self, data_dir: str | Path):
        self.path = Path(data_dir) / LOCK_NAME
        self._fd: int | None = None

    def acquire(self) -> "DataDirLock":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise DataDirInUse(
                f"data dir {self.path.parent} is in use by another tsstore (pid {holder}, lock {self.path}): "
                "stop that process or give this one another --data-dir") from None
        # The pid is for the error above only; the flock is what excludes.
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing drops the flock
            self._fd = None


def free_space(path) -> str:
    """Free bytes on the filesystem holding path, for the messages of a full disk."""
    try:
        free = shutil.disk_usage(path).free
    except OSError:
        return "unknown"
    return f"{free / 2**20:.1f} MiB" if free >= 2**20 else f"{free} bytes"
