"""Fuzz the carbon ports of a `tsstore serve` with a large budget (tests/e2e/test_fuzz_carbon.py
runs a small one): mutated valid lines and random bytes over TCP and UDP, mutated, hostile and
random pickle frames.

    python -m benchmarks.fuzz_carbon [--lines 1000000] [--frames 20000] [--seconds 600] [--seed 1]

Prints what was sent, the server's refusal counters, whether it is alive and answering, and
whether its log holds a traceback (a crash of a connection handler)."""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import httpx

from tests.helpers import carbon_fuzz
from tests.helpers.servers import ServerProcess


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--frames", type=int, default=20_000)
    ap.add_argument("--seconds", type=float, default=600)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    srv = ServerProcess(Path(tempfile.mkdtemp(prefix="tsstore-fuzz-")) / "data", "--self-metrics-interval", "0").start()
    try:
        t0 = time.monotonic()
        sent = carbon_fuzz.run(srv.carbon_port, srv.pickle_port, args.lines, args.frames, args.seed, args.seconds)
        elapsed = time.monotonic() - t0
        alive = srv.proc.poll() is None
        version = httpx.get(srv.url + "/version", timeout=10).status_code if alive else None
        counters = httpx.get(srv.url + "/tsstore/status", timeout=10).json()["counters"] if alive else {}
    finally:
        code = srv.stop()
    log = srv.log_path.read_text(errors="replace")
    out = {"sent": sent, "seconds": round(elapsed, 1), "alive_after": alive, "version_status": version,
           "exit_code": code, "tracebacks_in_log": log.count("Traceback"),
           "refused": {k: v for k, v in counters.items() if k.startswith(("lines.", "pickle.", "dropped.", "udp."))}}
    print(json.dumps(out, indent=1))
    sys.exit(0 if alive and code == 0 and not out["tracebacks_in_log"] else 1)


if __name__ == "__main__":
    main()
