"""Render functions, golden tests: hand-worked expectations from graphite-web's documented
behaviour (names, tags, nulls, steps), inputs built here, no storage."""

import pytest

from tests.functions_helpers import N, run, series, values
from tsstore.query.errors import QueryError

A = series("servers.web01.cpu", [1, 2, N, 4, 5])
B = series("servers.web02.cpu", [10, N, N, 40, 50])
C = series("servers.db01.cpu", [100, 200, 300, 400, 500])
ALL = [A, B, C]


def by_name(result):
    return {s.name: values(s) for s in result}


# -- Combine ---------------------------------------------------------------------------
def test_sum_series_names_with_the_path_expression_and_skips_nulls():
    (s,) = run("sumSeries(servers.web*.cpu)", ALL)
    assert s.name == "sumSeries(servers.web*.cpu)"
    assert values(s) == [11, 2, N, 44, 55]
    assert s.tags == {"name": "sumSeries(servers.web*.cpu)", "aggregatedBy": "sum"}


def test_sum_alias_and_several_lists():
    (s,) = run("sum(servers.web01.cpu, servers.db01.cpu)", ALL)
    assert s.name == "sumSeries(servers.web01.cpu,servers.db01.cpu)"  # order of appearance, as graphite-web
    assert values(s) == [101, 202, 300, 404, 505]


def test_average_min_max_diff():
    assert values(run("averageSeries(servers.web*.cpu)", ALL)[0]) == [5.5, 2, N, 22, 27.5]
    assert run("avg(servers.web*.cpu)", ALL)[0].name == "averageSeries(servers.web*.cpu)"
    assert values(run("maxSeries(servers.*.cpu)", ALL)[0]) == [100, 200, 300, 400, 500]
    assert values(run("minSeries(servers.*.cpu)", ALL)[0]) == [1, 2, 300, 4, 5]
    # diff: the first series minus the others, nulls skipped (db01 sorts first)
    assert values(run("diffSeries(servers.*.cpu)", ALL)[0]) == [89, 198, 300, 356, 445]


def test_aggregate_with_a_function_name():
    (s,) = run("aggregate(servers.web*.cpu, 'max')", ALL)
    assert s.name == "maxSeries(servers.web*.cpu)" and values(s) == [10, 2, N, 40, 50]


def test_count_series():
    (s,) = run("countSeries(servers.*.cpu)", ALL)
    assert s.name == "countSeries(servers.*.cpu)" and values(s) == [3] * 5


def test_single_input_keeps_its_name_tag():
    (s,) = run("sumSeries(servers.db01.cpu)", ALL)
    assert s.tags == {"name": "servers.db01.cpu", "aggregatedBy": "sum"}


def test_divide_series():
    (s,) = run("divideSeries(servers.web01.cpu, servers.web02.cpu)", ALL)
    assert s.name == "divideSeries(servers.web01.cpu,servers.web02.cpu)"
    assert values(s) == [0.1, N, N, 0.1, 0.1]
    with pytest.raises(QueryError, match="exactly 1 series"):
        run("divideSeries(servers.web01.cpu, servers.*.cpu)", ALL)


def test_as_percent_of_the_total():
    result = run("asPercent(servers.web*.cpu)", ALL)
    assert [s.name for s in result] == ["asPercent(servers.web01.cpu,sumSeries(servers.web*.cpu))",
                                        "asPercent(servers.web02.cpu,sumSeries(servers.web*.cpu))"]
    assert values(result[0])[0] == pytest.approx(100 / 11)
    assert values(result[1])[1] is None


def test_group_by_node_and_nodes():
    result = run("groupByNode(servers.*.cpu, 1, 'sum')", ALL)
    assert by_name(result) == {"web01": [1, 2, N, 4, 5], "web02": [10, N, N, 40, 50], "db01": [100, 200, 300, 400, 500]}
    result = run("groupByNodes(servers.*.cpu, 'sum', 0, 2)", ALL)
    assert by_name(result) == {"servers.cpu": [111, 202, 300, 444, 555]}


