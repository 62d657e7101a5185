"""Golden tests of the Combine render functions: hand-worked expectations from
graphite-web's documented behaviour (names, tags, nulls, steps), inputs built here, no storage."""

import math

import pytest

from tests.functions.helpers import ALL, A, N, by_name, names, run, series, values
from tsstore.query.errors import QueryError
from tsstore.query.functions import loader

WEB1_USER = series("servers.web01.cpu.user", [1, 2, N, 4])
WEB1_SYS = series("servers.web01.cpu.system", [2, N, 2, 2])
WEB2_USER = series("servers.web02.cpu.user", [3, 3, 3, 3])
WEB2_SYS = series("servers.web02.cpu.system", [1, 1, 0, 2])
CPU = [WEB1_USER, WEB1_SYS, WEB2_USER, WEB2_SYS]



P = [series("p.a", [1, 5, N, N]), series("p.b", [2, 6, 7, N]), series("p.c", [3, N, 9, N]), series("p.d", [4, 8, 8, N])]
SEASONAL = series("web.load", [10 + (i % 6) * 2 + (5 if i == 20 else 0) for i in range(30)], start=0, step=10,
                  tags={"name": "web.load"})


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


def test_divide_series_by_nothing_and_the_tags_of_a_quotient():
    result = run("divideSeries(servers.web0*.cpu, servers.nothing)", ALL)
    assert names(result) == ["divideSeries(servers.web01.cpu,MISSING)", "divideSeries(servers.web02.cpu,MISSING)"]
    assert values(result[0]) == [N] * 5 and result[0].tags == {"name": "servers.web01.cpu"}
    # a new series in graphite-web: tagged by its (function-like) name, not its inputs' tags
    tagged = series("disk;dc=a", [2, 4, 6, 8, 10], tags={"name": "disk", "dc": "a"})
    (s,) = run("divideSeries(disk;dc=a, servers.web01.cpu)", [tagged, A])
    assert s.tags == {"name": "divideSeries(disk;dc=a,servers.web01.cpu)"}
    (p,) = run("asPercent(disk;dc=a, 200)", [tagged])
    assert p.tags == {"name": "asPercent(disk;dc=a,200)"} and values(p) == [1, 2, 3, 4, 5]


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


def test_group_by_renames_the_aggregate_and_keeps_its_tags_and_path_expression():
    (s,) = run("groupByNodes(servers.*.cpu.*, 'sum', 1)", [WEB1_USER, WEB1_SYS])
    assert s.name == "web01" and values(s) == [3, 2, 2, 6]
    assert s.tags == {"name": "sumSeries(servers.*.cpu.*)", "aggregatedBy": "sum"}
    assert s.path_expression == "sumSeries(servers.*.cpu.*)"
    (total,) = run("sumSeries(groupByNode(servers.*.cpu.*, 1, 'max'))", CPU)
    assert total.name == "sumSeries(maxSeries(servers.*.cpu.*))"


def test_group_by_nodes_without_nodes_is_one_group_named_empty():
    (s,) = run("groupByNodes(servers.*.cpu.*, 'sum')", CPU)
    assert s.name == "" and values(s) == [7, 6, 5, 11]
    assert s.tags == {"name": "sumSeries(servers.*.cpu.*)", "aggregatedBy": "sum"}
    (s,) = run("groupByNodes(servers.web01.cpu.user, 'average')", CPU)
    assert s.name == "" and s.tags == {"name": "servers.web01.cpu.user", "aggregatedBy": "average"}


def test_group_by_keys_read_the_first_path_and_fall_back_to_tags():
    # a function-wrapped name is keyed by the path inside it; a node past the end is a tag
    # of that name, '' when there is none
    result = run("groupByNodes(scale(servers.*.cpu.*, 2), 'sum', 1, 9)", CPU)
    assert by_name(result) == {"web01.": [6, 4, 4, 12], "web02.": [8, 8, 6, 10]}


