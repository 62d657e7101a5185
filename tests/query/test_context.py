"""The evaluation context and the function loader: functions reach the engine only through
the context, the loader finds every function module (subpackages too), and the query layer
loads no store code."""
import asyncio
import subprocess
import sys

import numpy as np
import pytest

from tsstore.query import grammar
from tsstore.query.context import EvalContext
from tsstore.query.engine import evaluate_target
from tsstore.query.series import TimeSeries


def fresh_python(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout


def test_a_render_function_loads_no_store_code():
    out = fresh_python(
        "import sys, tsstore.query.functions.transform.arithmetic, tsstore.query.engine\n"
        "print(sorted(m for m in sys.modules if m.startswith('tsstore.store') or m.startswith('zstandard')))")
    assert out.strip() == "[]"


def test_the_registry_loads_nothing_and_the_loader_everything():
    out = fresh_python(
        "from tsstore.query.functions import registry\n"
        "print(len(registry.REGISTRY))\n"
        "from tsstore.query.functions import loader\n"
        "fns = loader.all_functions()\n"
        "print(len(fns), fns['movingAverage'].func.__module__, fns['sumSeries'].group)")
    empty, loaded = out.splitlines()
    assert empty == "0"
    count, module, group = loaded.split()
    assert int(count) >= 150
    assert module == "tsstore.query.functions.calculate.windows" and group == "Combine"


def test_context_outside_an_evaluation_says_so():
    ctx = EvalContext(store=None, start=0, end=60, now=60)
    with pytest.raises(RuntimeError, match="evaluator"):
        asyncio.run(ctx.evaluate(grammar.PathExpr("a.b")))
    with pytest.raises(RuntimeError, match="functions"):
        ctx.lookup("sumSeries")


def test_the_engine_gives_the_context_its_evaluator_and_lookup():
    seen = {}

    class Recording(EvalContext):
        async def fetch_path(self, pattern):
            seen["lookup"] = self.lookup("sumSeries").name
            seen["nested"] = self.with_range(0, 30).evaluator is not None
            return [TimeSeries(pattern, 0, 60, 10, np.arange(6.0))]

    (s,) = asyncio.run(evaluate_target("sumSeries(a.b)", Recording(store=None, start=0, end=60, now=60)))
    assert s.name == "sumSeries(a.b)" and s.values.tolist() == [0, 1, 2, 3, 4, 5]
    assert seen == {"lookup": "sumSeries", "nested": True}
