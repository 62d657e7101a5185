"""Extra HTTP API processes, so /render uses every core (one Python process serves one).

With `http_workers = N > 1`, `tsstore serve` (or `tsstore api`) starts N-1 child processes
that run only the HTTP API over the same store. Every process binds the HTTP port with
SO_REUSEPORT and the kernel spreads connections across them. Ingest stays in the main
process: the children read what it has flushed to the store, exactly as the main process's
own API does. A child exits when the main process dies (PR_SET_PDEATHSIG), so no orphan keeps
the port. A child's entry point is tsstore.http_child (started by module name, so this module
and the server need not import each other).
"""
from __future__ import annotations

import dataclasses
import json
import logging
import os
import socket
import subprocess
import sys
import time

from tsstore.config import Settings

log = logging.getLogger(__name__)
SETTINGS_ENV = "TSSTORE_WORKER_SETTINGS"
STATUS_FILE = "http-status.json"  # in the data directory: the main process's counters, for the children


def status_path(settings: Settings):
    from pathlib import Path

    return Path(settings.data_dir) / STATUS_FILE


async def publish_status(settings: Settings, counters, interval: float = 1.0) -> None:
    """Keep the ingest counters where the API-only children can answer /tsstore/status with
    them (at most `interval` seconds old), written atomically."""
    import asyncio

    path = status_path(settings)
    tmp = path.with_suffix(".tmp")
    while True:
        tmp.write_bytes(json.dumps({"counters": counters.snapshot(), "pid": os.getpid(), "at": time.time()}).encode())
        os.replace(tmp, path)
        await asyncio.sleep(interval)


def read_status(settings: Settings) -> dict | None:
    try:
        return json.loads(status_path(settings).read_bytes())
    except (OSError, ValueError):
        return None


def is_child() -> bool:
    """True in an extra HTTP process (it shares the main process's port)."""
    return SETTINGS_ENV in os.environ


def bind_shared(host: str, port: int) -> socket.socket:
    """A listening socket other processes can bind too (the kernel balances between them).

    The main process first binds the port exclusively for a moment: SO_REUSEPORT alone would
    let a second tsstore of the same user share the port silently instead of failing."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    if not is_child():  # the main process
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
            port = probe.getsockname()[1]  # port 0: keep the one the kernel chose
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(False)
    return sock


def start_children(settings: Settings, port: int) -> list[subprocess.Popen]:
    """N-1 API-only processes on `port` (the port the main process really bound)."""
    wanted = max(0, settings.http_workers - 1)
    if not wanted:
        return []
    config = dataclasses.asdict(dataclasses.replace(settings, http_port=port, http_workers=1))
    env = {**os.environ, SETTINGS_ENV: json.dumps(config)}
    children = [subprocess.Popen([sys.executable, "-m", "tsstore.http_child"], env=env) for _ in range(wanted)]
    log.info("started %d extra HTTP API processes on port %d (pids %s)", wanted, port, [c.pid for c in children])
    return children


def child_settings() -> Settings:
    """In a child: the settings start_children handed it."""
    return Settings(**json.loads(os.environ[SETTINGS_ENV]))


def stop_children(children: list[subprocess.Popen], timeout: float = 10.0) -> None:
    for child in children:
        if child.poll() is None:
            child.terminate()
    for child in children:
        try:
            child.wait(timeout)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