def test_sum_series_with_wildcards():
    result = run("sumSeriesWithWildcards(servers.*.cpu, 1)", ALL)
    assert by_name(result) == {"servers.cpu": [111, 202, 300, 444, 555]}


def test_different_steps_meet_at_the_least_common_multiple():
    fast = series("x.fast", [1, 3, 5, 7, 9, 11], step=10)
    slow = series("x.slow", [100, 200, 300, 400], step=15)
    (s,) = run("sumSeries(x.*)", [fast, slow])
    assert s.step == 30
    # fast averaged by 3 -> [3, 9]; slow averaged by 2 -> [150, 350]
    assert values(s) == [153, 359]


# -- Transform -----------------------------------------------------------------------
def test_scale_and_offset_names_and_tags():
    (s,) = run("scale(servers.web01.cpu, 2)", ALL)
    assert s.name == "scale(servers.web01.cpu,2)" and values(s) == [2, 4, N, 8, 10]
    assert s.tags == {"name": "servers.web01.cpu", "scale": "2.0"}  # graphite-web 1.1.8 prints the float
    (s,) = run("offset(servers.web01.cpu, -1.5)", ALL)
    assert s.name == "offset(servers.web01.cpu,-1.5)" and values(s) == [-0.5, 0.5, N, 2.5, 3.5]


def test_derivative_and_non_negative_derivative():
    counter = series("c.requests", [10, 20, 5, N, 15, 30])
    assert values(run("derivative(c.requests)", [counter])[0]) == [N, 10, -15, N, N, 15]
    (s,) = run("nonNegativeDerivative(c.requests)", [counter])
    assert s.name == "nonNegativeDerivative(c.requests)"
    assert values(s) == [N, 10, N, N, N, 15]  # reset -> null; after a gap, no previous value
    assert values(run("nonNegativeDerivative(c.requests, 30)", [counter])[0]) == [N, 10, 16, N, N, 15]


def test_per_second_divides_by_the_step():
    counter = series("c.bytes", [0, 100, 300, 50], step=10)
    (s,) = run("perSecond(c.bytes)", [counter])
    assert s.name == "perSecond(c.bytes)" and values(s) == [N, 10, 20, N]


def test_integral_absolute_transform_null_keep_last_value():
    x = series("x", [1, N, -2, N, N, 3])
    assert values(run("integral(x)", [x])[0]) == [1, N, -1, N, N, 2]
    assert values(run("absolute(x)", [x])[0]) == [1, N, 2, N, N, 3]
    (t,) = run("transformNull(x, 0)", [x])
    assert t.name == "transformNull(x,0)" and values(t) == [1, 0, -2, 0, 0, 3]
    (k,) = run("keepLastValue(x)", [x])
    assert k.name == "keepLastValue(x)" and values(k) == [1, 1, -2, -2, -2, 3]
    assert values(run("keepLastValue(x, 1)", [x])[0]) == [1, 1, -2, N, N, 3]


def test_summarize_aligned_buckets():
    x = series("x", [1, 2, 3, 4, 5, 6, 7], start=0, step=10)
    (s,) = run('summarize(x, "30s", "sum")', [x])
    assert s.name == 'summarize(x, "30s", "sum")' and s.step == 30
    assert values(s) == [6, 15, 7]
    (m,) = run('summarize(x, "30s", "max")', [x])
    assert values(m) == [3, 6, 7]


def test_moving_average_uses_the_points_before_each_point():
    x = series("x", [1, 2, 3, 4, 5, 6], start=0, step=10)
    (s,) = run("movingAverage(x, 2)", [x], start=20, end=60)
    assert s.name == "movingAverage(x,2)"
    # points at 20, 30, 40, 50: averages of the two points before each
    assert values(s)[-4:] == [1.5, 2.5, 3.5, 4.5]
    (t,) = run('movingAverage(x, "20s")', [x], start=20, end=60)
    assert t.name == 'movingAverage(x,"20s")' and values(t)[-4:] == [1.5, 2.5, 3.5, 4.5]


