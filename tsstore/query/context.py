"""The evaluation context every render function receives.

It carries the request (range, now, time zone, parameters, settings) and the callables a
function needs to get more series: `evaluate` (another expression, through the evaluator the
engine installs: carbonapi's habit, so no function imports the engine), `fetch_path` (a path
glob), `fetch` (series by name) and `lookup` (a render function by name), and the render's
`budget` (tsstore/query/budget.py), which the fetch and every function that makes points or
series charge before allocating. The store is needed only as a type here.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Awaitable, Callable

from tsstore.index.globs import GlobError
from tsstore.query.budget import Budget
from tsstore.query.errors import QueryError
from tsstore.query.fetch import fetch_series
from tsstore.query.series import TimeSeries

if TYPE_CHECKING:
    from tsstore.query.functions.registry import RenderFunction
    from tsstore.store.base import Store


@dataclass
class EvalContext:
    store: "Store"
    start: int
    end: int
    now: int
    tz: Any = None
    params: Any = None
    settings: Any = None
    # (expression, range) -> the task evaluating it, for lazy functions' ctx.evaluate (see
    # engine._evaluate_shared; shared by replace(), like the budget)
    memo: dict = field(default_factory=dict)
    budget: Budget | None = None  # the render's (shared by replace()); from the settings when not given
    call: Any = None  # the Call node a lazy function is evaluating (its text is graphite-web's `raw`)
    evaluator: Callable[[Any, "EvalContext"], Awaitable[list[TimeSeries]]] | None = None  # set by the engine
    functions: Callable[[str], "RenderFunction | None"] | None = None  # set by the engine

    def __post_init__(self):
        if self.budget is None:
            self.budget = Budget.of(self.settings)

    def with_range(self, start: int, end: int) -> "EvalContext":
        return replace(self, start=start, end=end)

    async def evaluate(self, node) -> list[TimeSeries]:
        if self.evaluator is None:
            raise RuntimeError("EvalContext.evaluate outside an evaluation (the engine sets the evaluator)")
        return await self.evaluator(node, self)

    def lookup(self, name: str) -> "RenderFunction | None":
        if self.functions is None:
            raise RuntimeError("EvalContext.lookup outside an evaluation (the engine sets the functions)")
        return self.functions(name)

    async def fetch_path(self, pattern: str) -> list[TimeSeries]:
        try:
            nodes = await self.store.find(pattern)
        except GlobError as exc:
            raise QueryError(f"target {pattern!r}: {exc}") from None
        return await self.fetch(sorted(n.path for n in nodes if n.is_leaf), pattern)

    async def fetch(self, names: list[str], path_expression: str | None = None) -> list[TimeSeries]:
        """The named series over this range, in that order (pathExpression as given). The
        budget is charged the series, then the points of their read plans, before any is read."""
        what = f"target {path_expression!r}" if path_expression else f"a read of {len(names)} series"
        self.budget.charge(f"{what} matches", series=len(names))
        return await fetch_series(self.store, names, self.start, self.end, self.now, path_expression,
                                  before_read=lambda points: self.budget.charge(f"{what} reads", points=points))
