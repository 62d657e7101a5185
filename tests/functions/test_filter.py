"""Golden tests of the Filter Series and Filter Data render functions: hand-worked expectations from
graphite-web's documented behaviour (names, tags, nulls, steps), inputs built here, no storage."""

import pytest

from tests.functions.helpers import ALL, A, E, N, names, run, series, values
from tsstore.query.errors import QueryError

X = series("x", [3, 1, 4, N, 10, 5, 9, 2, 6, 8, 7])


def test_highest_and_lowest():
    assert [s.name for s in run("highestAverage(servers.*.cpu, 2)", ALL)] == ["servers.db01.cpu", "servers.web02.cpu"]
    assert [s.name for s in run("lowestCurrent(servers.*.cpu, 1)", ALL)] == ["servers.web01.cpu"]
    assert [s.name for s in run("highestMax(servers.*.cpu, 1)", ALL)] == ["servers.db01.cpu"]
    assert [s.name for s in run("currentAbove(servers.*.cpu, 10)", ALL)] == ["servers.db01.cpu", "servers.web02.cpu"]
    assert [s.name for s in run("maximumAbove(servers.*.cpu, 100)", ALL)] == ["servers.db01.cpu"]


def test_exclude_grep_limit_remove_empty():
    empty = series("servers.web03.cpu", [N, N, N, N, N])
    names = lambda t: [s.name for s in run(t, ALL + [empty])]  # noqa: E731
    assert names("exclude(servers.*.cpu, 'web')") == ["servers.db01.cpu"]
    assert names("grep(servers.*.cpu, 'web0[12]')") == ["servers.web01.cpu", "servers.web02.cpu"]
    assert names("limit(servers.*.cpu, 2)") == ["servers.db01.cpu", "servers.web01.cpu"]
    assert "servers.web03.cpu" not in names("removeEmptySeries(servers.*.cpu)")


def test_remove_above_and_below_value():
    (s,) = run("removeBelowValue(servers.web01.cpu, 3)", ALL)
    assert s.name == "removeBelowValue(servers.web01.cpu, 3)" and values(s) == [N, N, N, 4, 5]
    (s,) = run("removeAboveValue(servers.web01.cpu, 3)", ALL)
    assert values(s) == [1, 2, N, N, N]


def test_average_outside_percentile_keeps_the_extremes():
    flat = [series(f"s.{c}", [v, v]) for c, v in zip("abcde", [1, 2, 3, 4, 5])] + [series("s.empty", [N, N])]
    # n=30 means the band between the 30th (2) and the 70th (5) percentile of the averages
    assert names(run("averageOutsidePercentile(s.*, 30)", flat)) == ["s.a", "s.b", "s.e", "s.empty"]
    assert names(run("averageOutsidePercentile(s.*, 70)", flat)) == ["s.a", "s.b", "s.e", "s.empty"]
    # 0 and 100: the band is (min, max)
    assert names(run("averageOutsidePercentile(s.*, 100)", flat)) == ["s.a", "s.e", "s.empty"]
    with pytest.raises(QueryError, match="averageOutsidePercentile: n must be a percentage"):
        run("averageOutsidePercentile(s.*, 120)", flat)


def test_remove_between_percentile_looks_at_each_time():
    cols = [series("x.a", [1, 5]), series("x.b", [2, 6]), series("x.c", [3, 7]), series("x.d", [4, 8]),
            series("x.null", [N, N])]
    # per column the band is (30th, 70th percentile) = (2, 4) then (6, 8): only x.c stays inside
    assert names(run("removeBetweenPercentile(x.*, 30)", cols)) == ["x.a", "x.b", "x.d"]
    assert names(run("removeBetweenPercentile(x.*, 50)", cols)) == ["x.a", "x.b", "x.c", "x.d"]
    assert run("removeBetweenPercentile(nothing.*, 30)", cols) == []
    with pytest.raises(QueryError, match="removeBetweenPercentile: n must be a percentage"):
        run("removeBetweenPercentile(x.*, -5)", cols)


def test_filter_series_operators_and_functions():
    everything = ALL + [E]
    assert names(run("filterSeries(servers.*.cpu, 'max', '>', 40)", everything)) == ["servers.db01.cpu", "servers.web02.cpu"]
    assert names(run("filterSeries(servers.*.cpu, 'average', '=', 3)", everything)) == ["servers.web01.cpu"]
    # a series without values is "below" and "different from" anything, never above or equal
    assert names(run("filterSeries(servers.*.cpu, 'last', '<', 10)", everything)) == ["servers.web01.cpu", "servers.web03.cpu"]
    assert names(run("filterSeries(servers.*.cpu, 'min', '>=', 10)", everything)) == ["servers.db01.cpu", "servers.web02.cpu"]
    assert names(run("filterSeries(servers.*.cpu, 'sum', '<=', 12)", everything)) == ["servers.web01.cpu", "servers.web03.cpu"]
    # count of no values is 0 (not null); multiply is null once a value is null
    assert names(run("filterSeries(servers.*.cpu, 'count', '=', 0)", everything)) == ["servers.web03.cpu"]
    assert names(run("filterSeries(servers.*.cpu, 'multiply', '!=', 1.2e12)", everything)) == \
        ["servers.web01.cpu", "servers.web02.cpu", "servers.web03.cpu"]
    assert run("filterSeries(servers.web01.cpu, 'max', '>', 1)", ALL)[0] is not A  # a new list of the same series


