"""A start that cannot work fails before anything is created, naming what to fix: settings out
of range (flags and TOML), a port in use, a data dir held by another tsstore."""
from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from tests.helpers.servers import ServerProcess, free_port
from tsstore.cli import main
from tsstore.data_dir import DataDirInUse, DataDirLock

BAD_FLAGS = [
    (["--carbon-port", "70000"], "--carbon-port (carbon_port) must be a port number from 0 to 65535"),
    (["--http-port", "70000"], "--http-port (http_port) must be a port number"),
    (["--pickle-port", "-1"], "--pickle-port (pickle_port) must be a port number"),
    (["--flush-interval", "-5"], "--flush-interval (flush_interval) must be a finite number greater than 0"),
    (["--flush-interval", "0"], "--flush-interval (flush_interval) must be a finite number greater than 0"),
    (["--flush-interval", "nan"], "--flush-interval (flush_interval) must be a finite number greater than 0"),
    (["--flush-interval", "inf"], "--flush-interval (flush_interval) must be a finite number greater than 0"),
    (["--http-workers", "0"], "--http-workers (http_workers) must be a finite number greater than 0"),
    (["--wal-max-bytes", "0"], "--wal-max-bytes (wal_max_bytes) must be a finite number greater than 0"),
    (["--self-metrics-interval", "-1"], "--self-metrics-interval (self_metrics_interval) must be 0 (off) or more"),
    (["--self-metrics-instance", "web01.a"],
     "--self-metrics-instance (self_metrics_instance) must be letters, digits, '_' or '-'"),
    (["--log-level", "loud"], "--log-level (log_level) must be one of debug, info, warning, error, critical"),
    (["--api-write-networks", "10.0.0.0/33"], "--api-write-networks (api_write_networks): '10.0.0.0/33' is not a network"),
    (["--api-trusted-proxies", "proxy.local"], "--api-trusted-proxies (api_trusted_proxies): 'proxy.local' is not a network"),
    (["--api-cors-origins", "https://grafana.example.com/"],
     "--api-cors-origins (api_cors_origins): 'https://grafana.example.com/' is not an origin"),
    (["--api-write-token-file", "/nonexistent/token"],
     "--api-write-token-file (api_write_token_file): cannot read /nonexistent/token"),
]


@pytest.mark.parametrize("flags,message", BAD_FLAGS, ids=[" ".join(f) for f, _ in BAD_FLAGS])
def test_a_bad_flag_is_refused_by_name_before_anything_is_created(tmp_path, capsys, flags, message):
    data = tmp_path / "data"
    assert main(["serve", "--data-dir", str(data), *flags]) == 2
    assert message in capsys.readouterr().err
    assert not data.exists()


@pytest.mark.parametrize("line,message", [
    ('carbon_port = "2003"', "--carbon-port (carbon_port) must be an integer, got '2003'"),
    ("max_pending_points = 0", "setting max_pending_points must be a finite number greater than 0"),
    ("max_series_per_render = -1", "setting max_series_per_render must be 0 (off) or more"),
    ("udp_enabled = 1", "--no-udp (udp_enabled) must be a boolean"),
    ('api_write_networks = ["127.0.0.0/8", 5]', "--api-write-networks (api_write_networks) must be a list of strings"),
    ("http_bind = 5", "--http-bind (http_bind) must be an address"),
])
def test_a_bad_toml_setting_is_refused_by_name(tmp_path, capsys, line, message):
    conf = tmp_path / "tsstore.toml"
    conf.write_text(line + "\n")
    assert main(["serve", "--config", str(conf), "--data-dir", str(tmp_path / "data")]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize("content", ["", "short\n", "two words-0123456789\n"])
def test_a_token_file_without_a_usable_token_is_refused_saying_how_to_make_one(tmp_path, capsys, content):
    token = tmp_path / "token"
    token.write_text(content)
    assert main(["serve", "--api-write-token-file", str(token), "--data-dir", str(tmp_path / "data")]) == 2
    err = capsys.readouterr().err
    assert f"--api-write-token-file (api_write_token_file): {token} must hold one token of at least 16 characters" in err
    assert "openssl rand -hex 32" in err
    assert not (tmp_path / "data").exists()


def _serve(data, *flags):
    return subprocess.run([sys.executable, "-m", "tsstore", "serve", "--data-dir", str(data), *flags],
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("kind", ["tcp", "udp"])
def test_a_carbon_port_in_use_is_named_and_nothing_is_created(tmp_path, kind):
    port = free_port()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM if kind == "tcp" else socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", port))
        if kind == "tcp":
            taken.listen()
        proc = _serve(tmp_path / "data", "--carbon-port", str(port), "--pickle-port", "0", "--http-port", "0")
    assert proc.returncode == 1, proc.stderr
    what = "carbon" if kind == "tcp" else "carbon UDP"
    assert f"{what} port {port} on 127.0.0.1 (--carbon-port): Address already in use" in proc.stderr
    assert not (tmp_path / "data").exists()


def test_a_second_tsstore_on_the_same_data_dir_is_refused_naming_the_holder(tmp_path):
    data = tmp_path / "data"
    first = ServerProcess(data).start()
    try:
        second = _serve(data, "--carbon-port", "0", "--pickle-port", "0", "--http-port", "0")
        assert second.returncode == 1
        assert f"data dir {data} is in use by another tsstore (pid {first.proc.pid}" in second.stderr
        assert "another --data-dir" in second.stderr
        assert first.proc.poll() is None, "the first server must go on"
    finally:
        assert first.stop() == 0
    # the lock goes with the process: a new one starts on the same data dir
    again = ServerProcess(data).start()
    assert again.stop() == 0


def test_the_lock_is_held_until_released_and_names_its_pid(tmp_path):
    held = DataDirLock(tmp_path).acquire()
    with pytest.raises(DataDirInUse, match=f"pid {os.getpid()}"):
        DataDirLock(tmp_path).acquire()  # a second open file description conflicts, as another process would
    held.release()
    DataDirLock(tmp_path).acquire().release()
