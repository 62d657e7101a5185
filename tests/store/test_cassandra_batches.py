"""Unlogged batches stay inside one partition and under the byte limit; a lone statement
is sent as itself."""
from cassandra.query import BatchStatement, SimpleStatement

from tsstore.model import AGG_COLUMNS, RAW_COLUMNS, columns_of
from tsstore.store.cassandra.requests import batches

STMT = SimpleStatement("INSERT INTO t (k, v) VALUES (%s, %s)")


def test_one_item_partition_is_a_plain_statement():
    assert batches([(("p", 1), STMT, ("a", 1), 10)], 5 * 1024) == [(STMT, ("a", 1))]


def test_batches_are_per_partition_and_cut_at_the_byte_limit():
    items = [(("p", 1), STMT, ("a", i), 400) for i in range(5)] + [(("p", 2), STMT, ("b", i), 400) for i in range(2)]
    out = batches(items, 1000)
    assert all(isinstance(b, BatchStatement) and params is None for b, params in out)
    # partition 1: 5 x 400 bytes under 1000 -> 2 + 2 + 1; partition 2: one batch of 2
    assert [len(b) for b, _ in out] == [2, 2, 1, 2]


def test_columns_of_a_level():
    assert columns_of(0) == RAW_COLUMNS == 1
    assert columns_of(2) == AGG_COLUMNS == 5
