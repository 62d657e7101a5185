"""A full disk under the data dir (a small tmpfs; the tests run as root): the server keeps
answering, refuses and counts what it cannot make durable, resumes by itself when space comes
back, stops truthfully and restarts, and every point it acknowledged is readable."""
import time

import httpx
import pytest

from tests.helpers.disk import fill, small_tmpfs
from tests.helpers.servers import ServerProcess, send_tcp

pytestmark = pytest.mark.slow
SERIES = 40
SCHEMAS = "[default]\npattern = .*\nretentions = 10s:1d\n"


@pytest.fixture
def small_disk(tmp_path):
    with small_tmpfs(tmp_path / "data", "6m") as mount:  # the data dir; the server's log stays outside
        yield mount


def _counters(srv) -> dict:
    return httpx.get(srv.url + "/tsstore/status", timeout=5).json()["counters"]


def _send_batch(srv, batch: int, base: int) -> None:
    """One point per series at base + batch * 10, value batch (each batch its own slot)."""
    send_tcp(srv.carbon_port, "".join(f"disk.s{i:02d}.v {batch} {base + batch * 10}\n" for i in range(SERIES)).encode())


def _readable_points(srv, base: int) -> int:
    body = httpx.get(srv.url + "/render", params={"target": "disk.*.v", "from": str(base - 10), "until": str(base + 3600),
                                                  "format": "json"}, timeout=30).json()
    return sum(v is not None for s in body for v, _ in s["datapoints"])


def _wait(cond, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return time.monotonic()
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def test_full_disk_refuses_counts_resumes_and_loses_nothing_acknowledged(small_disk, tmp_path):
    (tmp_path / "schemas.conf").write_text(SCHEMAS)
    data = small_disk
    conf = ["--schemas-file", str(tmp_path / "schemas.conf"), "--self-metrics-interval", "0", "--flush-interval", "0.5"]
    srv = ServerProcess(data, *conf).start()
    base = (int(time.time()) - 3000) // 10 * 10
    sent = iter(range(295))  # each send its own 10 s slot, all inside the rendered hour

    def send():
        _send_batch(srv, next(sent), base)

    try:
        for _ in range(5):  # before the disk fills
            send()
        _wait(lambda: _readable_points(srv, base) == 5 * SERIES, 30, "the first points to be readable")

        fill(small_disk / "filler", leave=96 << 10)
        for _ in range(80):  # a full disk: sending goes on, the server keeps answering
            send()
            time.sleep(0.05)
            assert httpx.get(srv.url + "/version", timeout=5).status_code == 200
        _wait(lambda: _counters(srv).get("dropped.disk_full", 0) > 0, 30, "points refused for the full disk")
        assert "is full" in srv.log() and "free" in srv.log()

        (small_disk / "filler").unlink()
        freed = time.monotonic()
        received_before = _counters(srv)["points.received"]
        resumed = _wait(lambda: (send(), _counters(srv)["points.received"] > received_before)[1],
                        30, "points to be taken again once space came back")
        assert resumed - freed < 10, f"took points again only {resumed - freed:.1f}s after space came back"
        for _ in range(5):
            send()
        time.sleep(1.0)
        acknowledged = _counters(srv)["points.received"]
        assert acknowledged >= 10 * SERIES
        _wait(lambda: _readable_points(srv, base) == acknowledged, 30, "every acknowledged point to be readable")
    finally:
        code = srv.stop(timeout=60)
    assert code == 0
    assert "stopped cleanly" in srv.log()

    again = ServerProcess(data, *conf).start()  # a restart always works
    try:
        assert _readable_points(again, base) == acknowledged
    finally:
        again.stop()
