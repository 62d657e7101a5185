"""Transform: series generated from the time alone (timeFunction, sinFunction)."""
from __future__ import annotations

import math

import numpy as np

from tsstore.query.errors import QueryError
from tsstore.query.functions.naming import tags_of_name
from tsstore.query.functions.params import as_float, as_int
from tsstore.query.functions.registry import Param, function
from tsstore.query.series import TimeSeries


def _generated(ctx, func: str, name, step, values_of) -> list[TimeSeries]:
    if not isinstance(name, str):
        raise QueryError(f"{func}: name must be a string, got {name!r}")
    if isinstance(step, float) and not step.is_integer():
        raise QueryError(f"{func}: step must be an integer, got {step!r}")
    st = as_int(step, func, "step")
    if st <= 0:
        raise QueryError(f"{func}: step must be a positive number of seconds, got {step!r}")
    count = max(0, math.ceil((ctx.end - ctx.start) / st))
    ctx.budget.charge(f"{func} over {ctx.end - ctx.start} s at a {st} s step would make", points=count, series=1)
    t = (ctx.start + np.arange(count, dtype=np.int64) * st).astype(np.float64)
    return [TimeSeries(name, ctx.start, ctx.end, st, values_of(t), name, tags_of_name(name))]


@function("Transform", [Param("name", "string", required=True), Param("step", "integer", default=60)],
          name="timeFunction", aliases=("time",))
def timeFunction(ctx, name, step=60):
    """A series named `name` whose value at each time is that time (epoch seconds),
    every `step` seconds from the start of the range."""
    return _generated(ctx, "timeFunction", name, step, lambda t: t)


@function("Transform", [Param("name", "string", required=True), Param("amplitude", "integer", default=1),
                        Param("step", "integer", default=60)], name="sinFunction", aliases=("sin",))
def sinFunction(ctx, name, amplitude=1, step=60):
    """A series named `name`: the sine of the time (epoch seconds) times `amplitude`,
    every `step` seconds from the start of the range."""
    amp = as_float(amplitude, "sinFunction", "amplitude")
    return _generated(ctx, "sinFunction", name, step, lambda t: np.sin(t) * amp)
