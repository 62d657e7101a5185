"""Calculate: lines drawn from each series (aggregateLine, nPercentile, linearRegression) or
from the time (identity)."""
from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import numpy as np

from tsstore.query.aggregation import percentile, series_value
from tsstore.query.attime import UTC, AtTimeError, parse_time
from tsstore.query.errors import QueryError
from tsstore.query.functions.naming import fmt_g, parsed_tags
from tsstore.query.functions.params import SL, agg_func, as_float
from tsstore.query.functions.registry import Param, function
from tsstore.query.series import TimeSeries


@function("Calculate", [SL, Param("func", "aggFunc", default="average"), Param("keepStep", "boolean", default=False)])
def aggregateLine(ctx, seriesList, func="average", keepStep=False):
    """A horizontal line at `func` of each series (a three-point line across the range, or
    one value per point of the series with keepStep)."""
    agg_func(func, "aggregateLine")
    out = []
    for s in seriesList:
        value = series_value(s.values, func)
        name = f"aggregateLine({s.name}, {'None' if value is None else fmt_g(value)})"
        v = np.nan if value is None else float(value)
        if keepStep:
            out.append(s.copy(name=name, path_expression=name, values=np.full(len(s.values), v)))
        else:
            # graphite-web draws constantLine(value) renamed: its name tag stays str(value)
            step = max(1, (ctx.end - ctx.start) // 2)
            out.append(TimeSeries(name, ctx.start, ctx.start + 3 * step, step, np.full(3, v), name, {"name": str(value)}))
    return out


@function("Calculate", [SL, Param("n", "float", required=True)])
def nPercentile(ctx, seriesList, n):
    """A horizontal line at the n-th percentile of each series (series without values are
    left out)."""
    pct = as_float(n, "nPercentile", "n")
    if not 0 < pct <= 100:
        raise QueryError(f"nPercentile: n must be greater than 0 and at most 100, got {n!r}")
    out = []
    for s in seriesList:
        ordered = np.sort(s.values[~np.isnan(s.values)])
        if not len(ordered):
            continue
        name = f"nPercentile({s.name}, {fmt_g(pct)})"
        count = max(0, int((s.end - s.start) / s.step))
        r = s.copy(name=name, path_expression=name, values=np.full(count, percentile(ordered, pct)),
                   end=s.start + count * s.step)
        r.tags["nPercentile"] = str(pct)  # graphite-web validates n to a float: 95 -> "95.0"
        out.append(r)
    return out


def _regression(values: np.ndarray, start: int, step: int):
    """(factor, offset) of the least-squares line value = factor * timestamp + offset, or
    None with fewer than two values; sums are added in order, as graphite-web's."""
    known = ~np.isnan(values)
    idx = np.flatnonzero(known)
    v = values[known]
    n = len(v)
    if not n:
        return None
    sum_i, sum_ii = int(idx.sum()), int((idx * idx).sum())
    sum_v = float(np.add.accumulate(v)[-1])
    sum_iv = float(np.add.accumulate(idx.astype(np.float64) * v)[-1])
    denominator = float(n * sum_ii - sum_i * sum_i)
    if denominator == 0:
        return None
    factor = (n * sum_iv - sum_i * sum_v) / denominator / step
    offset = (sum_ii * sum_v - sum_iv * sum_i) / denominator - factor * start
    return factor, offset


@function("Calculate", [SL, Param("startSourceAt", "date"), Param("endSourceAt", "date")], lazy=True)
async def linearRegression(ctx, seriesList, startSourceAt=None, endSourceAt=None):
    """The least-squares line through each series' points between startSourceAt and
    endSourceAt (default: from and until), drawn over the requested range."""
    now = datetime.fromtimestamp(ctx.now, timezone.utc)

    def when(value, default: int, param: str) -> int:
        if value is None:
            return default
        try:
            return parse_time(value, now, ctx.tz or UTC)
        except AtTimeError as exc:
            raise QueryError(f"linearRegression: {param} {value!r} is not a time: {exc}") from None

    src_start = when(startSourceAt, ctx.start, "startSourceAt")
    src_end = when(endSourceAt, ctx.end, "endSourceAt")
    if src_start > src_end:
        raise QueryError(f"linearRegression: startSourceAt ({src_start}) must not be after endSourceAt ({src_end})")
    if src_start == src_end:  # an empty source range: nothing to fit, as graphite-web
        return []
    if (src_start, src_end) == (ctx.start, ctx.end):
        base = await ctx.evaluate(seriesList)
        sources = base
    else:
        base, sources = await asyncio.gather(ctx.evaluate(seriesList),
                                             ctx.with_range(src_start, src_end).evaluate(seriesList))
    out = []
    for source, s in zip(sources, base):  # paired by position, as graphite-web does
        fit = _regression(source.values, source.start, source.step)
        if fit is None:
            continue
        factor, offset = fit
        name = f"linearRegression({s.name}, {src_start}, {src_end})"
        values = offset + (s.start + np.arange(len(s.values)) * s.step) * factor
        r = s.copy(name=name, path_expression=name, values=values)
        r.tags["linearRegressions"] = f"{src_start}, {src_end}"
        out.append(r)
    return out


@function("Calculate", [Param("name", "string", required=True)])
def identity(ctx, name):
    """A series named `name` whose value at each minute is its own timestamp."""
    label = str(name)
    ctx.budget.charge(f"identity over {ctx.end - ctx.start} s (a point per minute) would make",
                      points=len(range(ctx.start, ctx.end, 60)), series=1)
    values = np.arange(ctx.start, ctx.end, 60, dtype=np.float64)
    tags = parsed_tags(label)  # not a valid tagged name: graphite-web keeps the name alone
    return [TimeSeries(label, ctx.start, ctx.start + len(values) * 60, 60, values, f'identity("{label}")', tags)]
