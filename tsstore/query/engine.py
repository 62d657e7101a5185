"""Evaluate a parsed target against the store.

Plain path globs are found in the path tree, fetched and returned sorted by path. A call
looks its function up in the registry; nested targets among its arguments are evaluated
first (graphite-web evaluates them eagerly) unless the function is lazy. The context
(tsstore/query/context.py) gets this evaluator and the function lookup, so functions reach
the engine only through it.
"""
from __future__ import annotations

import asyncio
from dataclasses import replace

from tsstore.query import grammar, template
from tsstore.query.context import EvalContext
from tsstore.query.errors import QueryError
from tsstore.query.functions import loader
from tsstore.query.series import TimeSeries

__all__ = ["evaluate", "evaluate_target", "parse_targets"]


def parse_targets(texts: list[str], max_expressions: int = 0) -> list:
    """The ASTs of one request's targets, refused (QueryError) past max_expressions function
    calls and paths over all of them (setting max_expressions_per_render, 0 = no limit): each is
    evaluated on its own, so their number costs time and memory before any budget is reached.
    A target is at least one expression, so too many targets are refused before any is parsed."""
    what = "expressions (function calls and paths, a target at least one) per render (setting max_expressions_per_render)"
    if max_expressions and len(texts) > max_expressions:
        raise QueryError(f"the request has {len(texts)} targets: the limit is {max_expressions} {what}")
    nodes, total = [], 0
    for i, text in enumerate(texts):
        try:
            nodes.append(grammar.parse_target(text))
        except grammar.TargetSyntaxError as exc:
            raise QueryError(str(exc)) from None
        total += grammar.count_expressions(nodes[-1])
        if max_expressions and total > max_expressions:
            raise QueryError(f"the request's targets hold more than {max_expressions} expressions "
                             f"({total} up to target {i + 1}): the limit is {max_expressions} {what}")
    return nodes


async def evaluate(node, ctx: EvalContext) -> list[TimeSeries]:
    if ctx.evaluator is None or ctx.functions is None:
        ctx = replace(ctx, evaluator=ctx.evaluator or _evaluate_shared, functions=ctx.functions or loader.get)
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
        return await _call(node, ctx)
    raise QueryError(f"not a series expression: {node!r}")


async def _evaluate_shared(node, ctx: EvalContext) -> list[TimeSeries]:
    """What a lazy function's ctx.evaluate runs: one evaluation per (expression, range) in a
    render, however often and however concurrently it is asked for (timeShift evaluates its
    argument over two ranges, so nested ones would double the work at every level), each
    caller getting its own copy of the result."""
    key = (id(node), ctx.start, ctx.end, ctx.now)
    task = ctx.memo.get(key)
    if task is None:
        task = ctx.memo[key] = asyncio.ensure_future(evaluate(node, ctx))
    return _copied(await asyncio.shield(task))


def _copied(result):
    return [_copied(s) if isinstance(s, list) else s.copy() if isinstance(s, TimeSeries) else s for s in result]


async def _call(node, ctx: EvalContext) -> list[TimeSeries]:
    fn = loader.get(node.name)
    if fn is None:
        raise QueryError(f"Received request for unknown function: {node.name}")
    _check_series_arguments(fn, node.args, dict(node.kwargs))
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


SERIES_TYPES = ("seriesList", "seriesLists", "series")


def _check_series_arguments(fn, args, kwargs: dict) -> None:
    """A string or number where the function declares a series list is the client's error,
    named with the function and the parameter (the function itself would fail on it with an
    AttributeError). Checked on the AST, before anything is evaluated: a series argument must
    be a path or a call; an optional one may be None."""
    for param, value in fn.bound(args, kwargs):
        if param.type in SERIES_TYPES and not isinstance(value, (grammar.PathExpr, grammar.Call)) \
                and not (value is None and not param.required):
            raise QueryError(f"{fn.name}: {param.name} must be a series list (a path or a function call), got {value!r}")


async def _arg(value, ctx: EvalContext):
    if isinstance(value, (grammar.PathExpr, grammar.Call)):
        return await evaluate(value, ctx)
    return value


async def evaluate_target(text: str, ctx: EvalContext) -> list[TimeSeries]:
    (node,) = parse_targets([text])
    return await evaluate(node, ctx)
