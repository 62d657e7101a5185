"""The render budget (tsstore/query/budget.py): one per render, shared by every context of it,
charged by the store fetch before anything is read and by the functions that make points or
series before they allocate, each refusal naming the setting."""
import asyncio

import numpy as np
import pytest

from tests.api.store_data import BASE, NOW, open_client
from tests.functions.helpers import Context, series
from tsstore.config import Settings
from tsstore.model import Rollup, SeriesMeta
from tsstore.query.budget import Budget
from tsstore.query.context import EvalContext
from tsstore.query.engine import evaluate_target, parse_targets
from tsstore.query.errors import QueryError


def test_charge_counts_and_check_does_not():
    b = Budget(max_points=100, max_series=2)
    b.charge("a makes", points=60, series=1)
    b.check("b would make", points=40, series=1)  # exactly at the limits
    assert (b.points, b.series) == (60, 1)
    with pytest.raises(QueryError, match=r"^c would make 41 points \(101 in this render\): too many points; the limit is "
                                         r"100 points per render \(setting max_points_per_render\)$"):
        b.charge("c would make", points=41)
    with pytest.raises(QueryError, match=r"^d matches 2 series \(3 in this render\): too many series; the limit is 2 "
                                         r"series per render \(setting max_series_per_render\)$"):
        b.check("d matches", series=2)
    assert (b.points, b.series) == (60, 1)  # a refused charge counts nothing


def test_zero_is_no_limit_and_no_settings_no_limits():
    Budget(0, 0).charge("x", points=10**15, series=10**9)
    assert EvalContext(store=None, start=0, end=60, now=60).budget.max_points == 0
    ctx = EvalContext(store=None, start=0, end=60, now=60, settings=Settings(max_points_per_render=5, max_series_per_render=7))
    assert (ctx.budget.max_points, ctx.budget.max_series) == (5, 7)


def test_every_context_of_a_render_shares_its_budget():
    ctx = EvalContext(store=None, start=0, end=60, now=60, settings=Settings())
    assert ctx.with_range(-60, 0).budget is ctx.budget


class NoReads:
    """A store that finds series but must not be read: the budget refuses first."""

    def __init__(self, names, rollups=(Rollup(1, 10**9),)):
        self.metas = {n: SeriesMeta(n, rollups) for n in names}
        self.reads = 0

    async def get_series(self, names):
        return {n: self.metas[n] for n in names if n in self.metas}

    async def read_many(self, *args):
        self.reads += 1
        raise AssertionError("read past the budget")


def test_a_fetch_is_charged_series_then_points_before_reading():
    store = NoReads(["a", "b"])
    ctx = EvalContext(store, 0, 86400, 86400, settings=Settings(max_series_per_render=1))
    with pytest.raises(QueryError, match=r"a read of 2 series matches 2 series \(2 in this render\): too many series"):
        asyncio.run(ctx.fetch(["a", "b"]))
    ctx = EvalContext(store, 0, 86400, 86400, settings=Settings(max_points_per_render=1000))
    with pytest.raises(QueryError, match=r"target 'a\.\*' reads 172800 points \(172800 in this render\): too many points"):
        asyncio.run(ctx.fetch(["a", "b"], "a.*"))
    assert store.reads == 0


async def test_a_tag_query_is_charged_like_a_path(tmp_path):
    c, store = await open_client(tmp_path, Settings(max_series_per_render=3))
    async with c:
        one = {"target": "seriesByTag('name=disk.used')", "from": str(BASE), "until": str(NOW)}
        assert (await c.get("/render", params=one)).status_code == 200
        resp = await c.get("/render", params={**one, "target": [one["target"]] * 2})
        assert resp.status_code == 400
        assert "target \"seriesByTag('name=disk.used')\" matches 2 series (4 in this render): too many series" in resp.text
    await store.close()


def evaluate(target, settings, start=0, end=86400, prepared=()):
    ctx = Context(store=None, start=start, end=end, now=end, settings=settings, prepared=list(prepared))
    return asyncio.run(evaluate_target(target, ctx)), ctx.budget


