"""Golden tests of the aggregation table: every name across series (columns of a matrix),
nulls, all-null columns, xFilesFactor, padded groups, skipped nulls (windows), whole series,
percentiles, and sums in graphite-web's order (Python's sum())."""
import math

import numpy as np
import pytest

from tsstore.query import aggregation
from tsstore.query.errors import QueryError

N = math.nan

# three series (rows) of four points (columns); column 2 is all null, column 3 has one value
M = np.array([
    [1.0, 4.0, N, N],
    [3.0, N, N, 5.0],
    [8.0, 2.0, N, N],
])


def col(values):
    return [None if v != v else v for v in values.tolist()]


@pytest.mark.parametrize("func, expected", [
    ("sum", [12, 6, None, 5]),
    ("total", [12, 6, None, 5]),
    ("average", [4, 3, None, 5]),
    ("avg", [4, 3, None, 5]),
    ("avg_zero", [4, 2, None, 5 / 3]),  # nulls count as zeros: divided by the 3 series
    ("count", [3, 2, None, 1]),  # a column of nulls is null, count too
    ("max", [8, 4, None, 5]),
    ("min", [1, 2, None, 5]),
    ("range", [7, 2, None, 0]),
    ("rangeOf", [7, 2, None, 0]),
    ("median", [3, 3, None, 5]),  # an even count averages the two middle values
    ("diff", [1 - 3 - 8, 4 - 2, None, 5]),  # the first value minus the others
    ("stddev", [math.sqrt(((1 - 4) ** 2 + (3 - 4) ** 2 + (8 - 4) ** 2) / 3), 1, None, 0]),
    ("multiply", [24, None, None, None]),  # a null anywhere in the column makes it null
    ("last", [8, 2, None, 5]),
    ("current", [8, 2, None, 5]),
    ("first", [1, 4, None, 5]),  # consolidateBy's 'first' (not offered by /functions)
])
def test_each_name_across_series(func, expected):
    assert col(aggregation.reduce(M, func)) == pytest.approx(expected, nan_ok=True)


def test_every_offered_name_is_in_the_table():
    for name in aggregation.AGG_FUNCS:
        aggregation.implementation(name)
    assert "first" not in aggregation.AGG_FUNCS


def test_unknown_name_is_a_query_error():
    with pytest.raises(QueryError, match="unsupported aggregation function 'mode'"):
        aggregation.reduce(M, "mode")
    with pytest.raises(QueryError, match="legendValue: unsupported"):
        aggregation.series_value(M[0], "first", "legendValue")


def test_rows_are_groups_along_axis_1():
    assert col(aggregation.reduce(M, "sum", axis=1)) == [5, 8, 10]
    assert col(aggregation.reduce(M, "avg_zero", axis=1)) == [5 / 4, 2, 10 / 4]


def test_x_files_factor_nulls_columns_with_too_few_values():
    # column values: 3/3, 2/3, 0/3, 1/3
    assert col(aggregation.reduce(M, "sum", xff=0.5)) == [12, 6, None, None]
    assert col(aggregation.reduce(M, "sum", xff=1.0)) == [12, None, None, None]
    # against an expected number of values other than the group size
    assert col(aggregation.reduce(M, "sum", xff=0.5, expected=6)) == [12, None, None, None]


def test_size_of_padded_groups():
    # the last group (row) holds one real member and one padding null: avg_zero and
    # multiply count it as a group of 1
    m = np.array([[2.0, 3.0], [4.0, N]])
    assert col(aggregation.reduce(m, "avg_zero", axis=1, size=np.array([2, 1]))) == [2.5, 4]
    assert col(aggregation.reduce(m, "multiply", axis=1, size=np.array([2, 1]))) == [6, 4]
    assert col(aggregation.reduce(m, "multiply", axis=1)) == [6, None]


def test_skip_nulls_makes_nulls_no_members():
    # graphite-web's movingWindow and summarize drop the nulls before aggregating
    m = np.array([[2.0, N, 3.0]])
    assert col(aggregation.reduce(m, "multiply", axis=1, skip_nulls=True)) == [6]
    assert col(aggregation.reduce(m, "avg_zero", axis=1, skip_nulls=True)) == [2.5]
    assert col(aggregation.reduce(m, "avg_zero", axis=1)) == [5 / 3]