def test_group_by_callback_may_name_an_aggregating_series_function():
    # the function's own first series, renamed: countSeries counts the group's series
    result = run("groupByNode(servers.*.cpu.*, 1, 'countSeries')", CPU)
    assert by_name(result) == {"web01": [2, 2, 2, 2], "web02": [2, 2, 2, 2]}
    assert result[0].tags == {"name": "countSeries(servers.*.cpu.*)"}
    # asPercent: the first member (cpu.system, by name) as a percentage of the group's total
    result = run("groupByNode(servers.*.cpu.*, 1, 'asPercent')", CPU)
    assert names(result) == ["web01", "web02"] and values(result[1]) == [25, 25, 0, 40]
    # 'avg' is averageSeries's alias: named and tagged as averageSeries
    (s, _) = run("groupByNode(servers.*.cpu.*, 1, 'avg')", CPU)
    assert s.tags == {"name": "averageSeries(servers.*.cpu.*)", "aggregatedBy": "average"}
    # an aggregation name that is no function is aggregate()'s: 'total' stays 'total'
    (s, _) = run("groupByNode(servers.*.cpu.*, 1, 'total')", CPU)
    assert s.tags == {"name": "totalSeries(servers.*.cpu.*)", "aggregatedBy": "total"} and values(s) == [3, 2, 2, 6]
    with pytest.raises(QueryError, match="groupByNode"):
        run("groupByNode(servers.*.cpu.*, 1, 'scale')", CPU)


def test_group_by_callbacks_listed_as_graphite_web_lists_them():
    (callback,) = [p for p in loader.get("groupByNodes").info()["params"] if p["name"] == "callback"]
    assert {"sum", "median", "sumSeries", "countSeries", "asPercent", "pct", "powSeries",
            "sumSeriesWithWildcards", "multiplySeriesLists"} <= set(callback["options"])
    assert "scale" not in callback["options"] and "aggregate" not in callback["options"]


def test_aggregates_are_named_by_the_path_expressions_a_rename_keeps():
    # timeShift, dashed, secondYAxis and drawAsInfinite rename in place: the aggregate sees
    # the glob the series were fetched with
    for wrapped in ("timeShift(servers.web0*.cpu, '0s')", "dashed(servers.web0*.cpu)", "secondYAxis(servers.web0*.cpu)",
                    "drawAsInfinite(servers.web0*.cpu)", "alias(servers.web0*.cpu, 'x')"):
        (s,) = run(f"averageSeries({wrapped})", ALL)
        assert s.name == "averageSeries(servers.web0*.cpu)", wrapped
    # functions that build a new series name the aggregate after themselves
    (s,) = run("averageSeries(scale(servers.web0*.cpu, 2))", ALL)
    assert s.name == "averageSeries(scale(servers.web01.cpu,2),scale(servers.web02.cpu,2))"
    (s,) = run("sumSeries(stacked(servers.web0*.cpu, 'a'))", ALL)
    assert s.name == "sumSeries(servers.web01.cpu,servers.web02.cpu)"


def test_count_series_without_arguments_and_of_nothing():
    (s,) = run("countSeries()", ALL, start=0, end=3600)
    assert (s.name, s.path_expression, s.tags) == ("0", "countSeries()", {"name": "0"})
    assert values(s) == [0, 0, 0] and s.step == 1800
    assert run("countSeries(servers.nothing.*)", ALL) == []


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


def test_sum_series_lists_pairs_members_by_position():
    result = run("sumSeriesLists(servers.*.cpu.user, servers.*.cpu.system)", CPU)
    assert names(result) == ["sumSeries(servers.web01.cpu.user,servers.web01.cpu.system)",
                             "sumSeries(servers.web02.cpu.user,servers.web02.cpu.system)"]
    assert [values(s) for s in result] == [[3, 2, 2, 6], [4, 4, 3, 5]]
    # the name tag is the aggregate's own name, over the pathExpressions in argument order
    assert result[0].tags == {"name": "sumSeries(servers.*.cpu.user,servers.*.cpu.system)", "aggregatedBy": "sum"}


def test_diff_and_multiply_series_lists():
    (d,) = run("diffSeriesLists(servers.web01.cpu.user, servers.web01.cpu.system)", CPU)
    assert d.name == "diffSeries(servers.web01.cpu.user,servers.web01.cpu.system)"
    assert values(d) == [-1, 2, 2, 2]  # a null is skipped: what is left of the first
    (m,) = run("multiplySeriesLists(servers.web01.cpu.user, servers.web01.cpu.system)", CPU)
    assert m.name == "multiplySeries(servers.web01.cpu.user,servers.web01.cpu.system)"
    assert values(m) == [2, N, N, 8]  # one null makes the product null
    assert m.tags["aggregatedBy"] == "multiply"


