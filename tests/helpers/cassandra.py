"""The real local Cassandra for tests: TSSTORE_CASSANDRA=host:port if set (scripts/test sets
it), else the one scripts/cassandra-local already runs, else started here with it and stopped
at the end of the session (one the user started stays up)."""
import os
import subprocess
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def cassandra_address():
    address = os.environ.get("TSSTORE_CASSANDRA")
    started = False
    if not address:
        running = subprocess.run([str(ROOT / "scripts" / "cassandra-local"), "status"], capture_output=True, text=True,
                                 timeout=120)
        if running.returncode == 0 and running.stdout.strip():
            address = running.stdout.strip().splitlines()[-1]
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
    """A fresh keyspace per test, dropped afterwards: hundreds of leftover keyspaces' schemas
    filled the small test node's heap until it died."""
    keyspace = f"t_{uuid.uuid4().hex[:12]}"
    yield f"cassandra://{cassandra_address}/{keyspace}"
    from cassandra.cluster import Cluster

    host, port = cassandra_address.rsplit(":", 1)
    cluster = Cluster([host], port=int(port), protocol_version=5)
    try:
        cluster.connect().execute(f"DROP KEYSPACE IF EXISTS {keyspace}", timeout=120)
    except Exception:  # the outage test leaves the node briefly unreachable; nothing to undo then
        pass
    finally:
        cluster.shutdown()


async def read_series_table(store, limit: int = 1000) -> tuple[list[str], tuple]:
    """What a path index's first read of a Cassandra store gets: every name the series table's
    scan gives (in pieces of `limit`), and the cursor after it, from which series_log is read."""
    names, cursor = [], None
    while cursor is None or cursor[0] == "scan":
        joined, _, cursor = await store.tree_names_after(cursor, limit)
        names += [n for n in joined.split("\n") if n]
    return names, cursor
