"""Settings precedence (defaults < TOML < flags), clear config errors, and `tsstore serve` with
no arguments on the default ports and ./tsstore-data."""
import argparse
import subprocess
import sys
import time

import httpx
import pytest

from tests.helpers.servers import send_tcp
from tsstore.config import ConfigError, Settings, add_flags, settings_from_args


def _args(*argv):
    parser = argparse.ArgumentParser()
    add_flags(parser)
    return parser.parse_args(argv)


def test_defaults_are_carbons():
    s = Settings()
    assert (s.carbon_port, s.pickle_port, s.http_port, s.udp_enabled) == (2003, 2004, 8080, True)
    assert s.data_dir == "./tsstore-data" and s.store == "embedded"


def test_toml_then_flags_override(tmp_path):
    conf = tmp_path / "tsstore.toml"
    conf.write_text('data_dir = "/srv/metrics"\ncarbon_port = 12003\nhttp_port = 18080\n')
    s = settings_from_args(_args("--config", str(conf), "--http-port", "9999"))
    assert (s.data_dir, s.carbon_port, s.http_port, s.pickle_port) == ("/srv/metrics", 12003, 9999, 2004)


def test_toml_under_a_table(tmp_path):
    conf = tmp_path / "tsstore.toml"
    conf.write_text("[tsstore]\nflush_interval = 2.5\n")
    assert settings_from_args(_args("--config", str(conf))).flush_interval == 2.5


@pytest.mark.parametrize(
    "text, message",
    [("carbon_prot = 1\n", "unknown setting 'carbon_prot'"), ("carbon_port = \n", "not valid TOML")],
)
def test_bad_config_files_name_the_problem(tmp_path, text, message):
    conf = tmp_path / "bad.toml"
    conf.write_text(text)
    with pytest.raises(ConfigError, match=message):
        settings_from_args(_args("--config", str(conf)))


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        settings_from_args(_args("--config", str(tmp_path / "nope.toml")))


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
