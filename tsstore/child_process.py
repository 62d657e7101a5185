"""What every child process of a tsstore server does first: die with its parent, so no orphan
keeps a port or goes on writing after a kill -9 of the server."""
from __future__ import annotations

import signal


def die_with_parent(sig: int = signal.SIGTERM) -> None:
    """Send this process `sig` when its parent dies (Linux PR_SET_PDEATHSIG)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, sig)  # PR_SET_PDEATHSIG
    except OSError:  # not Linux: the parent's own stop still ends the child
        pass
