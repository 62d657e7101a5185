"""The `tsstore` command: a bad schemas file refuses to start, and `tsstore serve` with no
arguments runs on the default ports and ./tsstore-data."""
import subprocess
import sys
import time

import httpx

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