def test_aggregate_series_lists_keeps_the_function_name_as_given():
    (s,) = run("aggregateSeriesLists(servers.web02.cpu.user, servers.web02.cpu.system, 'avg')", CPU)
    assert s.name == "avgSeries(servers.web02.cpu.user,servers.web02.cpu.system)"
    assert values(s) == [2, 2, 1.5, 2.5]
    assert s.tags["aggregatedBy"] == "avg"
    (s,) = run("aggregateSeriesLists(servers.web02.cpu.user, servers.web02.cpu.system, 'maxSeries')", CPU)
    assert s.name == "maxSeries(servers.web02.cpu.user,servers.web02.cpu.system)" and values(s) == [3, 3, 3, 3]


def test_aggregate_series_lists_x_files_factor():
    (s,) = run("aggregateSeriesLists(servers.web01.cpu.user, servers.web01.cpu.system, 'sum', 0.75)", CPU)
    assert values(s) == [3, N, N, 6]


def test_same_names_keep_their_name_tag():
    a = series("a.b", [1, 2])
    (s,) = run("sumSeriesLists(a.b, a.b)", [a])
    assert s.name == "sumSeries(a.b,a.b)" and values(s) == [2, 4]
    assert s.tags == {"name": "a.b", "aggregatedBy": "sum"}


def test_series_lists_need_equal_lengths_and_a_known_function():
    with pytest.raises(QueryError, match="same number of series"):
        run("sumSeriesLists(servers.*.cpu.user, servers.web01.cpu.system)", CPU)
    with pytest.raises(QueryError, match="func must be one of"):
        run("aggregateSeriesLists(servers.*.cpu.user, servers.*.cpu.system, 'bogus')", CPU)
    assert run("sumSeriesLists(nothing.*, none.*)", CPU) == []


def test_series_lists_with_different_steps():
    fine = series("x.fine", [1, 2, 3, 4, 5, 6], step=10)
    coarse = series("x.coarse", [10, 20, 30], step=20)
    (s,) = run("sumSeriesLists(x.fine, x.coarse)", [fine, coarse])
    assert s.step == 20 and values(s) == [11.5, 23.5, 35.5]


def test_divide_series_lists():
    result = run("divideSeriesLists(servers.*.cpu.user, servers.*.cpu.system)", CPU)
    assert names(result) == ["divideSeries(servers.web01.cpu.user,servers.web01.cpu.system)",
                             "divideSeries(servers.web02.cpu.user,servers.web02.cpu.system)"]
    assert values(result[0]) == [0.5, N, N, 2]
    assert values(result[1]) == [3, 3, N, 1.5]  # division by zero is null
    assert result[1].tags == {"name": result[1].name}
    with pytest.raises(QueryError, match="same number of series"):
        run("divideSeriesLists(servers.*.cpu.user, servers.web01.cpu.system)", CPU)


def test_multiply_series_with_wildcards():
    result = run("multiplySeriesWithWildcards(servers.*.cpu.*, 3)", CPU)
    assert names(result) == ["servers.web01.cpu", "servers.web02.cpu"]
    assert [values(s) for s in result] == [[2, N, N, 8], [3, 3, 0, 6]]
    assert result[0].tags == {"name": "multiplySeries(servers.*.cpu.*)", "aggregatedBy": "multiply"}
    (s,) = run("multiplySeriesWithWildcards(servers.*.cpu.user, 1)", CPU)
    assert s.name == "servers.cpu.user" and values(s) == [3, 6, N, 12]


def test_map_series_groups_by_node_in_order_of_appearance():
    result = run("mapSeries(servers.*.cpu.*, 1)", CPU)
    assert names(result) == ["servers.web01.cpu.system", "servers.web01.cpu.user",
                             "servers.web02.cpu.system", "servers.web02.cpu.user"]
    by_metric = run("map(servers.*.cpu.*, 3)", CPU)
    assert names(by_metric) == ["servers.web01.cpu.system", "servers.web02.cpu.system",
                                "servers.web01.cpu.user", "servers.web02.cpu.user"]


