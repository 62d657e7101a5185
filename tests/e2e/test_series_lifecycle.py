"""The series lifecycle through a running `tsstore serve`, on both stores: a dry run, a delete
of series whose newest points the server still holds in memory, which stays done across a
kill -9 (the WAL replay skips them) and a clean restart, a series sent again afterwards
starting anew, the deletion log, a rename, a stale listing, and `find?from=`."""
import time

import httpx
import pytest

from tests.helpers.servers import ServerProcess, send_tcp

pytestmark = pytest.mark.slow

SCHEMAS = "[default]\npattern = .*\nretentions = 10s:1d,1m:30d\n"
WRITES = ("--api-write-networks", "127.0.0.0/8")


@pytest.fixture(params=["embedded", pytest.param("cassandra", marks=pytest.mark.cassandra)])
def server_args(request, tmp_path):
    (tmp_path / "schemas.conf").write_text(SCHEMAS)
    args = ["--schemas-file", str(tmp_path / "schemas.conf"), "--self-metrics-interval", "0", *WRITES]
    if request.param == "cassandra":
        args += ["--store", request.getfixturevalue("cassandra_url")]
    return args


def _points(srv, target: str, since: int) -> dict:
    resp = httpx.get(srv.url + "/render", params={"target": target, "format": "json", "from": str(since),
                                                   "until": str(int(time.time()) + 60)}, timeout=30)
    assert resp.status_code == 200, resp.text
    return {s["target"]: [(t, v) for v, t in s["datapoints"] if v is not None] for s in resp.json()}


def _find(srv, query: str, **params) -> list[str]:
    resp = httpx.get(srv.url + "/metrics/find", params={"query": query, "format": "completer", **params}, timeout=30)
    assert resp.status_code == 200, resp.text
    return sorted(m["path"] for m in resp.json()["metrics"])


def _post(srv, path: str, **params) -> httpx.Response:
    return httpx.post(srv.url + path, data=params, timeout=120)


