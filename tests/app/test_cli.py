"""The `tsstore` command: a bad schemas file refuses to start, and `tsstore serve` with no
arguments runs on the default ports and ./tsstore-data."""
import subprocess
import sys
import time

import httpx
import pytest

from tests.helpers.servers import send_tcp


def test_bad_schemas_file_refuses_to_start(tmp_path):
    bad = tmp_path / "schemas.conf"
    bad.write_text("[default]\npattern = .*\nretentions = 10x:1d\n")
    proc = subprocess.run(
        [sys.executable, "-m", "tsstore", "serve", "--schemas-file", str(bad), "--data-dir", str(tmp_path / "d"),
         "--carbon-port", "0", "--pickle-port", "0", "--http-port", "0"],
        capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 2
    assert "schemas.conf" in proc.stderr and "10x:1d" in proc.stderr


def test_serve_with_no_arguments(tmp_path):
    """The README's first command: defaults everywhere, data in ./tsstore-data."""
    proc = subprocess.Popen([sys.executable, "-m", "tsstore", "serve"], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert proc.poll() is None, proc.stdout.read().decode()
            try:
                if httpx.get("http://127.0.0.1:8080/version", timeout=1).text == "1.1.10\n":
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            raise AssertionError("no HTTP API on 127.0.0.1:8080")
        now = int(time.time())
        send_tcp(2003, f"defaults.work 1 {now}\n".encode())
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            status = httpx.get("http://127.0.0.1:8080/tsstore/status").json()["counters"]
            if status.get("points.received", 0) >= 1:
                break
            time.sleep(0.1)
        else:
            raise AssertionError("the point sent to 2003 was never received")
        assert (tmp_path / "tsstore-data" / "wal").is_dir()
        assert (tmp_path / "tsstore-data" / "tsstore.db").is_file()
    finally:
        proc.terminate()
        assert proc.wait(60) == 0


def _series_count(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tsstore", "series", "count", *args], capture_output=True, text=True,
                          timeout=120)


async def _create(store, names):
    from tsstore.model import Rollup, SeriesMeta

    await store.open()
    try:
        await store.create_series([SeriesMeta(n, (Rollup(60, 100),)) for n in names])
    finally:
        await store.close()


FLEET = [f"dc{d}.host{h}.{m}" for d in (1, 2) for h in range(d * 3) for m in ("cpu", "mem")] + ["dc1.host0.cpu.max", "x;t=1"]


async def test_series_count_lists_subtrees_most_first(tmp_path):
    from tsstore.store.embedded import EmbeddedStore

    await _create(EmbeddedStore(tmp_path / "data"), FLEET)
    proc = _series_count("*", "--data-dir", str(tmp_path / "data"))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["dc2", "12", "dc1", "7"]
    assert "2 nodes match '*', 19 series under them" in proc.stderr and "path index ready" in proc.stderr
    top = _series_count("dc*.*", "--data-dir", str(tmp_path / "data"), "--limit", "2")
    assert top.stdout.split() == ["dc1.host0", "3", "dc1.host1", "2"]
    assert "(7 more nodes not shown: --limit)" in top.stderr


def test_series_count_refusals_name_the_problem(tmp_path):
    missing = _series_count("*", "--data-dir", str(tmp_path / "nothing"))
    assert missing.returncode == 1 and "no tsstore data dir here" in missing.stderr
    bad = _series_count("dc[z-a]", "--data-dir", str(tmp_path))
    assert bad.returncode == 2 and "reversed character range z-a" in bad.stderr
    no_lines = _series_count("*", "--data-dir", str(tmp_path), "--limit", "0")
    assert no_lines.returncode == 2 and "--limit must be 1 or more" in no_lines.stderr
    braces = _series_count("x." + "{a,b,c,d,e,f,g,h,i,j,k}" * 4, "--data-dir", str(tmp_path))
    assert braces.returncode == 2 and "more than 10000 alternatives" in braces.stderr


@pytest.mark.cassandra
async def test_series_count_on_cassandra(cassandra_url):
    from tsstore.store.cassandra.store import CassandraStore

    await _create(CassandraStore(cassandra_url), FLEET)
    proc = _series_count("dc1.*", "--store", cassandra_url)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["dc1.host0", "3", "dc1.host1", "2", "dc1.host2", "2"]