@pytest.mark.parametrize("target, made", [
    ("sinFunction('x', 1, 10)", 8640), ("timeFunction('x', 60)", 1440), ("randomWalk('x', 1)", 86400),
    ("identity('x')", 1440), ("events('*')", 86400), ("constantLine(1)", 3), ("threshold(1)", 3),
    ("verticalLine(100)", 1),
])
def test_generators_charge_what_they_make(target, made):
    store = type("NoEvents", (), {"events_between": staticmethod(lambda a, b: asyncio.sleep(0, []))})()
    ctx = Context(store=store, start=0, end=86400, now=86400, settings=Settings())
    result = asyncio.run(evaluate_target(target, ctx))
    assert (ctx.budget.points, ctx.budget.series) == (made, 1) == (sum(len(s.values) for s in result), len(result))
    ctx = Context(store=store, start=0, end=86400, now=86400, budget=Budget(max_points=made))
    ctx.budget.points = 1  # one point already in this render: what the generator makes does not fit
    with pytest.raises(QueryError, match=rf"(would make|makes) {made} points \({made + 1} in this render\)"):
        asyncio.run(evaluate_target(target, ctx))


X = series("x", np.arange(8640.0), start=0, step=10)  # one day at 10 s


@pytest.mark.parametrize("target, made", [
    ("summarize(x, '1s')", 86401), ("summarize(x, '1h')", 25),  # aligned buckets up to the one holding the end ("summarize(x, '1s', 'sum', true)", 86400),
    ("smartSummarize(x, '1s')", 86400), ("hitcount(x, '1s')", 86400), ("hitcount(x, '1h', true)", 25),
])
def test_rebucketing_charges_its_buckets(target, made):
    result, budget = evaluate(target, Settings(), prepared=[X])
    assert budget.points == made == sum(len(s.values) for s in result)  # the test's prepared fetch charges nothing
    with pytest.raises(QueryError, match=rf"with intervalString '1[sh]' would make {made} points.*max_points_per_render"):
        evaluate(target, Settings(max_points_per_render=made - 1), prepared=[X])


def test_timestack_checks_its_copies_and_leaves_the_charging_to_their_fetches():
    (s, *_), budget = evaluate("timeStack(sinFunction('x', 1, 10), '1h', 0, 3)", Settings())
    # shift 0 is the base's own range: generated once (engine._evaluate_shared), then two copies
    assert budget.points == 3 * 8640 and budget.series == 3
    with pytest.raises(QueryError, match=r"timeStack with 1000 shifts of 1 series would make 1000 series \(1001 in this "
                                         r"render\).*max_series_per_render"):
        evaluate("timeStack(sinFunction('x', 1, 10), '1h', 0, 1000)", Settings(max_series_per_render=1000))
    with pytest.raises(QueryError, match=r"timeStack with 3 shifts of 1 series would make 25920 points"):
        evaluate("timeStack(sinFunction('x', 1, 10), '1h', 0, 3)", Settings(max_points_per_render=30000))


def test_a_window_history_is_charged_where_it_is_made():
    _, budget = evaluate("movingAverage(sinFunction('x', 1, 10), '1d')", Settings())
    assert budget.points == 8640 + 2 * 8640  # the base range, then the history from - 1d to until
    with pytest.raises(QueryError, match=r"sinFunction over 86400000 s at a 1 s step would make 86400000 points"):
        evaluate("movingAverage(sinFunction('x', 1, 1), 86313600)", Settings(), end=86400)


@pytest.mark.parametrize("texts, message", [
    (["a"] * 4, "the request has 4 targets: the limit is 3 expressions"),
    (["a", "sumSeries(b, c)"], r"the request's targets hold more than 3 expressions \(4 up to target 2\)"),
    (["scale(a, 1)|alias('x')|sumSeries()"], r"more than 3 expressions \(4 up to target 1\)"),
])
def test_expressions_are_counted_over_all_the_targets(texts, message):
    with pytest.raises(QueryError, match=message + r".*\(setting max_expressions_per_render\)"):
        parse_targets(texts, 3)
    assert len(parse_targets(texts, 0)) == len(texts)
    assert len(parse_targets(["a", "sumSeries(b)"], 3)) == 2