def _until(predicate, what: str, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def _send(srv, lines: list[tuple[str, float, int]]) -> None:
    send_tcp(srv.carbon_port, "".join(f"{name} {value} {ts}\n" for name, value, ts in lines).encode())


def test_delete_stays_done_across_kill9_and_restart(tmp_path, server_args):
    now = int(time.time()) // 10 * 10
    srv = ServerProcess(tmp_path / "data", *server_args).start()
    try:
        _send(srv, [(f"life.{host}.{m}", float(i), now - 300 + i * 10) for host in ("web01", "web02")
                    for m in ("cpu", "mem") for i in range(20)])
        _until(lambda: len(_points(srv, "life.*.*", now - 600)) == 4 and
                       all(len(p) == 20 for p in _points(srv, "life.*.*", now - 600).values()), what="points readable")

        dry = _post(srv, "/tsstore/series/delete", query="life.web01", dry_run="1")
        assert dry.status_code == 200, dry.text
        assert dry.json()["series"] == 2 and dry.json()["names"] == ["life.web01.cpu", "life.web01.mem"]
        assert len(_points(srv, "life.web01.*", now - 600)) == 2  # a dry run deletes nothing

        done = _post(srv, "/tsstore/series/delete", query="life.web01")
        assert done.status_code == 200, done.text
        assert done.json()["deleted"] == 2
        assert _find(srv, "life.*") == ["life.web02."]
        assert _points(srv, "life.web01.*", now - 600) == {}
        assert len(_points(srv, "life.web02.cpu", now - 600)["life.web02.cpu"]) == 20

        srv.kill9()  # the WAL still holds the deleted series' points: the replay must skip them
        srv.start()
        assert _find(srv, "life.*") == ["life.web02."]
        assert _points(srv, "life.web01.*", now - 600) == {}
        assert len(_points(srv, "life.web02.cpu", now - 600)["life.web02.cpu"]) == 20

        _send(srv, [("life.web01.cpu", 99.0, now)])  # sent again: a new series, with only its new point
        _until(lambda: _points(srv, "life.web01.cpu", now - 600).get("life.web01.cpu") == [(now, 99.0)],
                       what="the series sent again")
        assert srv.stop() == 0
        srv.start()
        assert _points(srv, "life.web01.*", now - 600) == {"life.web01.cpu": [(now, 99.0)]}

        log = httpx.get(srv.url + "/tsstore/series/deletions", timeout=30).json()["deletions"]
        assert len(log) == 1
        assert sorted(log[0]["names"]) == ["life.web01.cpu", "life.web01.mem"]
        assert log[0]["request"]["action"] == "delete" and log[0]["request"]["selection"]["globs"] == ["life.web01"]
        assert log[0]["request"]["client"] == "127.0.0.1"
    finally:
        srv.stop()


def test_rename_stale_and_find_from(tmp_path, server_args):
    now = int(time.time()) // 60 * 60
    srv = ServerProcess(tmp_path / "data", *server_args, "--flush-interval", "1").start()
    try:
        old = now - 20 * 3600  # the finest level (10s:1d) still holds it
        _send(srv, [("farm.old01.cpu", 1.0, old), ("farm.old01.cpu", 2.0, old + 60)]
              + [("farm.new01.cpu", float(i), now - 600 + i * 10) for i in range(30)])
        _until(lambda: len(_points(srv, "farm.*.cpu", now - 86400)) == 2, what="points readable")

        stale = httpx.get(srv.url + "/tsstore/series/stale", params={"query": "farm.*", "before": "-6h"}, timeout=30)
        assert stale.status_code == 200, stale.text
        assert [s["name"] for s in stale.json()["stale"]] == ["farm.old01.cpu"]

        # Grafana's template variable over the last 6 hours: the host that stopped is left out,
        # once the last writes are recorded (by the flush; until then a series is kept)
        _until(lambda: _find(srv, "farm.*", **{"from": "-6h", "until": "now"}) == ["farm.new01."],
               what="find?from= without the stopped host")
        assert _find(srv, "farm.*") == ["farm.new01.", "farm.old01."]
        assert _find(srv, "farm.*.cpu", **{"from": "-6h"}) == ["farm.new01.cpu"]

        dry = _post(srv, "/tsstore/series/rename", **{"from": "farm.new01", "to": "farm.web01", "dry_run": "1"})
        assert dry.status_code == 200, dry.text
        assert dry.json()["renames"] == [{"from": "farm.new01.cpu", "to": "farm.web01.cpu"}]
        clash = _post(srv, "/tsstore/series/rename", **{"from": "farm.new01", "to": "farm.old01"})
        assert clash.status_code == 400 and "exist already" in clash.json()["error"]

        before = _points(srv, "farm.new01.cpu", now - 86400)["farm.new01.cpu"]
        done = _post(srv, "/tsstore/series/rename", **{"from": "farm.new01", "to": "farm.web01"})
        assert done.status_code == 200, done.text
        assert _find(srv, "farm.*") == ["farm.old01.", "farm.web01."]
        assert _points(srv, "farm.web01.cpu", now - 86400)["farm.web01.cpu"] == before
        assert _points(srv, "farm.new01.cpu", now - 86400) == {}
        # the coarse level came along too
        coarse = _points(srv, "farm.web01.cpu", now - 25 * 3600)
        assert coarse["farm.web01.cpu"], coarse
    finally:
        srv.stop()


def test_deletes_and_renames_are_refused_without_write_access(tmp_path, server_args):
    args = [a for a in server_args if a not in WRITES]  # writes off: the default
    srv = ServerProcess(tmp_path / "data", *args).start()
    try:
        now = int(time.time())
        _send(srv, [("keep.web01.cpu", 1.0, now - 60)])
        _until(lambda: _find(srv, "keep.*") == ["keep.web01."], what="the series")
        for path, params in (("/tsstore/series/delete", {"query": "keep"}),
                             ("/tsstore/series/rename", {"from": "keep", "to": "moved"})):
            resp = _post(srv, path, **params)
            assert resp.status_code == 403 and "writes through the HTTP API are off" in resp.json()["error"]
        assert _find(srv, "keep.*") == ["keep.web01."]
        assert [v for _, v in _points(srv, "keep.web01.cpu", now - 600)["keep.web01.cpu"]] == [1.0]
    finally:
        srv.stop()


@pytest.mark.cassandra
def test_another_ingest_node_lets_go_of_a_series_deleted_through_one(tmp_path, cassandra_url):
    (tmp_path / "schemas.conf").write_text(SCHEMAS)
    conf = ["--schemas-file", str(tmp_path / "schemas.conf"), "--self-metrics-interval", "0", *WRITES,
            "--store", cassandra_url]
    first = ServerProcess(tmp_path / "first", *conf).start()
    other = ServerProcess(tmp_path / "other", *conf).start()
    try:
        now = int(time.time()) // 10 * 10
        _send(other, [("both.web01.cpu", float(i), now - 300 + i * 10) for i in range(10)])
        _until(lambda: len(_points(first, "both.web01.cpu", now - 600).get("both.web01.cpu", [])) == 10,
               what="the points, written by the other node")
        done = _post(first, "/tsstore/series/delete", query="both")
        assert done.status_code == 200 and done.json()["deleted"] == 1, done.text
        time.sleep(3)  # the other node reads the deletion log every second
        _send(other, [("both.web01.cpu", 42.0, now)])  # sent again, to the node that held it
        _until(lambda: _points(first, "both.web01.cpu", now - 600) == {"both.web01.cpu": [(now, 42.0)]},
               what="the series created anew by the other node, with only its new point")
        assert _find(first, "both.*") == ["both.web01."]  # its tree and metadata came back with it
        assert "dropped 1 series another process deleted" in other.log()
    finally:
        first.stop()
        other.stop()


def _connection_to(srv, role: str) -> httpx.Client:
    """A client whose (kept-alive) connection the process of `role` answers ("api": an extra
    HTTP process; "ingest+api": the main one): the kernel spreads new connections over the
    processes sharing the port."""
    for _ in range(200):
        client = httpx.Client(base_url=srv.url, timeout=60)
        if client.get("/tsstore/status").json().get("role") == role:
            return client
        client.close()
        time.sleep(0.05)
    raise AssertionError(f"no connection reached a process of role {role}")


def _answers(srv) -> bool:
    try:
        return httpx.get(srv.url + "/version", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def test_a_delete_an_extra_http_process_answers_goes_through_the_ingest_process(tmp_path):
    (tmp_path / "schemas.conf").write_text(SCHEMAS)
    srv = ServerProcess(tmp_path / "data", "--schemas-file", str(tmp_path / "schemas.conf"), "--self-metrics-interval",
                        "0", "--http-workers", "2", *WRITES).start()
    try:
        now = int(time.time()) // 10 * 10
        _send(srv, [(f"work.w{i}.cpu", 1.0, now - 60) for i in range(3)])
        _until(lambda: len(_find(srv, "work.*")) == 3, what="the series")
        # their points are only in the ingest process's memory and WAL: the child must have the
        # ingest process delete them, or the restart below would replay them
        child, main = _connection_to(srv, "api"), _connection_to(srv, "ingest+api")
        try:
            done = child.post("/tsstore/series/delete", data={"query": "work.w0"})
            assert done.status_code == 200 and done.json()["deleted"] == 1, done.text
            for client in (child, main):
                assert [m["path"] for m in client.get("/metrics/find", params={"query": "work.*", "format": "completer"})
                        .json()["metrics"]] == ["work.w1.", "work.w2."]
        finally:
            child.close()
            main.close()
        # sent again: the ingest process let go of it, so it creates it anew (had the child
        # deleted it behind its back, it would write the point under a series the store lacks)
        _send(srv, [("work.w0.cpu", 5.0, now)])
        _until(lambda: _points(srv, "work.w0.cpu", now - 600) == {"work.w0.cpu": [(now, 5.0)]},
               what="the series created anew with only its new point")
        srv.kill9()
        _until(lambda: not _answers(srv), what="the killed server's HTTP child gone")
        srv.start()
        assert _find(srv, "work.*") == ["work.w0.", "work.w1.", "work.w2."]
        assert _points(srv, "work.w0.cpu", now - 600) == {"work.w0.cpu": [(now, 5.0)]}
    finally:
        srv.stop()
