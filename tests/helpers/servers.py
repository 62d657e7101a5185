"""Helpers to run a real tsstore server in tests (in-process or as a subprocess) on loopback."""
from __future__ import annotations

import asyncio
import pickle
import signal
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path

import httpx


def free_port() -> int:
    """A port free for both TCP and UDP on 127.0.0.1 (carbon shares one number for both)."""
    for _ in range(50):
        with socket.socket() as tcp:
            tcp.bind(("127.0.0.1", 0))
            port = tcp.getsockname()[1]
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                udp.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
    raise RuntimeError("no free port found")


def send_tcp(port: int, data: bytes, host: str = "127.0.0.1") -> None:
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall(data)


def send_udp(port: int, data: bytes, host: str = "127.0.0.1") -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.sendto(data, (host, port))


def pickle_frame(items, protocol: int = 2) -> bytes:
    payload = pickle.dumps(items, protocol=protocol)
    return struct.pack(">I", len(payload)) + payload


async def wait_for(predicate, timeout: float = 20.0, interval: float = 0.1, what: str = "condition"):
    """Poll an async predicate until it returns a truthy value (bounded in time)."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = await predicate()
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}; last value: {last!r}")


def wait_until(predicate, timeout: float, what: str, interval: float = 0.25):
    """predicate()'s first truthy value, polled until `timeout` s (bounded in time); fails
    naming `what` and the last value seen."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}; last value: {last!r}")


def terminate(proc: subprocess.Popen, timeout: float) -> bool:
    """SIGTERM a running process and wait; SIGKILL it after timeout. False when it had to be
    killed (it did not stop on SIGTERM in time)."""
    if proc.poll() is not None:
        return True
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout)
        return True
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)
        return False


class ServerProcess:
    """`python -m tsstore serve` as a child process, for crash and CLI tests."""

    def __init__(self, data_dir: Path, *extra: str, http_host: str = "127.0.0.1", wrapper: tuple[str, ...] = ()):
        self.data_dir = data_dir
        self.wrapper = wrapper  # a command that execs tsstore, e.g. ("env", "LD_PRELOAD=...libfaketime.so.1", "FAKETIME=-5s")
        self.carbon_port, self.pickle_port, self.http_port = free_port(), free_port(), free_port()
        self.extra = extra
        self.http_host = http_host  # where the HTTP API answers (an --http-bind among `extra`)
        self.proc: subprocess.Popen | None = None
        self.log_path = data_dir.parent / f"{data_dir.name}-server.log"

    @property
    def url(self) -> str:
        return f"http://{self.http_host}:{self.http_port}"

    def start(self, timeout: float = 30.0) -> "ServerProcess":
        cmd = [
            *self.wrapper, sys.executable, "-m", "tsstore", "serve",
            "--data-dir", str(self.data_dir), "--bind", "127.0.0.1",
            "--carbon-port", str(self.carbon_port), "--pickle-port", str(self.pickle_port),
            "--http-port", str(self.http_port), *self.extra,
        ]
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(cmd, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"tsstore exited with {self.proc.returncode}:\n{self.log()}")
            try:
                if httpx.get(self.url + "/version", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"tsstore did not answer on {self.url} within {timeout}s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def kill9(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self, timeout: float = 60.0) -> int:
        if self.proc and not terminate(self.proc, timeout):
            raise AssertionError(f"tsstore did not stop on SIGTERM within {timeout}s:\n{self.log()}")
        return self.proc.returncode if self.proc else 0