def test_filter_series_rejects_bad_arguments():
    with pytest.raises(QueryError, match="filterSeries: func must be one of"):
        run("filterSeries(servers.*.cpu, 'first', '>', 1)", ALL)
    with pytest.raises(QueryError, match="filterSeries: operator must be one of"):
        run("filterSeries(servers.*.cpu, 'max', '=~', 1)", ALL)
    with pytest.raises(QueryError, match="filterSeries: threshold must be a number"):
        run("filterSeries(servers.*.cpu, 'max', '>', 'lots')", ALL)


def test_most_deviant_ranks_by_variance():
    # variances: db01 20000, web02 ~288.9, web01 2.5; the empty series is left out
    assert names(run("mostDeviant(servers.*.cpu, 2)", ALL + [E])) == ["servers.db01.cpu", "servers.web02.cpu"]
    assert names(run("mostDeviant(servers.*.cpu, 10)", ALL + [E])) == ["servers.db01.cpu", "servers.web02.cpu", "servers.web01.cpu"]
    assert names(run("mostDeviant(servers.*.cpu, -1)", ALL)) == ["servers.db01.cpu", "servers.web02.cpu"]  # a slice, as graphite-web
    with pytest.raises(QueryError, match="mostDeviant: n must be an integer"):
        run("mostDeviant(servers.*.cpu, 'two')", ALL)


def test_unique_keeps_the_first_of_each_name():
    result = run("unique(servers.web01.cpu, servers.*.cpu, servers.web02.cpu)", ALL)
    assert names(result) == ["servers.web01.cpu", "servers.db01.cpu", "servers.web02.cpu"]


def test_use_series_above_draws_the_related_series():
    data = [series("app.reqs.a", [1, 20]), series("app.reqs.b", [1, 5]), series("app.reqs.c", [N, N]),
            series("app.time.a", [100, 200]), series("app.time.b", [7, 8]), series("app.time.c", [9, 9])]
    (s,) = run("useSeriesAbove(app.reqs.*, 10, 'reqs', 'time')", data)
    assert s.name == "app.time.a" and values(s) == [100, 200]
    # the new names are targets: functions work, and an empty series (app.reqs.c) is never above
    result = run(r"useSeriesAbove(app.reqs.*, 0, 'app\.reqs\.(.)', 'offset(app.time.\1,1)')", data)
    assert names(result) == ["offset(app.time.a,1)", "offset(app.time.b,1)"]
    assert values(result[1]) == [8, 9]
    assert run("useSeriesAbove(app.reqs.*, 100, 'reqs', 'time')", data) == []
    with pytest.raises(QueryError, match="useSeriesAbove: bad search"):
        run("useSeriesAbove(app.reqs.*, 1, '(', 'time')", data)


def test_remove_above_percentile():
    (s,) = run("removeAbovePercentile(x, 50)", [X])
    # 10 values: the 50th percentile is the 6th smallest, 6
    assert s.name == "removeAbovePercentile(x, 50)"
    assert values(s) == [3, 1, 4, N, N, 5, N, 2, 6, N, N]
    assert s.tags == {"name": "x", "nPercentile": "50.0"}  # graphite-web tags what nPercentile read
    assert values(run("removeAbovePercentile(x, 100)", [X])[0]) == values(X)


def test_remove_below_percentile():
    (s,) = run("removeBelowPercentile(x, 25.5)", [X])
    # rank ceil(0.255 * 11) = 3: the 3rd smallest, 3
    assert s.name == "removeBelowPercentile(x, 25.5)"
    assert values(s) == [3, N, 4, N, 10, 5, 9, N, 6, 8, 7]


def test_remove_percentile_of_an_empty_series_only_renames_it():
    (s,) = run("removeBelowPercentile(servers.web03.cpu, 10)", [E])
    assert s.name == "removeBelowPercentile(servers.web03.cpu, 10)" and values(s) == [N] * 5
    assert s.tags == {"name": "servers.web03.cpu"}


@pytest.mark.parametrize("n", ["0", "-10", "100.5"])
def test_remove_percentile_needs_a_percentage(n):
    with pytest.raises(QueryError, match="removeAbovePercentile: n must be a percentage"):
        run(f"removeAbovePercentile(x, {n})", [X])
