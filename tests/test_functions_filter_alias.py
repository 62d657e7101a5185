"""Golden tests of the Filter Series / Filter Data / Alias / Graph / Special additions:
hand-worked expectations (graphite-web 1.1 behaviour), inputs built here, no storage."""
import pytest

from tests.functions_helpers import N, run, series, values
from tsstore.query.errors import QueryError

A = series("servers.web01.cpu", [1, 2, N, 4, 5])
B = series("servers.web02.cpu", [10, N, N, 40, 50])
C = series("servers.db01.cpu", [100, 200, 300, 400, 500])
E = series("servers.web03.cpu", [N, N, N, N, N])
ALL = [A, B, C]


def names(result):
    return [s.name for s in result]


# -- Filter Series ---------------------------------------------------------------------
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


# -- Filter Data -----------------------------------------------------------------------
X = series("x", [3, 1, 4, N, 10, 5, 9, 2, 6, 8, 7])


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


# -- Alias -----------------------------------------------------------------------------
CHANNELS = [series("chan.power.1", [1, 2]), series("chan.power.2", [3, 4]),
            series("chan.freq.1", [N, 2400.7, N]), series("chan.freq.2", [5000, N, N])]


def test_alias_query_names_by_the_last_value_of_another_target():
    result = run(r"aliasQuery(chan.power.*, 'chan\.power\.(\d+)', 'chan.freq.\1', 'Channel %d MHz')", CHANNELS)
    assert names(result) == ["Channel 2400 MHz", "Channel 5000 MHz"]
    assert values(result[0]) == [1, 2] and result[0].tags == {"name": "chan.power.1"}
    result = run(r"aliasQuery(chan.power.1, 'power', 'freq', '%.1f (%%)')", CHANNELS)
    assert names(result) == ["2400.7 (%)"]


def test_alias_query_errors():
    with pytest.raises(QueryError, match="aliasQuery: no series found with query: chan.nothing.1"):
        run("aliasQuery(chan.power.1, 'power', 'nothing', '%d')", CHANNELS)
    with pytest.raises(QueryError, match="aliasQuery: the series of 'x.empty' has no value"):
        run("aliasQuery(chan.power.1, 'chan.power.1', 'x.empty', '%d')", CHANNELS + [series("x.empty", [N])])
    with pytest.raises(QueryError, match="aliasQuery: newName 'plain' must hold one %-format"):
        run("aliasQuery(chan.power.1, 'power', 'freq', 'plain')", CHANNELS)


def test_legend_value_appends_statistics():
    (s,) = run("legendValue(servers.web01.cpu, 'avg', 'last', 'count', 'multiply', 'nosuch')", ALL)
    assert s.name == "servers.web01.cpu (avg: 3.0) (last: 5.0) (count: 4) (multiply: None) (nosuch: (?))"
    assert values(s) == [1, 2, N, 4, 5]
    (s,) = run("legendValue(servers.db01.cpu, 'total', 'median', 'diff')", ALL)
    assert s.name == "servers.db01.cpu (total: 1500.0) (median: 300.0) (diff: -1300.0)"


def test_legend_value_with_units_in_columns():
    big = series("big", [1000, 2500000])
    (s,) = run("legendValue(big, 'avg', 'si')", [big])
    assert s.name == "big" + " " * 17 + "avg  " + "1.25M     "
    (s,) = run("legendValue(big, 'max', 'binary')", [big])
    assert s.name == "big" + " " * 17 + "max  " + "2.38Mi    "
    (s,) = run("legendValue(servers.web03.cpu, 'min', 'si')", [E])
    assert s.name == "servers.web03.cpu   min  None      "
    with pytest.raises(QueryError, match="legendValue: at least one value type"):
        run("legendValue(big)", [big])


def test_upper_and_lower_change_only_the_name():
    s = series("Servers.Web01.CPU", [1, 2], tags={"name": "Servers.Web01.CPU"})
    (u,) = run("upper(Servers.Web01.CPU)", [s])
    assert u.name == "SERVERS.WEB01.CPU" and values(u) == [1, 2] and u.tags == {"name": "Servers.Web01.CPU"}
    (lo,) = run("lower(Servers.Web01.CPU)", [s])
    assert lo.name == "servers.web01.cpu"


# -- Graph -----------------------------------------------------------------------------
def test_area_between_names_both_by_the_second_path():
    low, high = run("areaBetween(servers.web0*.cpu)", ALL)
    assert low.name == high.name == "areaBetween(servers.web0*.cpu)"
    assert values(low) == values(A) and values(high) == values(B)
    assert low.tags == high.tags == {"name": "servers.web02.cpu", "areaBetween": "1"}
    assert low.options == {"stacked": True, "invisible": True} and high.options == {"stacked": True}
    with pytest.raises(QueryError, match="areaBetween: the series argument must reference exactly 2 series, got 3"):
        run("areaBetween(servers.*.cpu)", ALL)


def test_threshold_is_a_labelled_constant_line():
    (s,) = run("threshold(42)", [A], start=0, end=3600)
    assert s.name == "42.0" and values(s) == [42, 42, 42] and s.step == 1800
    (s,) = run("threshold(42, 'limit', 'red')", [A], start=0, end=3600)
    assert s.name == "limit" and s.tags == {"name": "42.0"} and s.options == {"color": "red"}


