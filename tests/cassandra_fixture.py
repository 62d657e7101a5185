"""The real local Cassandra for tests: TSSTORE_CASSANDRA=host:port if set (scripts/test sets
it), else started here with scripts/cassandra-local and stopped at the end of the session."""
import os
import subprocess
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def cassandra_address():
    address = os.environ.get("TSSTORE_CASSANDRA")
    started = False
    if not address:
        proc = subprocess.run([str(ROOT / "scripts" / "cassandra-local"), "start"], capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, f"could not start the local Cassandra:\n{proc.stderr[-3000:]}"
        address = proc.stdout.strip().splitlines()[-1]
        started = True
    yield address
    if started:
        subprocess.run([str(ROOT / "scripts" / "cassandra-local"), "stop"], capture_output=True, timeout=120)


@pytest.fixture
def cassandra_url(cassandra_address):
    """A fresh keyspace per test."""
    return f"cassandra://{cassandra_address}/t_{uuid.uuid4().hex[:12]}"