# -- Filter and sort -------------------------------------------------------------------
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


def test_sorting():
    assert [s.name for s in run("sortByMaxima(servers.*.cpu)", ALL)] == ["servers.db01.cpu", "servers.web02.cpu", "servers.web01.cpu"]
    assert [s.name for s in run("sortByMinima(servers.*.cpu)", ALL)] == ["servers.web01.cpu", "servers.web02.cpu", "servers.db01.cpu"]
    assert [s.name for s in run("sortBy(servers.*.cpu, 'average')", ALL)][0] == "servers.web01.cpu"
    assert [s.name for s in run("sortByName(servers.*.cpu)", ALL)] == ["servers.db01.cpu", "servers.web01.cpu", "servers.web02.cpu"]
    h = [series(f"h.host{i}", [1]) for i in (10, 9, 1)]
    assert [s.name for s in run("sortByName(h.*, true)", h)] == ["h.host1", "h.host9", "h.host10"]


# -- Alias -------------------------------------------------------------------------------
def test_alias_functions():
    assert [s.name for s in run("alias(servers.web01.cpu, 'cpu %')", ALL)] == ["cpu %"]
    assert [s.name for s in run("aliasByNode(servers.*.cpu, 1)", ALL)] == ["db01", "web01", "web02"]
    assert [s.name for s in run("aliasByNode(scale(servers.web01.cpu, 2), 1, -1)", ALL)] == ["web01.cpu"]
    assert [s.name for s in run("aliasByMetric(servers.web01.cpu)", ALL)] == ["cpu"]


def test_alias_sub_as_grafana_12_wraps_every_target():
    (s,) = run('aliasSub(servers.web01.cpu, "(^.*$)", "\\1 A")', ALL)
    assert s.name == "servers.web01.cpu A"
    (s,) = run("aliasSub(servers.web01.cpu, 'web(\\d+)', 'host\\1')", ALL)
    assert s.name == "servers.host01.cpu"


def test_alias_by_tags():
    t = series("disk.used;dc=dc1;rack=a1", [1], tags={"name": "disk.used", "dc": "dc1", "rack": "a1"})
    assert [s.name for s in run("aliasByTags(disk.used;dc=dc1;rack=a1, 'rack', 'dc')", [t])] == ["a1.dc1"]


# -- Special ------------------------------------------------------------------------------
def test_constant_line_is_grafanas_health_check():
    (s,) = run("constantLine(100)", [A], start=0, end=3600)
    assert s.name == "100.0" and values(s) == [100, 100, 100] and s.start == 0 and s.step == 1800


def test_consolidate_by():
    (s,) = run('consolidateBy(servers.web01.cpu, "max")', ALL)
    assert s.name == 'consolidateBy(servers.web01.cpu,"max")' and s.consolidation_func == "max"
    with pytest.raises(QueryError, match="consolidationFunc"):
        run('consolidateBy(servers.web01.cpu, "bogus")', ALL)


def test_pipes_and_nesting():
    (s,) = run("servers.web*.cpu | sumSeries() | scale(10) | alias('total')", ALL)
    assert s.name == "total" and values(s) == [110, 20, N, 440, 550]


def test_unknown_function_and_bad_arguments():
    with pytest.raises(QueryError, match="unknown function: nosuch"):
        run("nosuch(servers.web01.cpu)", ALL)
    with pytest.raises(QueryError, match="scale: factor must be a number"):
        run("scale(servers.web01.cpu, 'abc')", ALL)
    with pytest.raises(QueryError, match="summarize: intervalString"):
        run("summarize(servers.web01.cpu, 'soon')", ALL)
