"""Cassandra stops in the middle of ingestion: the listeners keep accepting, the WAL holds the
backlog up to its disk budget (past it points are refused and counted), and when Cassandra
returns every accepted point becomes readable. A real Cassandra is really stopped."""
import os
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.helpers.servers import ServerProcess, free_port, send_tcp, wait_until as _wait

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.cassandra, pytest.mark.slow]


def _cassandra(cmd: str, env: dict) -> str:
    proc = subprocess.run([str(ROOT / "scripts" / "cassandra-local"), cmd], capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, f"cassandra-local {cmd} failed:\n{proc.stderr[-3000:]}"
    return proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""


def _counters(srv) -> dict:
    return httpx.get(srv.url + "/tsstore/status", timeout=10).json()["counters"]


def _readable_count(srv, target: str, start: int, end: int) -> int:
    resp = httpx.get(srv.url + "/render", params={"target": target, "from": str(start), "until": str(end), "format": "json"}, timeout=30)
    if resp.status_code != 200:
        return -1
    return sum(1 for s in resp.json() for v, _ in s["datapoints"] if v is not None)


def _lines(prefix: str, series: int, points: int, base: int) -> bytes:
    return "".join(f"{prefix}.s{s:03d} {p + s} {base + p * 10}\n" for p in range(points) for s in range(series)).encode()


def test_outage_buffers_in_the_wal_and_drains(tmp_path):
    env = dict(os.environ, TSSTORE_CASSANDRA_HOME=str(tmp_path / "cassandra"), TSSTORE_CASSANDRA_PORT=str(free_port()))
    address = _cassandra("start", env)
    srv = None
    try:
        srv = ServerProcess(tmp_path / "data", "--store", f"cassandra://{address}/outage", "--flush-interval", "0.5",
                            "--self-metrics-interval", "0", "--wal-max-bytes", str(3 * 2**20)).start(timeout=60)
        base = (int(time.time()) - 3000) // 60 * 60
        send_tcp(srv.carbon_port, _lines("before", 20, 50, base))
        _wait(lambda: _readable_count(srv, "before.*", base - 10, base + 600) == 1000, 60, "points sent before the outage")

        _cassandra("stop", env)
        send_tcp(srv.carbon_port, _lines("during", 20, 100, base))  # 2000 points: fit in the WAL budget
        _wait(lambda: _counters(srv).get("points.received", 0) >= 3000, 30, "points accepted during the outage")
        _wait(lambda: _counters(srv).get("store.errors", 0) > 0, 30, "the pipeline noticing the outage")
        # Far more than the 3 MiB WAL budget: refused and counted, the server stays up.
        big = _lines("overflow", 200, 1000, base)
        for i in range(0, len(big), 1 << 20):
            send_tcp(srv.carbon_port, big[i : i + (1 << 20)])
        c = _wait(lambda: (lambda c: c if c.get("dropped.wal_full", 0) > 0 else None)(_counters(srv)), 30, "WAL-full refusals")
        accepted_overflow = c["points.received"] - 3000
        assert srv.proc.poll() is None
        assert "WAL" in srv.log() and "full" in srv.log()

        _cassandra("start", env)
        back = time.monotonic()
        # Reads show the backlog from memory all along: the store has it once every point
        # taken in is written.
        c = _wait(lambda: (lambda c: c if c.get("points.written", 0) >= c.get("points.received", 1) else None)(
            _counters(srv)), 120, "the WAL backlog written to Cassandra")
        print(f"backlog of {c['points.received'] - 1000:.0f} points written {time.monotonic() - back:.1f}s after "
              "Cassandra answered CQL again")
        _wait(lambda: _readable_count(srv, "during.*", base - 10, base + 1200) == 2000, 120, "the backlog draining")
        assert _readable_count(srv, "before.*", base - 10, base + 600) == 1000
        if accepted_overflow > 0:
            _wait(lambda: _readable_count(srv, "overflow.*", base - 10, base + 10000) >= min(accepted_overflow, 1),
                  120, "accepted overflow points")
        resp = httpx.get(srv.url + "/render", params={"target": "during.s007", "from": str(base - 10), "until": str(base + 1200), "format": "json"})
        values = [v for v, _ in resp.json()[0]["datapoints"] if v is not None]
        assert values == [float(p + 7) for p in range(100)]
    finally:
        if srv is not None:
            srv.stop(timeout=120)
        subprocess.run([str(ROOT / "scripts" / "cassandra-local"), "stop"], capture_output=True, timeout=120, env=env)
