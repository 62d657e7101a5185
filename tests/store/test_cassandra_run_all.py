"""run_all (tsstore.store.cassandra.requests) against the real node: every statement's rows,
in order, and a large first window launched in turns of the event loop, so a read arriving
meanwhile is not held up by a flush's hundreds of launches; and nothing of a call is kept
once it returned."""
import asyncio
import gc
import uuid
import weakref

import pytest
from cassandra.cluster import Cluster

from tsstore.store.cassandra.requests import LAUNCHES_PER_TURN, run_all

pytestmark = pytest.mark.cassandra


@pytest.fixture
def session(cassandra_address):
    host, port = cassandra_address.rsplit(":", 1)
    cluster = Cluster([host], port=int(port), protocol_version=5)
    keyspace = f"t_{uuid.uuid4().hex[:12]}"
    session = cluster.connect()
    session.execute(f"CREATE KEYSPACE {keyspace} WITH replication = {{'class': 'SimpleStrategy', 'replication_factor': 1}}")
    session.execute(f"CREATE TABLE {keyspace}.t (k int PRIMARY KEY, v int)")
    session.set_keyspace(keyspace)
    yield session
    session.execute(f"DROP KEYSPACE {keyspace}")
    cluster.shutdown()


class CountingSession:
    """The real session, counting the statements launched through it."""

    def __init__(self, session):
        self.session, self.launched = session, 0

    def execute_async(self, *args, **kwargs):
        self.launched += 1
        return self.session.execute_async(*args, **kwargs)


async def test_a_large_first_window_lets_the_event_loop_turn(session):
    put = session.prepare("INSERT INTO t (k, v) VALUES (?, ?)")
    get = session.prepare("SELECT v FROM t WHERE k = ?")
    counting = CountingSession(session)
    seen_at = []

    async def a_read_arriving():
        seen_at.append(counting.launched)

    inflight = 8 * LAUNCHES_PER_TURN
    other = asyncio.get_running_loop().create_task(a_read_arriving())
    await run_all(counting, [(put, (k, k * 10)) for k in range(inflight * 2)], inflight)
    await other
    assert seen_at and seen_at[0] <= LAUNCHES_PER_TURN  # it ran after the first turn's launches, not after all
    rows = await run_all(counting, [(get, (k,)) for k in range(inflight * 2)], inflight)
    assert rows == [[(k * 10,)] for k in range(inflight * 2)]


class Values(list):
    """A statement's bound values that a weak reference can watch."""


async def test_nothing_of_a_call_stays_in_memory_after_it_returned(session):
    """The driver keeps each answered request until its timeout (10 s) is due; a call's
    statements and values must not stay with it (they once did: 1.6 KB per series while
    series were created), nor wait for the cyclic garbage collector."""
    put = session.prepare("INSERT INTO t (k, v) VALUES (?, ?)")
    get = session.prepare("SELECT v FROM t WHERE k = ?")
    values = [Values([k, k * 10]) for k in range(64)]
    watched = [weakref.ref(v) for v in values]
    gc.disable()
    try:
        await run_all(session, [(put, v) for v in values], 16)
        rows = await run_all(session, [(get, (k,)) for k in range(64)], 16)
        assert rows == [[(k * 10,)] for k in range(64)]
        del values
        await asyncio.sleep(0.1)  # the driver's thread ends its callbacks
        assert sum(w() is not None for w in watched) == 0
    finally:
        gc.enable()
