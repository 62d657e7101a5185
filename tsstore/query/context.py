"""The evaluation context every render function receives.

It carries the request (range, now, time zone, parameters, settings) and the callables a
function needs to get more series: `evaluate` (another expression, through the evaluator the
engine installs: carbonapi's habit, so no function imports the engine), `fetch_path` (a path
glob), `fetch` (series by name) and `lookup` (a render function by name). The store is needed
only as a type here.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Awaitable, Callable

from tsstore.index.globs import GlobError
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
    series_budget: list = field(default_factory=lambda: [0])  # series fetched so far (shared by replace())
    call: Any = None  # the Call node a lazy function is evaluating (its text is graphite-web's `raw`)
    evaluator: Callable[[Any, "EvalContext"], Awaitable[list[TimeSeries]]] | None = None  # set by the engine
    functions: Callable[[str], "RenderFunction | None"] | None = None  # set by the engine

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
        names = sorted(n.path for n in nodes if n.is_leaf)
        limit = getattr(self.settings, "max_series_per_render", None)
        self.series_budget[0] += len(names)
        if limit and self.series_budget[0] > limit:
            raise QueryError(f"target {pattern!r} matches too many series: the limit is {limit} series per render (setting max_series_per_render)")
        return await self.fetch(names, pattern)

    async def fetch(self, names: list[str], path_expression: str | None = None) -> list[TimeSeries]:
        """The named series over this range, in that order (pathExpression as given)."""
        return await fetch_series(self.store, names, self.start, self.end, self.now, path_expression)
