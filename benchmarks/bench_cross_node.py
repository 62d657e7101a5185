"""Cross-node find visibility on Cassandra: how soon a series sent to one node's carbon port
is found by another node's /metrics/find (issue 12: p99 <= 1 s).

    scripts/cassandra-local start        # prints 127.0.0.1:PORT
    python -m benchmarks.bench_cross_node --cassandra 127.0.0.1:9142 --samples 100

Two processes on one fresh keyspace, default settings: `tsstore serve` (ingest and API, the
node that receives the points) and `tsstore api` (another node: no ingest, its own path
index). Each sample sends one point of a new series to the first and polls the second's
/metrics/find for its name every 10 ms, up to 10 s; the time from send to found is the
sample. The keyspace is dropped at the end.
"""
from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

from tests.helpers.servers import free_port


def _start(cmd: list[str], url: str, log: Path) -> subprocess.Popen:
    proc = subprocess.Popen(cmd, stdout=open(log, "ab"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{cmd[3]} exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(url + "/tsstore/status", timeout=1).json()["path_index"]["ready"]:
                return proc
        except (httpx.HTTPError, KeyError, TypeError):
            pass
        time.sleep(0.2)
    raise SystemExit(f"{cmd[3]} did not get ready: {log.read_text()[-2000:]}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cassandra", required=True, help="host:port of a running Cassandra")
    ap.add_argument("--samples", type=int, default=100)
    args = ap.parse_args()
    keyspace = f"bench_cross_{uuid.uuid4().hex[:8]}"
    url = f"cassandra://{args.cassandra}/{keyspace}"
    work = Path(tempfile.mkdtemp(prefix="bench_cross_node-"))
    carbon, http_a, http_b = free_port(), free_port(), free_port()
    base = [sys.executable, "-m", "tsstore"]
    a = _start([*base, "serve", "--store", url, "--data-dir", str(work / "a"), "--bind", "127.0.0.1", "--carbon-port",
                str(carbon), "--pickle-port", str(free_port()), "--http-port", str(http_a)],
               f"http://127.0.0.1:{http_a}", work / "a.log")
    b = _start([*base, "api", "--store", url, "--data-dir", str(work / "b"), "--bind", "127.0.0.1", "--http-port", str(http_b)],
               f"http://127.0.0.1:{http_b}", work / "b.log")
    lat, missed = [], 0
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{http_b}", timeout=10) as client, \
                socket.create_connection(("127.0.0.1", carbon)) as sock:
            for i in range(args.samples):
                name = f"cross.node{i // 10}.metric{i}"
                t0 = time.perf_counter()
                sock.sendall(f"{name} {i} {int(time.time())}\n".encode())
                while time.perf_counter() - t0 < 10:
                    if client.get("/metrics/find", params={"query": name}).json():
                        lat.append(time.perf_counter() - t0)
                        break
                    time.sleep(0.01)
                else:
                    missed += 1
    finally:
        for proc in (a, b):
            proc.terminate()
            proc.wait(60)
        from cassandra.cluster import Cluster

        host, port = args.cassandra.rsplit(":", 1)
        cluster = Cluster([host], port=int(port), protocol_version=5)
        cluster.connect().execute(f"DROP KEYSPACE IF EXISTS {keyspace}", timeout=120)
        cluster.shutdown()
    s = sorted(lat)
    p99 = s[min(len(s) - 1, int(len(s) * 0.99))] if s else float("nan")
    print(f"{len(lat)} of {args.samples} new series found on the other node (missed after 10 s: {missed}): "
          f"p50 {statistics.median(s) * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, max {s[-1] * 1000 if s else float('nan'):.0f} ms")


if __name__ == "__main__":
    main()
