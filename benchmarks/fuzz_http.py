"""schemathesis over a live `tsstore serve`'s /openapi.json with a large budget
(tests/api/test_fuzz_http.py runs a small one in-process): every documented endpoint and
parameter, generated values; counts the requests and the 5xx answers.

    python -m benchmarks.fuzz_http [--examples 2000]
"""
from __future__ import annotations

import argparse
import collections
import json
import sys
import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.helpers.servers import ServerProcess, send_tcp
from tsstore.api.openapi_doc import PATHS


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--examples", type=int, default=2000, help="generated requests per endpoint")
    args = ap.parse_args()
    srv = ServerProcess(Path(tempfile.mkdtemp(prefix="tsstore-fuzz-http-")) / "data", "--flush-interval", "1").start()
    statuses: collections.Counter = collections.Counter()
    errors: list[str] = []
    try:
        send_tcp(srv.carbon_port, b"".join(b"servers.web%02d.cpu.user %d -1\n" % (i, i) for i in range(20)))
        schema = schemathesis.openapi.from_url(srv.url + "/openapi.json")
        for path in sorted(PATHS):
            operation = schema[path]["GET"]

            @given(operation.as_strategy())
            @settings(max_examples=args.examples, deadline=None, suppress_health_check=list(HealthCheck), database=None)
            def call(case):
                response = case.call(timeout=60)
                statuses[response.status_code] += 1
                if response.status_code >= 500 and len(errors) < 20:
                    errors.append(f"GET {path} {case.query}: {response.status_code} {response.text[:200]}")

            call()
    finally:
        code = srv.stop()
    out = {"requests": sum(statuses.values()), "statuses": dict(sorted(statuses.items())),
           "server_errors": sum(n for s, n in statuses.items() if s >= 500), "examples": errors, "exit_code": code}
    print(json.dumps(out, indent=1))
    sys.exit(1 if out["server_errors"] or code else 0)


if __name__ == "__main__":
    main()
