"""Evaluate a parsed target against the store.

Plain path globs are found in the path tree, fetched and returned sorted by path. A call
looks its function up in the registry; nested targets among its arguments are evaluated
first (graphite-web evaluates them eagerly) unless the function is lazy.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from typing import Any

from tsstore.query import grammar, template
from tsstore.query.errors import QueryError
from tsstore.query.fetch import fetch_series
from tsstore.query.functions import registry
from tsstore.query.series import TimeSeries
from tsstore.store.base import Store


@dataclass
class EvalContext:
    store: Store
    start: int
    end: int
    now: int
    tz: Any = None
    params: Any = None
    settings: Any = None
    series_budget: list = field(default_factory=lambda: [0])  # series fetched so far (shared by replace())
    call: Any = None  # the Call node a lazy function is evaluating (its text is graphite-web's `raw`)

    def with_range(self, start: int, end: int) -> "EvalContext":
        return replace(self, start=start, end=end)

    async def evaluate(self, node) -> list[TimeSeries]:
        return await evaluate(node, self)

    async def fetch_path(self, pattern: str) -> list[TimeSeries]:
        nodes = await self.store.find(pattern)
        names = sorted(n.path for n in nodes if n.is_leaf)
        limit = getattr(self.settings, "max_series_per_render", None)
        self.series_budget[0] += len(names)
        if limit and self.series_budget[0] > limit:
            raise QueryError(f"target {pattern!r} matches too many series: the limit is {limit} series per render (setting max_series_per_render)")
        return await fetch_series(self.store, names, self.start, self.end, self.now, pattern)


async def evaluate(node, ctx: EvalContext) -> list[TimeSeries]:
    if isinstance(node, grammar.PathExpr):
        return await ctx.fetch_path(node.text)
    if isinstance(node, grammar.Call) and node.name == "template":
        if not node.args:
            raise QueryError("template: the expression to evaluate is missing, e.g. template(servers.$host.cpu, host='web01')")
        try:
            values = template.replacements(node, template.request_values(ctx.params))
        except template.TemplateError as exc:
            raise QueryError(str(exc)) from None
        return await evaluate(template.substitute(node.args[0], values), ctx)
    if isinstance(node, grammar.Call):
        fn = registry.get(node.name)
        if fn is None:
            raise QueryError(f"Received request for unknown function: {node.name}")
        if fn.lazy:
            args, kwargs = list(node.args), dict(node.kwargs)
            ctx = replace(ctx, call=node)
        else:
            args = await asyncio.gather(*(_arg(a, ctx) for a in node.args))
            kwargs = dict(zip([k for k, _ in node.kwargs], await asyncio.gather(*(_arg(v, ctx) for _, v in node.kwargs))))
        try:
            result = fn.func(ctx, *args, **kwargs)
            if asyncio.iscoroutine(result):
                result = await result
        except TypeError as exc:
            raise QueryError(f"{node.name}: {exc}") from None
        return result
    raise QueryError(f"not a series expression: {node!r}")


async def _arg(value, ctx: EvalContext):
    if isinstance(value, (grammar.PathExpr, grammar.Call)):
        return await evaluate(value, ctx)
    return value


async def evaluate_target(text: str, ctx: EvalContext) -> list[TimeSeries]:
    try:
        node = grammar.parse_target(text)
    except grammar.TargetSyntaxError as exc:
        raise QueryError(str(exc)) from None
    return await evaluate(node, ctx)
