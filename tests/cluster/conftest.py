"""A real Cassandra cluster for the multi-node tests: three nodes on 127.0.0.2-4, started once
per session by scripts/cassandra-local (its own TSSTORE_CASSANDRA_HOME, never the shared
single node of TSSTORE_CASSANDRA) and stopped at the end."""
from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NODES = 3
FIRST_ADDRESS = "127.0.0.2"


class LocalCluster:
    """The nodes of one scripts/cassandra-local cluster, by number (1 to NODES)."""

    def __init__(self, home: Path):
        self.home = home
        self.env = dict(os.environ, TSSTORE_CASSANDRA_HOME=str(home), TSSTORE_CASSANDRA_HEAP="512m")
        self.env.pop("TSSTORE_CASSANDRA_PORT", None)
        self.contact = ""  # h1,h2,h3:port, for cassandra:// URLs

    def run(self, *args: str, timeout: float = 300) -> str:
        proc = subprocess.run([str(ROOT / "scripts" / "cassandra-local"), *args], capture_output=True, text=True,
                              timeout=timeout, env=self.env)
        if proc.returncode:
            raise AssertionError(f"scripts/cassandra-local {' '.join(args)} failed (exit {proc.returncode}):\n"
                                 f"{proc.stderr[-3000:]}")
        print(proc.stderr.strip())  # start times, kept in the test's output
        return proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""

    def url(self, keyspace: str, options: str) -> str:
        return f"cassandra://{self.contact}/{keyspace}?{options}"

    def kill_node(self, k: int) -> None:
        self.run("kill-node", str(k))

    def start_node(self, k: int) -> None:
        self.run("start-node", str(k))


@pytest.fixture(scope="session")
def cassandra_cluster(tmp_path_factory):
    cluster = LocalCluster(tmp_path_factory.mktemp("cassandra-cluster"))
    t0 = time.monotonic()
    try:
        cluster.contact = cluster.run("start", "--nodes", str(NODES), "--first-address", FIRST_ADDRESS, timeout=400)
        print(f"cluster of {NODES} nodes started in {time.monotonic() - t0:.1f}s: {cluster.contact}")
        yield cluster
    finally:
        subprocess.run([str(ROOT / "scripts" / "cassandra-local"), "stop"], capture_output=True, timeout=180, env=cluster.env)
