"""Hostile requests and frames against a running `tsstore serve` (default settings) while
carbon points are sent and /version is polled: does anything stall, fail or blow up?

    python -m benchmarks.bench_stalls [--json out.json]

For each case: the answer (status, seconds), the slowest /version answer while it ran
(polled every 50 ms), the carbon points sent meanwhile and whether the server took them all
(its points.received) and the newest one is readable afterwards, and the server's RSS before
and after (VmRSS). Goals (issue 14): /version within 1 s throughout, every point taken and
readable, the case ends within 15 s without a 5xx, RSS grows by less than 1 GiB.
"""
from __future__ import annotations

import argparse
import json
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from tests.helpers.servers import free_port

LONG_A = "a" * 40


def _pickle_colliding_dict(keys: int) -> bytes:
    """A carbon pickle frame whose second element is a dict of int keys that all hash alike."""
    body = b"".join(b"\x8a\x0b" + (i * (2**61 - 1)).to_bytes(11, "little", signed=True) + b"K\x00" for i in range(1, keys))
    payload = b"\x80\x02]((U\x03a.b(K\x01K\x02tt}(" + body + b"ue."
    return struct.pack(">I", len(payload)) + payload


def cases() -> list[tuple[str, str, object]]:
    """(name, kind, request): kind 'get' (params), 'post' (form) or 'pickle' (frame bytes)."""
    braces = lambda n: "stall." + "{a,b}" * n + ".x"  # noqa: E731
    return [
        ("seriesByTag regex that backtracks", "get", {"target": "seriesByTag('name=~^(a+)+$')", "from": "-1h"}),
        ("seriesByTag regex, nested repetition", "get", {"target": "seriesByTag('name=~(?:a+){1,30}(?:a+){1,30}b')"}),
        ("grep regex that backtracks", "get", {"target": "grep(stall.*, '(.*){1,32000}[bc]')"}),
        ("glob of 2^14 brace paths", "get", {"target": braces(14)}),
        ("glob of 2^20 brace paths", "get", {"target": braces(20)}),
        ("find of 2^20 brace paths", "find", {"query": braces(20)}),
        ("summarize(x, '1s') over 5 years", "get", {"target": "summarize(stall.gauge, '1s')", "from": "-5y"}),
        ("sinFunction over 5 years", "get", {"target": "sinFunction('x', 1, 1)", "from": "-5y"}),
        ("movingAverage over 10^9 points", "get", {"target": "movingAverage(stall.gauge, 1000000000)", "from": "-1h"}),
        ("timeStack with 100000 copies", "get", {"target": "timeStack(stall.gauge, '1min', 0, 100000)", "from": "-1h"}),
        ("80,000 targets in one POST", "post", {"target": [f"stall.t{i}" for i in range(80_000)]}),
        ("1 MB pickle frame, colliding dict keys", "pickle", _pickle_colliding_dict(60_000)),
    ]


