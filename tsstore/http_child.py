"""`python -m tsstore.http_child`: one extra HTTP API process, started by
tsstore.http_workers.start_children with the main process's settings in its environment.
It serves the API only (no ingest) and dies with the main process."""
from __future__ import annotations

import sys

from tsstore.child_process import die_with_parent
from tsstore.http_workers import child_settings
from tsstore.server import run_process


def main() -> int:
    die_with_parent()
    run_process(child_settings(), ingest=False, api=True, log_tag="[http]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
