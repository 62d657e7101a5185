"""--http-workers: extra API processes share the HTTP port, answer from the same store, and
never outlive the main process; a second tsstore on a taken port fails instead of sharing it."""
import os
import signal
import subprocess
import sys
import time

import httpx
import pytest

from tests.helpers.servers import ServerProcess, send_tcp


def _api_pids(url: str, tries: int = 60) -> set[int]:
    pids = set()
    for _ in range(tries):  # new connection each time: the kernel spreads them by source port
        pids.add(httpx.get(url + "/tsstore/status", headers={"Connection": "close"}).json()["pid"])
    return pids


def _gone(pid: int, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def served(tmp_path):
    srv = ServerProcess(tmp_path / "data", "--http-workers", "2", "--flush-interval", "0.2").start()
    yield srv
    if srv.proc.poll() is None:
        srv.proc.terminate()
        srv.proc.wait(20)


def test_two_processes_answer_the_same_data(served):
    now = int(time.time()) // 10 * 10
    send_tcp(served.carbon_port, "".join(f"app.web{i}.hits {i}.5 {now - 60 + i * 10}\n" for i in range(5)).encode())
    deadline = time.monotonic() + 20
    want = [[0.5, now - 60], [1.5, now - 50], [2.5, now - 40], [3.5, now - 30], [4.5, now - 20]]
    while time.monotonic() < deadline:
        answers = {str(httpx.get(served.url + "/render", headers={"Connection": "close"},
                                 params={"target": "sumSeries(app.*.hits)", "from": now - 60, "until": now - 20,
                                         "format": "json"}).json()) for _ in range(10)}
        if len(answers) == 1 and "4.5" in answers.pop():
            break
        time.sleep(0.3)
    pids = _api_pids(served.url)
    assert served.proc.pid in pids and len(pids) == 2, pids
    for _ in range(10):
        (series,) = httpx.get(served.url + "/render", headers={"Connection": "close"},
                              params={"target": "sumSeries(app.*.hits)", "from": now - 60, "until": now - 20, "format": "json"}).json()
        assert [p for p in series["datapoints"] if p[0] is not None] == [[v, t] for v, t in want if t > now - 60]


def test_every_process_finds_a_new_series_from_its_indexes(served):
    """Each HTTP process keeps its own path and tag indexes; a series the ingest process
    creates is found in every one of them (each catches up with the store before a query)."""
    statuses = {}
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not (len(statuses) == 2 and all(s["path_index"]["ready"] for s in statuses.values())):
        status = httpx.get(served.url + "/tsstore/status", headers={"Connection": "close"}).json()
        statuses[status["pid"]] = status
        time.sleep(0.05)
    assert len(statuses) == 2 and all(s["path_index"]["ready"] and s["tag_index"]["ready"] for s in statuses.values()), statuses
    now = int(time.time())
    send_tcp(served.carbon_port, f"fresh.host1.load 1 {now}\nfresh.host2.load 2 {now}\nfresh.tagged;dc=dc7 3 {now}\n".encode())
    deadline, answers, tagged = time.monotonic() + 20, [], []
    while time.monotonic() < deadline:
        answers = [httpx.get(served.url + "/metrics/find", headers={"Connection": "close"},
                             params={"query": "fresh.*.load", "format": "completer"}).json() for _ in range(10)]
        tagged = [httpx.get(served.url + "/tags/findSeries", headers={"Connection": "close"},
                            params={"expr": "dc=dc7"}).json() for _ in range(10)]
        if all(len(a["metrics"]) == 2 for a in answers) and all(tagged):
            break
        time.sleep(0.2)
    assert all([m["path"] for m in a["metrics"]] == ["fresh.host1.load", "fresh.host2.load"] for a in answers), answers
    assert all(t == ["fresh.tagged;dc=dc7"] for t in tagged), tagged
    assert len(_api_pids(served.url)) == 2


def test_workers_end_with_the_main_process_even_after_kill_9(served):
    children = _api_pids(served.url) - {served.proc.pid}
    assert len(children) == 1
    served.kill9()
    assert all(_gone(pid) for pid in children), "an HTTP worker outlived the main process"


def test_sigterm_stops_the_workers_too(served):
    children = _api_pids(served.url) - {served.proc.pid}
    served.proc.send_signal(signal.SIGTERM)
    assert served.proc.wait(20) == 0
    assert all(_gone(pid) for pid in children)


def test_a_second_server_on_the_same_port_fails_clearly(served, tmp_path):
    other = subprocess.run([sys.executable, "-m", "tsstore", "serve", "--data-dir", str(tmp_path / "other"),
                            "--carbon-port", "0", "--pickle-port", "0", "--http-port", str(served.http_port)],
                           capture_output=True, text=True, timeout=60)
    assert other.returncode == 1
    assert "cannot start" in other.stderr and "Address already in use" in other.stderr
    assert f"HTTP port {served.http_port}" in other.stderr and "--http-port" in other.stderr
    assert not (tmp_path / "other").exists(), "a start that failed created the data dir"


def test_every_process_answers_status_with_the_ingest_counters(served):
    send_tcp(served.carbon_port, b"status.check 1 %d\n" % int(time.time()))
    deadline = time.monotonic() + 20
    seen = {}
    while time.monotonic() < deadline and len(seen) < 2:
        body = httpx.get(served.url + "/tsstore/status", headers={"Connection": "close"}).json()
        if body["counters"].get("points.received", 0) >= 1:
            seen[body["pid"]] = body["role"]
        time.sleep(0.05)
    assert sorted(seen.values()) == ["api", "ingest+api"], seen


def test_every_process_serves_the_built_in_page(served):
    pids = _api_pids(served.url)  # the requests below are spread the same way
    assert len(pids) == 2, pids
    for _ in range(30):
        for path, media in (("/", "text/html"), ("/ui/app.js", "text/javascript")):
            r = httpx.get(served.url + path, headers={"Connection": "close"})
            assert r.status_code == 200 and r.headers["content-type"].startswith(media), (path, r.status_code)
