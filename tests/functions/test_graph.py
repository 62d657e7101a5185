"""Golden tests of the Graph render functions: hand-worked expectations from
graphite-web's documented behaviour (names, tags, nulls, steps), inputs built here, no storage."""

import pytest

from tests.functions.helpers import ALL, A, B, N, run, values
from tsstore.query.errors import QueryError


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


def test_stacked_default_and_named_stacks():
    low, high = run("stacked(servers.web0*.cpu)", ALL)
    assert (low.name, high.name) == ("stacked(servers.web01.cpu)", "stacked(servers.web02.cpu)")
    assert high.tags == {"name": "servers.web02.cpu", "stacked": "__DEFAULT__"} and values(high) == [11, N, N, 44, 55]
    # a named stack keeps the names and adds no tag (graphite-web's legend work-around);
    # stackName is graphite-web's Python name for stack, accepted by keyword as it does
    for target in ("stacked(servers.web0*.cpu, 'a')", "stacked(servers.web0*.cpu, stack='a')",
                   "stacked(servers.web0*.cpu, stackName='a')"):
        low, high = run(target, ALL)
        assert (low.name, high.name) == ("servers.web01.cpu", "servers.web02.cpu"), target
        assert high.tags == {"name": "servers.web02.cpu"} and values(high) == [11, N, N, 44, 55]
        assert high.options == {"stacked": True, "stack": "a"}


def test_dashed_and_the_axis_options_rename_in_place():
    (s,) = run("dashed(servers.web01.cpu, 2.5)", ALL)
    assert s.name == "dashed(servers.web01.cpu, 2.5)" and s.tags == {"name": "servers.web01.cpu", "dashed": "2.5"}
    assert s.path_expression == "servers.web01.cpu"
    (s,) = run("dashed(servers.web01.cpu)", ALL)
    assert s.name == "dashed(servers.web01.cpu, 5)" and s.tags["dashed"] == "5"
    for func in ("secondYAxis", "drawAsInfinite"):
        (s,) = run(f"{func}(servers.web0*.cpu)", [A])
        assert s.name == f"{func}(servers.web01.cpu)" and s.path_expression == "servers.web0*.cpu"
