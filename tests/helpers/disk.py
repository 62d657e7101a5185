"""A small real filesystem for full-disk tests: a tmpfs mounted for the test (needs root,
which CI has; the tests fail rather than skip without it, so a gap cannot hide)."""
import contextlib
import os
import subprocess

import pytest


@contextlib.contextmanager
def small_tmpfs(mount, size: str):
    if os.geteuid() != 0:
        pytest.fail("this test mounts a tmpfs: run it as root (CI does)")
    mount.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(path, leave: int = 0) -> None:
    """Fill the filesystem holding path with one file, then give back `leave` bytes."""
    block = b"\0" * 65536
    with open(path, "wb", buffering=0) as f:  # unbuffered: nothing is left to fail again at close
        try:
            while f.write(block):
                pass
        except OSError:
            pass
    os.truncate(path, max(0, os.path.getsize(path) - leave))