def test_reduce_series_applies_the_function_per_prefix():
    result = run("reduceSeries(mapSeries(servers.*.cpu.*, 1), 'divideSeries', 3, 'user', 'system')", CPU)
    assert names(result) == ["servers.web01.cpu.reduce.divideSeries", "servers.web02.cpu.reduce.divideSeries"]
    assert values(result[0]) == [0.5, N, N, 2]
    # renamed only: the tags are the reducing function's
    assert result[0].tags == {"name": "divideSeries(servers.web01.cpu.user,servers.web01.cpu.system)"}
    (s, _) = run("reduce(map(servers.*.cpu.*, 1), 'sumSeries', 3, 'system', 'user')", CPU)
    assert s.name == "servers.web01.cpu.reduce.sumSeries" and values(s) == [3, 2, 2, 6]


def test_reduce_series_takes_a_plain_list_too():
    # graphite-web fails (500) unless the list comes from mapSeries; the grouping is by name anyway
    result = run("reduceSeries(servers.*.cpu.*, 'divideSeries', 3, 'user', 'system')", CPU)
    assert names(result) == ["servers.web01.cpu.reduce.divideSeries", "servers.web02.cpu.reduce.divideSeries"]


def test_reduce_series_errors():
    with pytest.raises(QueryError, match="no series for 'count' under 'servers.web01.cpu'"):
        run("reduceSeries(mapSeries(servers.*.cpu.*, 1), 'divideSeries', 3, 'user', 'count')", CPU)
    with pytest.raises(QueryError, match="reduceFunction must name a render function"):
        run("reduceSeries(mapSeries(servers.*.cpu.*, 1), 'nope', 3, 'user', 'system')", CPU)
    with pytest.raises(QueryError, match="reduceNode 9 is out of range"):
        run("reduceSeries(mapSeries(servers.*.cpu.*, 1), 'divideSeries', 9, 'user', 'system')", CPU)
    with pytest.raises(QueryError, match="at least one node"):
        run("mapSeries(servers.*.cpu.*)", CPU)


def test_apply_by_node_evaluates_the_template_per_prefix():
    result = run("applyByNode(servers.*.cpu.user, 1, 'sumSeries(%.cpu.*)')", CPU)
    assert names(result) == ["sumSeries(servers.web01.cpu.*)", "sumSeries(servers.web02.cpu.*)"]
    assert [values(s) for s in result] == [[3, 2, 2, 6], [4, 4, 3, 5]]
    assert [s.path_expression for s in result] == ["servers.web01", "servers.web02"]


def test_apply_by_node_new_name():
    result = run("applyByNode(servers.*.cpu.user, 1, 'divideSeries(%.cpu.user,%.cpu.system)', '%.ratio')", CPU)
    assert names(result) == ["servers.web01.ratio", "servers.web02.ratio"]
    assert values(result[1]) == [3, 3, N, 1.5]
    assert result[1].tags == {"name": "divideSeries(servers.web02.cpu.user,servers.web02.cpu.system)"}


def test_apply_by_node_bad_template():
    with pytest.raises(QueryError, match="applyByNode: templateFunction gives a bad target"):
        run("applyByNode(servers.*.cpu.user, 1, 'sumSeries(%.cpu.*')", CPU)
    assert run("applyByNode(nothing.*, 1, 'sumSeries(%.cpu.*)')", CPU) == []


def test_percentile_of_series_nearest_rank():
    (s,) = run("percentileOfSeries(p.*, 50)", P)
    assert s.name == "percentileOfSeries(p.*,50)"
    assert s.tags == {"name": "percentileOfSeries(p.*,50)"}
    # 4 values: rank ceil(0.5 * 5) = 3; 3 values: rank 2; no values: null
    assert values(s) == [3, 6, 8, N]
    assert values(run("percentileOfSeries(p.*, 100)", P)[0]) == [4, 8, 9, N]
    assert values(run("percentileOfSeries(p.*, 1)", P)[0]) == [1, 5, 7, N]


