"""What the grammar and the engine refuse before evaluating anything: targets nested past
MAX_NESTING (pipes included) and values where a function declares a series list."""
import asyncio

import pytest

from tests.functions.helpers import ALL, run
from tsstore.query import grammar
from tsstore.query.context import EvalContext
from tsstore.query.engine import evaluate_target
from tsstore.query.errors import QueryError
from tsstore.query.grammar import MAX_NESTING, TargetSyntaxError, parse_target


def depth(node) -> int:
    if not isinstance(node, grammar.Call):
        return 0
    return 1 + max((depth(a) for a in (*node.args, *(v for _, v in node.kwargs))), default=0)


@pytest.mark.parametrize("target", [
    "scale(" * MAX_NESTING + "a" + ",1)" * MAX_NESTING,
    "a" + "|scale(1)" * MAX_NESTING,
    "sumSeries(" * (MAX_NESTING - 2) + "a|scale(1)|scale(2)" + ")" * (MAX_NESTING - 2),
    "group(" + ",".join(["scale(" * (MAX_NESTING - 1) + "a" + ",1)" * (MAX_NESTING - 1)] * 3) + ")",
    "f(x=" * MAX_NESTING + "a" + ")" * MAX_NESTING,
])
def test_targets_at_the_limit_parse(target):
    assert depth(parse_target(target)) == MAX_NESTING


@pytest.mark.parametrize("target, column", [
    ("scale(" * (MAX_NESTING + 1) + "a" + ",1)" * (MAX_NESTING + 1), 6 * MAX_NESTING + 1),
    ("a" + "|scale(1)" * (MAX_NESTING + 1), 1 + 9 * MAX_NESTING + 2),
    ("sumSeries(" * (MAX_NESTING - 1) + "a|scale(1)|scale(2)" + ")" * (MAX_NESTING - 1), 10 * (MAX_NESTING - 1) + 12),
    ("f(x=" * (MAX_NESTING + 1) + "a" + ")" * (MAX_NESTING + 1), 4 * MAX_NESTING + 1),
    ("sum(" * 10_000 + "a" + ")" * 10_000, 4 * MAX_NESTING + 1),
    ("sum(" * 10_000, 4 * MAX_NESTING + 1),  # refused before the missing ')' is noticed
])
def test_deeper_targets_are_refused_at_the_call_past_the_limit(target, column):
    with pytest.raises(TargetSyntaxError) as err:
        parse_target(target)
    assert err.value.column == column
    assert f"more than {MAX_NESTING} levels deep (the target nesting limit)" in str(err.value)


def test_the_message_of_a_huge_target_shows_its_start_only():
    with pytest.raises(TargetSyntaxError) as err:
        parse_target("sum(" * 10_000 + "a" + ")" * 10_000)
    assert len(str(err.value)) < 500 and "(50001 characters)" in str(err.value)


@pytest.mark.parametrize("target, message", [
    ("sumSeries('abc')", "sumSeries: seriesLists must be a series list (a path or a function call), got 'abc'"),
    ("sumSeries(servers.web01.cpu, 7)", "sumSeries: seriesLists must be a series list (a path or a function call), got 7"),
    ('movingAverage("x", 5)', "movingAverage: seriesList must be a series list (a path or a function call), got 'x'"),
    ("asPercent(total=servers.*.cpu, seriesList=true)", "asPercent: seriesList must be a series list"),
    ("fallbackSeries(servers.web01.cpu, 'x')", "fallbackSeries: fallback must be a series list"),
    ("reduceSeries('x', 'sumSeries', 1, 'a')", "reduceSeries: seriesLists must be a series list"),
])
def test_a_value_where_a_series_list_belongs_names_function_and_parameter(target, message):
    with pytest.raises(QueryError, match=message.replace("(", r"\(").replace(")", r"\)")):
        run(target, ALL)


def test_the_check_comes_before_anything_is_evaluated():
    fetched = []

    class Recording(EvalContext):
        async def fetch_path(self, pattern):
            fetched.append(pattern)
            return []

    with pytest.raises(QueryError, match="divisorSeries must be a series list"):
        asyncio.run(evaluate_target("divideSeries(a.b, 'c')", Recording(store=None, start=0, end=60, now=60)))
    assert fetched == []


def test_optional_series_parameters_take_none_and_keywords():
    (r,) = run("transformNull(servers.web01.cpu, 0, None)", ALL)
    assert r.name == "transformNull(servers.web01.cpu,0)"
    (r,) = run("scale(factor=2, seriesList=servers.web01.cpu)", ALL)
    assert r.name == "scale(servers.web01.cpu,2)"
