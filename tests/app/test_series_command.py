"""`tsstore series stale|delete|rename|deletions` as an operator runs them: on a stopped
server's data dir, on Cassandra, and on the data dir of a running server (which does the
deletion itself, through its write channel); a dry run, a glob that matches nothing, bad
requests named, and the deletion log."""
import subprocess
import sys
import time

import httpx
import numpy as np
import pytest

from tsstore.model import Rollup, SeriesMeta, Slots, WriteRequest
from tests.helpers.servers import ServerProcess, send_tcp

NOW = int(time.time()) // 60 * 60
ROLLUPS = (Rollup(60, 1440), Rollup(600, 1000))
NAMES = ["web.host01.cpu", "web.host01.mem", "web.host02.cpu", "db.host03.cpu", "disk.used;dc=dc1;host=host03"]


def _series(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tsstore", "series", *args], capture_output=True, text=True, timeout=180)


async def _fill(store):
    """The series; host02 last written two days ago, the others in the last hour."""
    await store.open()
    try:
        await store.create_series([SeriesMeta(n, ROLLUPS) for n in NAMES])
        requests = []
        for name in NAMES:
            newest = NOW - 2 * 86400 + 3600 if "host02" in name else NOW - 60
            ts = newest - np.arange(10)[::-1] * 60
            requests.append(WriteRequest(name, 0, 60, Slots(ts, np.ones((10, 1))), 86400 * 3))
        await store.write(requests)
    finally:
        await store.close()


@pytest.fixture(params=["embedded", pytest.param("cassandra", marks=pytest.mark.cassandra)])
async def where(request, tmp_path):
    """--data-dir DIR or --store URL of a store holding NAMES."""
    if request.param == "embedded":
        from tsstore.store.embedded import EmbeddedStore

        await _fill(EmbeddedStore(tmp_path / "data"))
        return ["--data-dir", str(tmp_path / "data")]
    from tsstore.store.cassandra.store import CassandraStore

    url = request.getfixturevalue("cassandra_url")
    await _fill(CassandraStore(url))
    return ["--store", url]


def test_stale_lists_what_was_not_written_since(where):
    proc = _series("stale", "web", "db", "--before", "-1d", *where)
    assert proc.returncode == 0, proc.stderr
    assert [line.split()[0] for line in proc.stdout.splitlines()] == ["web.host02.cpu"]
    assert "1 series not written since" in proc.stderr
    missing = _series("stale", "web", *where)
    assert missing.returncode == 2 and "--before" in missing.stderr


def test_delete_dry_run_then_delete_then_the_log(where):
    dry = _series("delete", "web.host01", "--tagged", "dc=dc1", "--dry-run", *where)
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.split() == ["disk.used;dc=dc1;host=host03", "web.host01.cpu", "web.host01.mem"]
    assert "dry run: 3 series would be deleted; nothing was" in dry.stderr
    still = _series("count", "web.*", *where)
    assert "web.host01" in still.stdout  # the dry run deleted nothing

    done = _series("delete", "web.host01", "--tagged", "dc=dc1", *where)
    assert done.returncode == 0, done.stderr
    assert "deleted 3 series" in done.stderr
    counted = _series("count", "*.*", *where)
    assert counted.stdout.split()[::2] == ["db.host03", "web.host02"]

    nothing = _series("delete", "web.host99.*", *where)
    assert nothing.returncode == 0 and "nothing matched: no series deleted" in nothing.stderr

    log = _series("deletions", *where)
    assert log.returncode == 0, log.stderr
    lines = log.stdout.splitlines()
    assert lines[0].startswith("# ") and '"via": "cli"' in lines[0] and '"globs": ["web.host01"]' in lines[0]
    assert sorted(lines[1:]) == ["disk.used;dc=dc1;host=host03", "web.host01.cpu", "web.host01.mem"]


def test_delete_only_the_stale_ones(where):
    done = _series("delete", "web", "--before", "-1d", *where)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["web.host02.cpu"]
    assert _series("count", "web.*", *where).stdout.split()[::2] == ["web.host01"]


def test_rename_a_subtree(where):
    dry = _series("rename", "web.host01", "web.host11", "--dry-run", *where)
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.splitlines() == ["web.host01.cpu -> web.host11.cpu", "web.host01.mem -> web.host11.mem"]
    clash = _series("rename", "web.host01", "web.host02", *where)
    assert clash.returncode == 2 and "1 series exist already under 'web.host02'" in clash.stderr
    done = _series("rename", "web.host01", "web.host11", *where)
    assert done.returncode == 0, done.stderr
    assert "renamed 2 series" in done.stderr
    assert _series("count", "web.*", *where).stdout.split()[::2] == ["web.host11", "web.host02"]
    stale = _series("stale", "web.host11", "--before", "now+2h", *where)  # the points came along
    assert [line.split()[0] for line in stale.stdout.splitlines()] == ["web.host11.cpu", "web.host11.mem"]
    assert "no point stored" not in stale.stdout


def test_bad_requests_are_named(tmp_path, where):
    nothing_named = _series("delete", *where)
    assert nothing_named.returncode == 2 and "name the series" in nothing_named.stderr
    bad_glob = _series("delete", "web.[z-a]", *where)
    assert bad_glob.returncode == 2 and "reversed character range" in bad_glob.stderr
    bad_tag = _series("delete", "--tagged", "dc", *where)
    assert bad_tag.returncode == 2 and "Invalid tagspec 'dc'" in bad_tag.stderr
    bad_time = _series("stale", "web", "--before", "yesterdayish", *where)
    assert bad_time.returncode == 2 and "yesterdayish" in bad_time.stderr
    wildcard = _series("rename", "web.*", "x", *where)
    assert wildcard.returncode == 2 and "plain dotted path" in wildcard.stderr
    no_dir = _series("delete", "web", "--data-dir", str(tmp_path / "nowhere"))
    assert no_dir.returncode == 1 and "no tsstore data dir here" in no_dir.stderr


def test_delete_on_a_running_servers_data_dir_goes_through_it(tmp_path):
    srv = ServerProcess(tmp_path / "data", "--self-metrics-interval", "0").start()
    try:
        now = int(time.time())
        send_tcp(srv.carbon_port, "".join(f"live.a{i}.cpu {i} {now - 30}\n" for i in range(3)).encode())
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            found = httpx.get(srv.url + "/metrics/find", params={"query": "live.*"}).json()
            if len(found) == 3:
                break
            time.sleep(0.1)
        # the server holds these points in memory (no flush yet): it must let go of them itself
        proc = _series("delete", "live.a1", "--data-dir", str(tmp_path / "data"))
        assert proc.returncode == 0, proc.stderr + srv.log()
        assert proc.stdout.split() == ["live.a1.cpu"] and "deleted 1 series" in proc.stderr
        assert [n["text"] for n in httpx.get(srv.url + "/metrics/find", params={"query": "live.*"}).json()] == ["a0", "a2"]
        render = httpx.get(srv.url + "/render", params={"target": "live.a1.cpu", "format": "json", "from": "-5min"}).json()
        assert render == []
        log = _series("deletions", "--data-dir", str(tmp_path / "data"))
        assert log.stdout.splitlines()[1:] == ["live.a1.cpu"]
    finally:
        srv.stop()
    # and it stays deleted when the server starts again (its WAL still has those points)
    srv.start()
    try:
        assert [n["text"] for n in httpx.get(srv.url + "/metrics/find", params={"query": "live.*"}).json()] == ["a0", "a2"]
    finally:
        srv.stop()
