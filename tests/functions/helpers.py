"""Golden-test helpers for render functions: inputs are built in the test (no storage), the
target runs through the real grammar and engine, and every call checks that no function
changed its input series (as carbonapi's tests do)."""
from __future__ import annotations

import asyncio
import copy
from dataclasses import dataclass, field

import numpy as np

from tsstore.index import globs
from tsstore.query.context import EvalContext
from tsstore.query.engine import evaluate_target
from tsstore.query.series import TimeSeries

N = None  # a null, for readability in expected lists


def series(name: str, values, start: int = 0, step: int = 10, tags: dict | None = None) -> TimeSeries:
    vals = np.array([np.nan if v is None else float(v) for v in values], np.float64)
    return TimeSeries(name, start, start + len(vals) * step, step, vals, name, tags or {"name": name})


@dataclass
class Context(EvalContext):
    """Evaluation over prepared series: a path glob returns the matching ones, sorted."""

    prepared: list = field(default_factory=list)

    async def fetch_path(self, pattern: str) -> list[TimeSeries]:
        found = sorted((s for s in self.prepared if globs.match_path(pattern, s.name)), key=lambda s: s.name)
        # fresh copies per fetch, as a store read would give, with the glob as pathExpression
        return [s.copy(path_expression=pattern) for s in found if s.start < self.end and s.end > self.start]


def run(target: str, prepared: list[TimeSeries], start: int = 0, end: int | None = None) -> list[TimeSeries]:
    end = end if end is not None else max(s.end for s in prepared)
    before = copy.deepcopy([(s.name, s.values.tolist(), dict(s.tags), s.start, s.step) for s in prepared])
    result = asyncio.run(evaluate_target(target, Context(store=None, start=start, end=end, now=end, prepared=prepared)))
    after = [(s.name, s.values.tolist(), dict(s.tags), s.start, s.step) for s in prepared]
    assert _same(before, after), f"{target} changed its input series"
    return result


def _same(a, b) -> bool:
    def norm(x):
        return [(n, [None if v != v else v for v in vals], t, s, st) for n, vals, t, s, st in x]
    return norm(a) == norm(b)


def values(s: TimeSeries) -> list:
    return [None if v != v else v for v in s.values.tolist()]


# the sample series most golden tests share (inputs are never changed: run() checks it)
A = series("servers.web01.cpu", [1, 2, N, 4, 5])
B = series("servers.web02.cpu", [10, N, N, 40, 50])
C = series("servers.db01.cpu", [100, 200, 300, 400, 500])
ALL = [A, B, C]
E = series("servers.web03.cpu", [N, N, N, N, N])


def names(result) -> list[str]:
    return [s.name for s in result]


def by_name(result) -> dict:
    return {s.name: values(s) for s in result}
