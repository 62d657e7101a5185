"""Transform: derivatives and integrals, with counter wraps (derivative, nonNegativeDerivative,
perSecond, integral, integralByInterval)."""
from __future__ import annotations

import math

import numpy as np

from tsstore.query.errors import QueryError
from tsstore.query.functions.params import SL, interval
from tsstore.query.functions.registry import Param, function
from tsstore.query.functions.results import derived


@function("Transform", [SL])
def derivative(ctx, seriesList):
    """The change from the previous point (null next to a null)."""
    out = []
    for s in seriesList:
        v = np.full(len(s.values), np.nan)
        v[1:] = s.values[1:] - s.values[:-1]
        out.append(derived(s, f"derivative({s.name})", v, derivative=1))
    return out


def _non_negative_deltas(values: np.ndarray, max_value, min_value) -> np.ndarray:
    out = np.full(len(values), np.nan)
    prev = math.nan
    for i, val in enumerate(values.tolist()):
        if (max_value is not None and val > max_value) or (min_value is not None and val < min_value):
            prev = math.nan
            continue
        if math.isnan(prev) or math.isnan(val):
            prev = val
            continue
        if val >= prev:
            out[i] = val - prev
        elif max_value is not None:
            out[i] = max_value + 1 + val - prev - (min_value or 0)
        elif min_value is not None:
            out[i] = val - min_value
        prev = val
    return out


@function("Transform", [SL, Param("maxValue", "float"), Param("minValue", "float")])
def nonNegativeDerivative(ctx, seriesList, maxValue=None, minValue=None):
    """The change from the previous point; a drop (counter reset or wrap) gives null, or
    the wrapped difference when maxValue is given."""
    return [derived(s, f"nonNegativeDerivative({s.name})", _non_negative_deltas(s.values, maxValue, minValue),
                     nonNegativeDerivative=1) for s in seriesList]


@function("Transform", [SL, Param("maxValue", "float"), Param("minValue", "float")])
def perSecond(ctx, seriesList, maxValue=None, minValue=None):
    """Rate per second of a counter: the non-negative change divided by the step."""
    return [derived(s, f"perSecond({s.name})", _non_negative_deltas(s.values, maxValue, minValue) / s.step,
                     perSecond=1) for s in seriesList]


@function("Transform", [SL])
def integral(ctx, seriesList):
    """Running total of the values (nulls stay null and add nothing)."""
    out = []
    for s in seriesList:
        v = np.cumsum(np.nan_to_num(s.values, nan=0.0))
        v[np.isnan(s.values)] = np.nan
        out.append(derived(s, f"integral({s.name})", v, integral=1))
    return out


@function("Transform", [SL, Param("intervalUnit", "string", required=True)])
def integralByInterval(ctx, seriesList, intervalUnit):
    """Running total that restarts at 0 every `intervalUnit`, counted from the start of
    the range; a null adds nothing (the total so far is repeated)."""
    if not isinstance(intervalUnit, str):
        raise QueryError(f"integralByInterval: intervalUnit must be an interval string like '1d', got {intervalUnit!r}")
    width = abs(interval(intervalUnit, "integralByInterval", "intervalUnit"))
    if width == 0:
        raise QueryError(f"integralByInterval: intervalUnit must not be 0, got {intervalUnit!r}")
    out = []
    for s in seriesList:
        n = len(s.values)
        t = s.timestamps - ctx.start
        reset = (t // width) != ((t - s.step) // width)
        reset[:1] = True  # the first point starts from 0 either way
        seg = np.cumsum(reset) - 1
        seg_start = np.flatnonzero(reset)
        pos = np.arange(n) - seg_start[seg]
        # one row per interval, cumulative sums along rows: sequential as graphite-web adds
        m = np.zeros((len(seg_start), int(pos.max()) + 1 if n else 0))
        m[seg, pos] = np.nan_to_num(s.values, nan=0.0)
        values = np.cumsum(m, axis=1)[seg, pos] if n else np.array([], np.float64)
        r = derived(s, f"integralByInterval({s.name},'{intervalUnit}')", values, integralByInterval=intervalUnit)
        out.append(r)
    return out