def test_sums_are_added_in_order_as_python_sum():
    # numpy's pairwise sum gives 1e16 + 14 here; Python's sum() (and graphite-web) 1e16
    values = [1e16] + [1.0] * 15
    assert sum(values) == 1e16 and float(np.sum(values)) != 1e16
    m = np.array(values)[:, None]
    assert aggregation.reduce(m, "sum")[0] == sum(values)
    assert aggregation.reduce(m, "average")[0] == sum(values) / 16
    assert aggregation.series_stat(np.array(values), "sum") == sum(values)


def test_empty_matrix():
    empty = np.empty((0, 2))
    assert col(aggregation.reduce(empty, "sum")) == [None, None]
    assert col(aggregation.reduce(empty, "median")) == [None, None]


def test_series_value_follows_graphite_web_for_whole_series():
    v = np.array([1.0, N, 3.0])
    assert aggregation.series_value(v, "average") == 2
    assert aggregation.series_value(v, "count") == 2 and isinstance(aggregation.series_value(v, "count"), int)
    assert aggregation.series_value(v, "avg_zero") == pytest.approx(4 / 3)
    assert aggregation.series_value(v, "multiply") is None  # one null is enough
    assert aggregation.series_value(np.array([2.0, 3.0]), "multiply") == 6
    nulls = np.array([N, N])
    assert aggregation.series_value(nulls, "sum") is None
    assert aggregation.series_value(nulls, "count") == 0
    assert aggregation.series_value(nulls, "avg_zero") == 0.0
    assert aggregation.series_value(np.array([]), "avg_zero") is None


def test_series_stat_uses_the_non_null_values():
    v = np.array([1.0, N, 3.0])
    assert aggregation.series_stat(v, "multiply") == 3  # nulls left out, not null
    assert aggregation.series_stat(v, "avg_zero") == pytest.approx(4 / 3)  # nulls count as zeros
    assert aggregation.series_stat(v, "first") == 1
    assert math.isnan(aggregation.series_stat(np.array([N]), "count"))


def test_percentile_nearest_rank():
    v = np.array([15.0, 20, 35, 40, 50, N])
    assert aggregation.percentile(v, 50) == 35
    assert aggregation.percentile(v, 100) == 50
    assert aggregation.percentile(v, 1) == 15
    assert aggregation.percentile(np.array([N]), 50) is None
    assert aggregation.percentile_ranks(np.array([5, 0]), 50).tolist() == [2, 0]


def test_over_windows_aggregates_the_points_before_each_point():
    v = np.array([1.0, 2.0, N, 4.0, 8.0])
    # windows of 2 before indexes 2, 3, 4: [1, 2], [2, null], [null, 4]; nulls are no members
    assert col(aggregation.over_windows(v, 2, "sum")) == [3, 2, 4]
    assert col(aggregation.over_windows(v, 2, "avg_zero")) == [1.5, 2, 4]
    assert col(aggregation.over_windows(v, 2, "multiply")) == [2, 2, 4]
    assert col(aggregation.over_windows(v, 2, "max")) == [2, 2, 4]
    assert col(aggregation.over_windows(v, 2, "count")) == [2, 1, 1]
    assert col(aggregation.over_windows(v, 2, "sum", xff=1.0)) == [3, None, None]
    assert col(aggregation.over_windows(np.array([N, N, N]), 2, "sum")) == [None]
    assert len(aggregation.over_windows(v, 5, "sum")) == 0


@pytest.mark.parametrize("func", aggregation.AGG_FUNCS)
def test_over_windows_is_the_table_on_each_window(func):
    rng = np.random.default_rng(7)
    v = rng.random(300) * 100
    v[rng.random(300) < 0.3] = N
    points = 20
    expected = [aggregation.reduce(v[i - points:i, None], func, skip_nulls=True)[0] for i in range(points, len(v))]
    assert col(aggregation.over_windows(v, points, func)) == col(np.array(expected))