def rss_mib(pid: int) -> float:
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Load:
    """Carbon points at a steady rate (100 series, a point per 10 ms, each in its own slot)
    and /version polled every 50 ms, with the slowest answer kept."""

    def __init__(self, carbon: int, http: str):
        self.carbon, self.http = carbon, http
        self.sent = 0
        self.worst_version = 0.0
        self.version_errors = 0
        self._stop = threading.Event()
        self.base = int(time.time()) - 21_000  # inside the finest retention (6 h) until the end

    def start(self):
        self._threads = [threading.Thread(target=self._send, daemon=True), threading.Thread(target=self._poll, daemon=True)]
        for t in self._threads:
            t.start()
        return self

    def _send(self):
        with socket.create_connection(("127.0.0.1", self.carbon)) as sock:
            while not self._stop.is_set() and self.sent < 200_000:  # 100 series, each point its own 10 s slot
                sock.sendall(f"stall.marker.m{self.sent % 100} {self.sent} {self.base + self.sent // 100 * 10}\n".encode())
                self.sent += 1
                time.sleep(0.01)

    def _poll(self):
        with httpx.Client(base_url=self.http, timeout=30) as client:
            while not self._stop.is_set():
                t0 = time.monotonic()
                try:
                    ok = client.get("/version").status_code == 200
                except httpx.HTTPError:
                    ok = False
                self.worst_version = max(self.worst_version, time.monotonic() - t0)
                self.version_errors += not ok
                time.sleep(0.05)

    def reset(self):
        self.worst_version, self.version_errors = 0.0, 0

    def stop(self):
        self._stop.set()
        for t in self._threads:
            t.join(30)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json", help="write the results here too")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="tsstore-bench-stalls-"))
    http_port, carbon, pickle_port = free_port(), free_port(), free_port()
    url = f"http://127.0.0.1:{http_port}"
    server = subprocess.Popen([sys.executable, "-m", "tsstore.cli", "serve", "--data-dir", str(work / "data"),
                               "--http-port", str(http_port), "--carbon-port", str(carbon), "--pickle-port", str(pickle_port),
                               "--self-metrics-interval", "0"], stdout=open(work / "server.log", "wb"), stderr=subprocess.STDOUT)
    rows = []
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(url + "/version", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        now = int(time.time())
        seed = [f"stall.gauge {i % 50} {now - 3600 + i * 10}\n" for i in range(360)]
        seed += [f"stall.{LONG_A}{i} 1 {now - 60}\n" for i in range(200)]  # names of many a's, for the regexes
        seed += [f"{LONG_A}{i};host=h{i} 1 {now - 60}\n" for i in range(200)]
        with socket.create_connection(("127.0.0.1", carbon)) as sock:
            sock.sendall("".join(seed).encode())
        time.sleep(12)  # one flush: the seeded series are in the store
        load = Load(carbon, url).start()
        with httpx.Client(base_url=url, timeout=120) as client:
            for name, kind, request in cases():
                load.reset()
                rss0 = rss_mib(server.pid)
                sent0 = load.sent
                t0 = time.monotonic()
                if kind == "get":
                    status = client.get("/render", params={"format": "json", **request}).status_code
                elif kind == "find":
                    status = client.get("/metrics/find", params=request).status_code
                elif kind == "post":
                    status = client.post("/render", data={"format": "json", **request}).status_code
                else:
                    with socket.create_connection(("127.0.0.1", pickle_port)) as sock:
                        sock.sendall(request)
                        sock.shutdown(socket.SHUT_WR)
                        sock.recv(1)  # the server closes or keeps it: either way it has read the frame
                    status = "frame"
                seconds = time.monotonic() - t0
                time.sleep(0.3)
                rows.append({"case": name, "status": status, "seconds": round(seconds, 3),
                             "worst_version_s": round(load.worst_version, 3), "version_errors": load.version_errors,
                             "points_sent": load.sent - sent0, "rss_before_mib": round(rss0), "rss_after_mib": round(rss_mib(server.pid))})
                print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
        load.stop()
        # every point sent is taken, and the newest readable
        target_points = load.sent
        deadline = time.monotonic() + 30
        received = readable = 0
        while time.monotonic() < deadline:
            try:
                body = httpx.get(url + "/render", params={"target": "stall.marker.*", "from": str(load.base - 10),
                                                          "until": str(load.base + target_points // 10 + 20), "format": "json"},
                                 timeout=30).json()
            except httpx.HTTPError:  # still busy with a cancelled case
                continue
            readable = sum(v is not None for series in body for v, _ in series["datapoints"])
            if readable >= target_points:
                break
            time.sleep(0.5)
        received = httpx.get(url + "/tsstore/status", timeout=10).json()["counters"].get("points.received", 0)
        summary = {"marker_points_sent": target_points, "marker_points_readable": readable, "points_received": received}
        print(json.dumps(summary), file=sys.stderr)
    finally:
        server.terminate()
        server.wait(60)
    out = {"rows": rows, "summary": summary}
    print(json.dumps(out, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
