"""Transform: nulls filled or marked (keepLastValue, transformNull, interpolate, isNonNull)."""
from __future__ import annotations

import math

import numpy as np

from tsstore.query.functions.naming import fmt_g
from tsstore.query.functions.params import SL, as_float, as_int
from tsstore.query.functions.registry import Param, function
from tsstore.query.functions.results import derived
from tsstore.query.functions.transform.arithmetic import elementwise


@function("Transform", [SL, Param("limit", "intOrInf", default=math.inf)])
def keepLastValue(ctx, seriesList, limit=math.inf):
    """Fills runs of nulls with the last value seen, for runs up to `limit` points long."""
    lim = math.inf if limit is None else float(limit)
    out = []
    for s in seriesList:
        v = s.values.copy()
        nan = np.isnan(v)
        i, n = 0, len(v)
        while i < n:
            if not nan[i]:
                i += 1
                continue
            j = i
            while j < n and nan[j]:
                j += 1
            if i > 0 and j - i <= lim:  # a leading run has nothing to keep
                v[i:j] = v[i - 1]
            i = j
        out.append(derived(s, f"keepLastValue({s.name})", v))
    return out


@function("Transform", [SL, Param("default", "float", default=0), Param("referenceSeries", "seriesList")])
def transformNull(ctx, seriesList, default=None, referenceSeries=None):
    """Replaces nulls with a constant (only where referenceSeries has a value, if given)."""
    d = 0.0 if default is None else as_float(default, "transformNull", "default")
    # the tag holds the value graphite-web's function got: a given one validated to a float
    # ("0.0"), else its Python default, the int 0 ("0")
    tag = 0 if default is None else d
    defaults = None
    if referenceSeries:
        # graphite-web pairs the values point by point (izip_longest) with the reference's
        width = max(len(r.values) for r in referenceSeries)
        known = np.zeros(width, bool)
        for r in referenceSeries:
            known[: len(r.values)] |= ~np.isnan(r.values)
        defaults = np.where(known, d, np.nan)
    out = []
    for s in seriesList:
        if defaults is not None and len(defaults):  # no reference points at all: every null is replaced
            n = max(len(s.values), len(defaults))
            v, fill = np.full(n, np.nan), np.full(n, np.nan)
            v[: len(s.values)], fill[: len(defaults)] = s.values, defaults
            v = np.where(np.isnan(v), fill, v)
            # graphite-web writes them back with series.extend(values); del series[:len(values)]:
            # a reference longer than the series leaves its last len(series) paired values
            v = v[len(v) - len(s.values):]
        else:
            v = np.where(np.isnan(s.values), d, s.values)
        if referenceSeries:
            out.append(derived(s, f"transformNull({s.name},{fmt_g(d)},referenceSeries)", v, transformNull=tag,
                               referenceSeries=1))
        else:
            out.append(derived(s, f"transformNull({s.name},{fmt_g(d)})", v, transformNull=tag))
    return out


isNonNull = elementwise("isNonNull", lambda v: (~np.isnan(v)).astype(float), "1 where there is a value, 0 where null.",
                         tag=lambda: 1, keep_nulls=False)


def _limit(value, func: str) -> float:
    if value is None:
        return math.inf
    if isinstance(value, float) and math.isinf(value):
        return value
    return float(as_int(value, func, "limit"))


@function("Transform", [SL, Param("limit", "intOrInf", default=math.inf)])
def interpolate(ctx, seriesList, limit=math.inf):
    """Fills runs of nulls between two values with a straight line, for runs up to
    `limit` points long (leading and trailing nulls stay null)."""
    lim = _limit(limit, "interpolate")
    out = []
    for s in seriesList:
        v = s.values
        n = len(v)
        known = ~np.isnan(v)
        idx = np.arange(n)
        prev = np.maximum.accumulate(np.where(known, idx, -1))  # last value at or before i
        nxt = np.minimum.accumulate(np.where(known, idx, n)[::-1])[::-1]  # next value at or after i
        run = nxt - prev - 1  # length of the run of nulls i is in
        fill = ~known & (prev >= 0) & (nxt < n) & (run <= lim)
        r = v.copy()
        if fill.any():
            p, q, i = prev[fill], nxt[fill], idx[fill]
            # graphite-web's arithmetic order: prev + k * (next - prev) / (run + 1)
            r[fill] = v[p] + (i - p).astype(np.float64) * (v[q] - v[p]) / (run[fill] + 1)
        out.append(derived(s, f"interpolate({s.name})", r))
    return out
