"""`tsstore import-whisper` end to end: into a data dir no server holds, into a running
server's data dir (the write channel), into Cassandra; resuming, --force, bad files, exit
status, progress lines."""
import asyncio
import os
import subprocess
import sys
import time

import httpx
import pytest
import whisper

from tests.helpers.servers import free_port
from tsstore.config import Settings
from tsstore.server import Server
from tsstore.store.embedded import EmbeddedStore
from tsstore.whisper.importer import ImportOptions, run_import
from tsstore.local_socket import MAX_FRAME
from tsstore.write_channel import socket_path

NOW = int(time.time())
ARCHIVES = [(10, 360), (60, 1440)]


def _tree(root, count=12, bad=("empty.wsp",)):
    for i in range(count):
        path = root / "servers" / f"web{i:02d}" / "cpu" / "user.wsp"
        path.parent.mkdir(parents=True, exist_ok=True)
        whisper.create(str(path), ARCHIVES, 0.5, "average")
        whisper.update_many(str(path), [(NOW - j * 10, float(i + j)) for j in range(100)] +
                            [(NOW - 7200 - j * 60, float(-i - j)) for j in range(50)])
    for name in bad:
        (root / name).write_bytes(b"")
    return root


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "tsstore.cli", "import-whisper", *map(str, args)],
                          capture_output=True, text=True, timeout=300)


async def _read(data_dir, name, level, step):
    store = EmbeddedStore(data_dir)
    await store.open()
    try:
        return await store.read(name, level, step, NOW - 86400, NOW + 60), await store.get_series([name])
    finally:
        await store.close()


def test_import_into_a_free_data_dir_resumes_and_reports(tmp_path):
    root, data = _tree(tmp_path / "whisper"), tmp_path / "data"
    first = _cli(root, "--data-dir", data, "--workers", "2", "--progress-every", "5")
    assert first.returncode == 1  # the empty file failed
    assert "empty.wsp: empty file" in first.stderr
    progress = [line for line in first.stderr.splitlines() if "/13 files" in line]
    assert progress and progress[-1].startswith("import-whisper: 13/13 files") and "points/s" in progress[-1]
    assert "12 files, " in first.stderr.splitlines()[-2] and "1 failed" in first.stderr.splitlines()[-2]
    slots, metas = asyncio.run(_read(data, "servers.web03.cpu.user", 1, 60))
    assert metas["servers.web03.cpu.user"].rollups[1].step == 60 and len(slots) >= 50

    again = _cli(root, "--data-dir", data)
    assert "12 already imported" in again.stderr and "importing 1 into" in again.stderr
    (root / "empty.wsp").unlink()
    assert _cli(root, "--data-dir", data).returncode == 0  # nothing failed, nothing left to do
    forced = _cli(root, "--data-dir", data, "--force")
    assert forced.returncode == 0 and "12 files, " in forced.stderr.splitlines()[-1]


def test_a_changed_file_is_imported_again(tmp_path):
    root, data = _tree(tmp_path / "whisper", count=2, bad=()), tmp_path / "data"
    assert _cli(root, "--data-dir", data).returncode == 0
    whisper.update_many(str(root / "servers/web00/cpu/user.wsp"), [(NOW - 5, 99.0)])
    again = _cli(root, "--data-dir", data)
    assert "1 already imported" in again.stderr and "importing 1 into" in again.stderr


@pytest.mark.parametrize("args, problem", [
    (["--data-dir", "D", "--store", "cassandra://x/k"], "not allowed with argument"),
    ([], "one of the arguments --data-dir --store is required"),
    (["--store", "embedded"], "give cassandra://"),
    (["--data-dir", "D", "--workers", "-1"], "--workers must be"),
    (["--data-dir", "D", "--schemas-file", "/nonexistent.conf"], "cannot read storage-schemas.conf"),
])
def test_bad_arguments_are_named(tmp_path, args, problem):
    out = _cli(tmp_path, *[str(tmp_path / a) if a == "D" else a for a in args])
    assert out.returncode == 2 and problem in out.stderr, out.stderr


def test_a_root_that_is_not_a_directory_is_named(tmp_path):
    out = _cli(tmp_path / "missing", "--data-dir", tmp_path / "data")
    assert out.returncode == 1 and "missing: not a directory" in out.stderr
    assert not (tmp_path / "data").exists()


async def test_import_into_a_running_server_is_rendered_at_once(tmp_path):
    root = _tree(tmp_path / "whisper", count=3, bad=())
    settings = Settings(data_dir=str(tmp_path / "data"), carbon_port=free_port(), pickle_port=0, http_port=free_port(),
                        flush_interval=0.2, self_metrics_interval=0)
    srv = Server(settings)
    await srv.start()
    try:
        assert oct(os.stat(socket_path(settings.data_dir)).st_mode & 0o777) == "0o600"
        result = await run_import(ImportOptions([str(root)], data_dir=settings.data_dir, workers=1))
        assert result.files == 3 and not result.failed and "running server" in result.target
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{settings.http_port}") as client:
            find = (await client.get("/metrics/find", params={"query": "servers.*.cpu.user", "format": "completer"})).json()
            assert len(find["metrics"]) == 3
            body = (await client.get("/render", params={"target": "servers.web01.cpu.user", "from": str(NOW - 86400),
                                                        "until": str(NOW), "format": "json"})).json()
        values = [v for v, _ in body[0]["datapoints"] if v is not None]
        assert values and min(values) < 0  # the 1 min history, shown although each minute was a single point
    finally:
        await srv.stop()


async def test_the_write_channel_answers_a_bad_request_and_keeps_serving(tmp_path):
    settings = Settings(data_dir=str(tmp_path / "data"), carbon_port=free_port(), pickle_port=0, http_port=0,
                        self_metrics_interval=0)
    srv = Server(settings, api=False)
    await srv.start()
    try:
        import msgpack

        reader, writer = await asyncio.open_unix_connection(str(socket_path(settings.data_dir)))
        for request in ({"op": "nope"}, {"op": "write", "series": [], "slots": [["a", 1, 60, 600, b"\0" * 8, b"\0" * 8]]}):
            body = msgpack.packb(request)
            writer.write(len(body).to_bytes(4, "big") + body)
            size = int.from_bytes(await reader.readexactly(4), "big")
            reply = msgpack.unpackb(await reader.readexactly(size))
            assert reply["error"].startswith("bad request:"), reply
        writer.write((MAX_FRAME + 1).to_bytes(4, "big"))  # over the limit: the server drops the client
        assert await reader.read() == b""
        writer.close()
    finally:
        await srv.stop()


@pytest.mark.cassandra
async def test_import_into_cassandra(tmp_path, cassandra_url):
    from tsstore.store.cassandra.store import CassandraStore

    root = _tree(tmp_path / "whisper", count=3, bad=())
    result = await run_import(ImportOptions([str(root)], store_url=cassandra_url, workers=2,
                                            done_file=str(tmp_path / "done")))
    assert result.files == 3 and result.points > 3 * 150
    store = CassandraStore(cassandra_url)
    await store.open()
    try:
        nodes = await store.find("servers.*.cpu.user")
        slots = await store.read("servers.web02.cpu.user", 1, 60, NOW - 86400, NOW + 60)
    finally:
        await store.close()
    assert len(nodes) == 3 and len(slots) >= 50
