"""`python -m tsstore.http_child`: one extra HTTP API process, started by
tsstore.http_workers.start_children with the main process's settings in its environment.
It serves the API only (no ingest) and dies with the main process."""
from __future__ import annotations

import signal
import sys

from tsstore.http_workers import child_settings
from tsstore.server import run_process


def _die_with_parent() -> None:
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:  # not Linux: the parent's stop_children still ends us
        pass


def main() -> int:
    _die_with_parent()
    run_process(child_settings(), ingest=False, api=True, log_tag="[http]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
