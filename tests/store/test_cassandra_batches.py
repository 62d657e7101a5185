"""Unlogged batches stay inside one partition and under the byte limit; a lone statement
is sent as itself."""
import uuid

import pytest
from cassandra.query import BatchStatement, SimpleStatement

from tsstore.model import AGG_COLUMNS, RAW_COLUMNS, columns_of
from tsstore.store.cassandra.requests import batches

STMT = SimpleStatement("INSERT INTO t (k, v) VALUES (%s, %s)")


def test_one_item_partition_is_a_plain_statement():
    assert batches([(("p", 1), STMT, ("a", 1), 10)], 5 * 1024) == [(STMT, ("a", 1))]


def _sizes(out):
    return [len(b) if isinstance(b, BatchStatement) else 1 for b, _ in out]


def test_a_large_partition_has_batches_of_its_own_cut_at_the_byte_limit():
    items = [(("p", 1), STMT, ("a", i), 400) for i in range(5)] + [(("p", 2), STMT, ("b", i), 400) for i in range(2)]
    out = batches(items, 1000)
    # partition 1: 5 x 400 bytes under 1000 -> 2 + 2 + 1 (the last a plain statement); partition 2: one batch of 2
    assert _sizes(out) == [2, 2, 1, 2]
    assert [params for _, params in out] == [None, None, ("a", 4), None]
    assert [b.routing_key for b, _ in out if isinstance(b, BatchStatement)] == [None] * 3  # simple statements: no token


def _texts(batch):
    return [query for _, query, _ in batch._statements_and_parameters]


def test_small_partitions_share_batches_of_at_most_ten_partitions():
    # 25 series rows (a partition each) and a parent's 3 leaves: small, so they share batches
    items = [(("series", f"s{i}"), STMT, (f"s{i}", i), 60) for i in range(25)]
    items += [(("node", "a.b"), STMT, ("a.b", leaf), 60) for leaf in range(3)]
    out = batches(items, 5 * 1024)
    assert _sizes(out) == [10, 10, 8]  # 26 partitions: 10 + 10 + 6 (the last holding the 3 leaves)
    assert all("'a.b'" in q for q in _texts(out[2][0])[-3:])
    # and under the byte limit: 28 rows of 60 bytes in batches of at most 500 bytes
    assert max(_sizes(batches(items, 500))) == 8


class _Template:
    """Binds like a prepared statement (the batch takes what bind returns)."""

    def __init__(self, query):
        self.query = query

    def bind(self, params):
        bound = SimpleStatement(self.query % tuple(map(repr, params)))
        bound.key = params[0]
        return bound


def test_small_partitions_share_only_with_partitions_of_the_same_replicas():
    stmt = _Template("INSERT INTO t (k) VALUES (%s)")
    items = [(("series", f"s{i}"), stmt, (f"s{i}",), 60) for i in range(8)]
    out = batches(items, 5 * 1024, replicas_of=lambda bound: int(bound.key[1:]) % 2)
    assert _sizes(out) == [4, 4]
    assert [[q[-3] for q in _texts(b)] for b, _ in out] == [list("0246"), list("1357")]


def test_columns_of_a_level():
    assert columns_of(0) == RAW_COLUMNS == 1
    assert columns_of(2) == AGG_COLUMNS == 5


@pytest.mark.cassandra
def test_rows_serialized_for_a_batch_are_what_the_driver_would_bind(cassandra_address):
    """A batch's rows after the first are serialized by requests._statement, not bound by the
    driver's add(): every value, of each type the store writes, must come out byte for byte
    as add() makes it, and the batch must route and run as the driver's own."""
    from cassandra.cluster import Cluster
    from cassandra.query import BatchType

    host, port = cassandra_address.rsplit(":", 1)
    cluster = Cluster([host], port=int(port), protocol_version=5)
    keyspace = f"t_{uuid.uuid4().hex[:12]}"
    try:
        session = cluster.connect()
        session.execute(f"CREATE KEYSPACE {keyspace} WITH replication = {{'class': 'SimpleStrategy', 'replication_factor': 1}}")
        session.execute(f"CREATE TABLE {keyspace}.t (shard int, level tinyint, window bigint, name text, seq bigint, "
                        "blob blob, xff double, flag boolean, PRIMARY KEY ((shard, level, window), name, seq))")
        put = session.prepare(f"INSERT INTO {keyspace}.t (shard, level, window, name, seq, blob, xff, flag) "
                              "VALUES (?, ?, ?, ?, ?, ?, ?, ?) USING TTL ?")
        rows = [(7, 2, 1_796_000_000 + i, f"dc1.h\u00e9st{i}.cpu", -(2**62) + i, bytes([i, 0, 255]), 0.1 * i,
                 i % 2 == 0, 86_400 + i) for i in range(12)]
        rows[3] = rows[3][:5] + (None,) + rows[3][6:]  # a null is bound as a null
        items = [(("p", 7), put, row, 100) for row in rows]
        (built, params), = batches(items, 10**6)
        by_driver = BatchStatement(batch_type=BatchType.UNLOGGED)
        for row in rows:
            by_driver.add(put, row)
        assert params is None and built._statements_and_parameters == by_driver._statements_and_parameters
        assert built.routing_key == by_driver.routing_key and built.keyspace == keyspace
        session.execute(built)
        assert session.execute(f"SELECT count(*) FROM {keyspace}.t").one()[0] == 12
        assert session.execute(f"SELECT name, blob FROM {keyspace}.t WHERE shard = 7 AND level = 2 AND window = "
                               f"{1_796_000_005}").one() == ("dc1.h\u00e9st5.cpu", bytes([5, 0, 255]))
    finally:
        cluster.shutdown()