def test_vertical_line_is_one_point_at_the_time():
    (s,) = run("verticalLine('1800', 'deploy', 'blue')", [A], start=0, end=3600)
    assert (s.name, s.start, s.step, values(s)) == ("deploy", 1800, 1, [1.0])
    assert s.options == {"drawAsInfinite": True, "color": "blue"} and s.tags == {"name": "deploy"}
    (s,) = run("verticalLine('-10min')", [A], start=0, end=3600)  # relative to now (the end here)
    assert s.start == 3000 and s.name is None and s.tags == {"name": "None"}
    with pytest.raises(QueryError, match="exists after end of range"):
        run("verticalLine('7200')", [A], start=0, end=3600)
    with pytest.raises(QueryError, match="exists before start of range"):
        run("verticalLine('-2h')", [A], start=0, end=3600)
    with pytest.raises(QueryError, match="verticalLine: ts 'soon' is not a time"):
        run("verticalLine('soon')", [A], start=0, end=3600)


# -- Special ---------------------------------------------------------------------------
def test_cacti_style_aligns_current_max_min():
    a, b, e = run("cactiStyle(servers.web0*.cpu)", [A, B, E])
    assert a.name == "servers.web01.cpu Current:5.00     Max:5.00     Min:1.00     "
    assert b.name == "servers.web02.cpu Current:50.00    Max:50.00    Min:10.00    "
    assert e.name == "servers.web03.cpu Current:nan      Max:nan      Min:nan      "
    assert values(a) == values(A)


def test_cacti_style_with_units():
    big = series("big", [1000, 2500000])
    (s,) = run("cactiStyle(big, 'si')", [big])
    assert s.name == "big Current:2.50M    Max:2.50M    Min:1.00k    "
    (s,) = run("cactiStyle(big, 'si', 'B')", [big])
    assert s.name == "big Current:2.50 MB    Max:2.50 MB    Min:1.00 kB    "
    (s,) = run("cactiStyle(big, None, 'req')", [big])
    assert s.name == "big Current:2500000.00 req    Max:2500000.00 req    Min:1000.00 req    "
    with pytest.raises(QueryError, match="cactiStyle: system must be one of"):
        run("cactiStyle(big, 'metric')", [big])


def test_changed_marks_changes_of_the_last_known_value():
    x = series("x", [N, 1, 1, N, 2, 2, 3])
    (s,) = run("changed(x)", [x])
    assert s.name == "changed(x)" and values(s) == [0, 0, 0, 0, 1, 0, 1]
    assert values(run("changed(servers.web03.cpu)", [E])[0]) == [0] * 5


def test_cumulative_is_consolidate_by_sum():
    (s,) = run("cumulative(servers.web01.cpu)", ALL)
    assert s.name == 'consolidateBy(servers.web01.cpu,"sum")' and s.consolidation_func == "sum"
    assert s.tags == {"name": "servers.web01.cpu", "consolidateBy": "sum"} and values(s) == values(A)


def test_fallback_series():
    assert names(run("fallbackSeries(servers.nothing.*, servers.web01.cpu)", ALL)) == ["servers.web01.cpu"]
    assert names(run("fallbackSeries(servers.web02.cpu, servers.web01.cpu)", ALL)) == ["servers.web02.cpu"]


def test_random_walk_covers_the_range_from_zero():
    (s,) = run("randomWalk('walk')", [A], start=0, end=600)
    assert (s.name, s.start, s.step, len(s.values)) == ("walk", 0, 60, 10)
    v = values(s)
    assert v[0] == 0 and all(abs(b - a) <= 0.5 for a, b in zip(v, v[1:]))
    (s,) = run("randomWalkFunction('w;dc=a', 130)", [A], start=0, end=600)
    assert (s.name, s.step, len(s.values)) == ("w;dc=a", 130, 5) and s.tags == {"name": "w", "dc": "a"}
    with pytest.raises(QueryError, match="randomWalk: step must be a positive"):
        run("randomWalk('walk', 0)", [A], start=0, end=600)


def test_substr_picks_nodes_inside_the_parentheses():
    assert names(run("substr(servers.web01.cpu, 1)", ALL)) == ["web01.cpu"]
    assert names(run("substr(servers.web01.cpu, 1, -1)", ALL)) == ["web01"]
    assert names(run("substr(servers.web01.cpu, -1)", ALL)) == ["cpu"]
    # graphite-web keeps what follows the path up to the first ')'
    assert names(run("substr(scale(servers.web01.cpu, 2), 1)", ALL)) == ["web01.cpu,2"]
    assert names(run("substr(scale(servers.web01.cpu, 2), 0, 2)", ALL)) == ["servers.web01"]
    (s,) = run("substr(servers.web01.cpu, 2)", ALL)
    assert s.tags == {"name": "servers.web01.cpu"} and values(s) == values(A)


def test_x_files_factor_is_set_x_files_factor():
    (s,) = run("xFilesFactor(servers.web01.cpu, 0.5)", ALL)
    assert s.xfiles_factor == 0.5 and s.tags == {"name": "servers.web01.cpu", "xFilesFactor": "0.5"}
    assert s.name == "servers.web01.cpu"