def test_percentile_of_series_interpolated():
    (s,) = run("percentileOfSeries(p.*, 50, true)", P)
    assert values(s) == [2.5, 6, 8, N]
    (s,) = run("percentileOfSeries(p.*, 25.5, interpolate=true)", P)
    assert s.name == "percentileOfSeries(p.*,25.5)"
    assert values(s)[:3] == pytest.approx([1.275, 5.02, 7.02]) and values(s)[3] is None
    # graphite-web fails (500) at n=100 with interpolation; tsstore gives the largest value
    assert values(run("percentileOfSeries(p.*, 100, true)", P)[0]) == [4, 8, 9, N]


def test_percentile_of_series_bounds():
    for n in ("0", "-5", "150"):
        with pytest.raises(QueryError, match="n must be greater than 0 and at most 100"):
            run(f"percentileOfSeries(p.*, {n})", P)
    assert run("percentileOfSeries(nothing.*, 50)", P) == []


def test_weighted_average_pairs_by_node():
    (s,) = run("weightedAverage(servers.*.cpu.user, servers.*.cpu.system, 1)", CPU)
    assert s.name == "weightedAverage(servers.*.cpu.user, servers.*.cpu.system, 1)"
    assert s.tags == {"name": s.name}
    # (1*2 + 3*1) / 3, (3*1) / 1 (web01's product is null), (3*0) / 2, (4*2 + 3*2) / 4
    assert values(s) == pytest.approx([5 / 3, 3, 0, 3.5])


def test_weighted_average_unmatched_and_errors():
    # nodes that never match: nothing is paired
    assert run("weightedAverage(servers.*.cpu.user, servers.*.cpu.system, 3)", CPU) == []
    with pytest.raises(QueryError, match="same number of series"):
        run("weightedAverage(servers.*.cpu.user, servers.web01.cpu.system, 1)", CPU)
    zero = series("w.zero", [0, 0])
    avg = series("a.zero", [5, 5])
    (s,) = run("weightedAverage(a.zero, w.zero)", [zero, avg])
    assert values(s) == [N, N]  # a zero total weight is null


def test_pow_series():
    (s,) = run("powSeries(servers.web02.cpu.user, servers.web02.cpu.system)", CPU)
    assert s.name == "powSeries(servers.web02.cpu.user,servers.web02.cpu.system)"
    assert s.tags == {"name": s.name}
    assert values(s) == [3, 3, 1, 9]
    (s,) = run("powSeries(servers.web01.*.*)", CPU)  # system first (sorted): 2**1, null, null, 2**4
    assert values(s) == [2, N, N, 16]


def test_pow_series_undefined_powers_are_null():
    base = series("b.x", [-8, 0, 10, 2, N])
    exp = series("e.x", [0.5, -1, 400, 0.5, 1])
    (s,) = run("powSeries(b.x, e.x)", [base, exp])
    assert values(s) == [N, N, N, pytest.approx(math.sqrt(2)), N]
    assert run("powSeries(nothing.*)", [base]) == []


def test_pct_is_as_percent():
    result = run("pct(servers.*.cpu.user)", CPU)
    assert names(result) == ["asPercent(servers.web01.cpu.user,sumSeries(servers.*.cpu.user))",
                             "asPercent(servers.web02.cpu.user,sumSeries(servers.*.cpu.user))"]
    assert values(result[0]) == [25, 40, N, pytest.approx(400 / 7)]
    info = loader.get("pct").info()
    assert info["name"] == "pct" and info["function"].startswith("pct(") and info["group"] == "Combine"


def test_registry_metadata():
    assert loader.get("map").alias_of == "mapSeries"
    assert loader.get("reduce").alias_of == "reduceSeries"
    assert loader.get("reduceSeries").info()["params"][0] == {"name": "seriesLists", "type": "seriesLists", "required": True}
    for name in ("aggregateSeriesLists", "sumSeriesLists", "diffSeriesLists", "multiplySeriesLists", "divideSeriesLists",
                 "applyByNode", "multiplySeriesWithWildcards", "percentileOfSeries", "weightedAverage", "powSeries"):
        assert loader.get(name).group == "Combine", name


def test_holt_winters_confidence_bands_name_an_enclosing_aggregate_by_the_path():
    (s,) = run("sumSeries(holtWintersConfidenceBands(web.load, 2, '100s', '1min'))", [SEASONAL], start=100, end=300)
    assert s.name == "sumSeries(web.load)"
