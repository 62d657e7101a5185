"""Golden tests of the Special render functions: hand-worked expectations from
graphite-web's documented behaviour (names, tags, nulls, steps), inputs built here, no storage."""

import pytest

from tests.functions.helpers import ALL, A, B, E, N, names, run, series, values
from tsstore.query.errors import QueryError


def test_constant_line_is_grafanas_health_check():
    (s,) = run("constantLine(100)", [A], start=0, end=3600)
    assert s.name == "100.0" and values(s) == [100, 100, 100] and s.start == 0 and s.step == 1800


def test_consolidate_by():
    (s,) = run('consolidateBy(servers.web01.cpu, "max")', ALL)
    assert s.name == 'consolidateBy(servers.web01.cpu,"max")' and s.consolidation_func == "max"
    with pytest.raises(QueryError, match="consolidationFunc"):
        run('consolidateBy(servers.web01.cpu, "bogus")', ALL)


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
    # graphite-web cuts the inner text at the first ')', then drops a ',' and what follows
    assert names(run("substr(scale(servers.web01.cpu, 2), 1)", ALL)) == ["web01.cpu"]
    assert names(run("substr(dashed(servers.web01.cpu), 1)", ALL)) == ["web01.cpu"]
    assert names(run("substr(scale(servers.web01.cpu, 2), 0, 2)", ALL)) == ["servers.web01"]
    (s,) = run("substr(servers.web01.cpu, 2)", ALL)
    assert s.tags == {"name": "servers.web01.cpu"} and values(s) == values(A)


def test_x_files_factor_is_set_x_files_factor():
    (s,) = run("xFilesFactor(servers.web01.cpu, 0.5)", ALL)
    assert s.xfiles_factor == 0.5 and s.tags == {"name": "servers.web01.cpu", "xFilesFactor": "0.5"}
    assert s.name == "servers.web01.cpu"
