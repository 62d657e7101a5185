"""Reads see every acknowledged point before it is flushed: in the ingest process, in its
--http-workers children and in a `tsstore api` on the same data dir (the memory channel),
at the finest and at a coarse level; a kill -9 before any flush loses none of it (the WAL
replay rebuilds the memory). The flush interval is an hour here, so nothing reaches the
store while the test runs, and the test checks that."""
import os
import subprocess
import sys
import time

import httpx

from tests.helpers.servers import ServerProcess, free_port, send_tcp, terminate

FLAGS = ("--http-workers", "2", "--flush-interval", "3600", "--self-metrics-interval", "0")


def _render(url: str, target: str, start: int, until: int) -> list:
    return httpx.get(url + "/render", headers={"Connection": "close"}, timeout=10,
                     params={"target": target, "from": str(start), "until": str(until), "format": "json"}).json()


def _points(body: list) -> dict:
    return {s["target"]: [p for p in s["datapoints"] if p[0] is not None] for s in body}


def _answers(url: str, target: str, start: int, until: int, tries: int = 12) -> list[dict]:
    """One answer per new connection: the kernel spreads them over the HTTP processes."""
    return [_points(_render(url, target, start, until)) for _ in range(tries)]


def _until(cond, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = cond()
        if got:
            return got
        time.sleep(0.02)
    raise AssertionError("timed out")


def _written(srv) -> int:
    return httpx.get(srv.url + "/tsstore/status", timeout=5).json()["counters"].get("points.written", 0)


def test_every_process_reads_points_before_the_flush_and_after_a_kill9(tmp_path):
    now = int(time.time()) // 60 * 60 - 120  # two whole minutes back: the slots are closed or open
    srv = ServerProcess(tmp_path / "data", *FLAGS).start()
    api_port = free_port()
    api = None
    try:
        # known series (a first batch), then more points, an overwrite and a new series
        send_tcp(srv.carbon_port, "".join(f"mem.web{i}.hits {i} {now}\n" for i in range(3)).encode())
        _until(lambda: _points(_render(srv.url, "mem.*.hits", now - 10, now + 60)).get("mem.web2.hits"))
        send_tcp(srv.carbon_port, ("mem.web0.hits 10 {0}\nmem.web0.hits 11 {1}\nmem.web0.hits 12 {2}\n"
                                   "mem.web0.hits 13 {2}\nmem.new.hits 7 {1}\n").format(now, now + 10, now + 50).encode())
        want = {"mem.web0.hits": [[10.0, now], [11.0, now + 10], [13.0, now + 50]], "mem.new.hits": [[7.0, now + 10]]}
        _until(lambda: _points(_render(srv.url, "mem.{web0,new}.hits", now - 10, now + 60)) == want)
        for answer in _answers(srv.url, "mem.{web0,new}.hits", now - 10, now + 60):
            assert answer == want

        # a coarse level (from two days back: the 1 min rollup), the open minute included
        minute = {"mem.web0.hits": [[34.0 / 3, now]]}  # the average of 10, 11 and 13
        for answer in _answers(srv.url, "mem.web0.hits", now - 2 * 86400, now + 59):
            assert {k: v[-1:] for k, v in answer.items()} == minute

        # a separate API process on the same data dir reads through the memory channel
        api = subprocess.Popen([sys.executable, "-m", "tsstore", "api", "--data-dir", str(srv.data_dir), "--bind", "127.0.0.1",
                                "--http-port", str(api_port)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        api_url = f"http://127.0.0.1:{api_port}"
        _until(lambda: _safe_points(api_url, now) == want, timeout=30)
        assert _written(srv) == 0, "the store was written: this test would not show reads from memory"

        children = _children(srv.proc.pid)
        srv.kill9()  # nothing flushed: every point is in the WAL only
        _until(lambda: not any(os.path.exists(f"/proc/{pid}") for pid in children), timeout=20)  # they share the port
        srv.start()
        assert _points(_render(srv.url, "mem.{web0,new}.hits", now - 10, now + 60)) == want
        for answer in _answers(srv.url, "mem.{web0,new}.hits", now - 10, now + 60):
            assert answer == want
        _until(lambda: _safe_points(api_url, now) == want, timeout=10)  # it reconnects by itself
    finally:
        if api is not None:
            terminate(api, 20)
        srv.stop()


def _children(pid: int) -> list[int]:
    return [int(c) for c in open(f"/proc/{pid}/task/{pid}/children").read().split()]


def _safe_points(url: str, now: int):
    try:
        return _points(_render(url, "mem.{web0,new}.hits", now - 10, now + 60))
    except httpx.HTTPError:
        return None
