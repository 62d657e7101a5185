"""Calculate: Holt-Winters forecasts (forecast, confidence bands and area, aberration).

The Holt-Winters functions bootstrap as graphite-web does: the series argument is evaluated
again from `from - bootstrapInterval`, the model runs over all of it, and the part before
`from` is dropped (the result starts bootstrapInterval after that fetch's first point).
The model is graphite-web's: alpha = gamma = 0.1, beta = 0.0035, a season of `seasonality`.
"""
from __future__ import annotations

import asyncio
import math

import numpy as np

from tsstore.query.errors import QueryError
from tsstore.query.functions.params import SL, as_float, interval
from tsstore.query.functions.registry import Param, function
from tsstore.query.functions.results import shifted
from tsstore.query.series import TimeSeries

BOOTSTRAP = Param("bootstrapInterval", "interval", default="7d", suggestions=["7d", "30d"])
SEASONALITY = Param("seasonality", "interval", default="1d", suggestions=["1d", "7d"])
DELTA = Param("delta", "integer", default=3)
ALPHA = GAMMA = 0.1


ALPHA = GAMMA = 0.1


BETA = 0.0035


def _seconds(value, fname: str, param: str) -> int:
    seconds = interval(value, fname, param)
    if seconds < 0:
        raise QueryError(f"{fname}: {param} must not be negative, got {value!r}")
    return seconds


def _analysis(values: np.ndarray, step: int, season: int, fname: str) -> tuple[np.ndarray, np.ndarray]:
    """(predictions, deviations) of graphite-web's Holt-Winters model; a null input point
    resets the trend, gets the prediction made before it and deviation 0."""
    season_len = season // step
    if season_len < 2 and not np.isnan(values).all():
        raise QueryError(f"{fname}: seasonality must be at least two steps of the series ({2 * step}s), got {season}s")
    # Each point needs the previous point's intercept and slope and the values one season
    # back: a recurrence, computed point by point in graphite-web's order of operations.
    intercepts: list = []
    slopes: list = []
    seasonals: list = []
    predictions: list = []
    deviations: list = []
    next_pred = None
    for i, actual in enumerate(values.tolist()):
        if actual != actual:
            intercepts.append(None)
            slopes.append(0)
            seasonals.append(0)
            predictions.append(next_pred)
            deviations.append(0)
            next_pred = None
            continue
        if i == 0:
            last_intercept, last_slope, prediction = actual, 0, actual
        else:
            last_intercept, last_slope = intercepts[-1], slopes[-1]
            if last_intercept is None:
                last_intercept = actual
            prediction = next_pred
        back = i - season_len
        last_seasonal = seasonals[back] if back >= 0 else 0
        next_last_seasonal = seasonals[back + 1] if back + 1 >= 0 else 0
        last_dev = deviations[back] if back >= 0 else 0
        intercept = ALPHA * (actual - last_seasonal) + (1 - ALPHA) * (last_intercept + last_slope)
        slope = BETA * (intercept - last_intercept) + (1 - BETA) * last_slope
        seasonal = GAMMA * (actual - intercept) + (1 - GAMMA) * last_seasonal
        next_pred = intercept + slope + next_last_seasonal
        deviation = GAMMA * math.fabs(actual - (0 if prediction is None else prediction)) + (1 - GAMMA) * last_dev
        intercepts.append(intercept)
        slopes.append(slope)
        seasonals.append(seasonal)
        predictions.append(prediction)
        deviations.append(deviation)
    return np.array(predictions, dtype=np.float64), np.array(deviations, dtype=np.float64)


async def _bootstrapped(ctx, expr, bootstrapInterval, seasonality, fname: str):
    """[(series over [from - bootstrap, until), predictions, deviations)], bootstrap seconds."""
    preview = _seconds(bootstrapInterval, fname, "bootstrapInterval")
    season = _seconds(seasonality, fname, "seasonality")
    hist = await ctx.with_range(ctx.start - preview, ctx.end).evaluate(expr)
    return [(s, *_analysis(s.values, s.step, season, fname)) for s in hist], preview


def _hw_tags(s: TimeSeries, *names: str) -> dict:
    """graphite-web's model writes its tags into the input's tag dict, which every result
    then shares: the forecast and deviation tags ride along with every band."""
    tags = dict(s.tags)
    for n in ("holtWintersForecast", "holtWintersDeviation", *names):
        tags[n] = "1"
    return tags


@function("Calculate", [SL, BOOTSTRAP, SEASONALITY], lazy=True)
async def holtWintersForecast(ctx, seriesList, bootstrapInterval="7d", seasonality="1d"):
    """Holt-Winters forecast of each series, bootstrapped on `bootstrapInterval` of data
    before `from`, with a season of `seasonality`."""
    runs, preview = await _bootstrapped(ctx, seriesList, bootstrapInterval, seasonality, "holtWintersForecast")
    out = []
    for s, pred, _dev in runs:
        name = f"holtWintersForecast({s.name})"
        out.append(shifted(s, name, pred[preview // s.step:], s.start + preview, _hw_tags(s)))
    return out


async def _bands(ctx, expr, delta, bootstrapInterval, seasonality, fname: str) -> list[tuple[TimeSeries, np.ndarray]]:
    """[(band, every value of the band)] as lower, upper per series; the band series holds
    only what graphite-web renders of it."""
    d = as_float(delta, fname, "delta")
    runs, preview = await _bootstrapped(ctx, expr, bootstrapInterval, seasonality, fname)
    out = []
    for s, pred, dev in runs:
        wp = preview // s.step
        forecast, deviation = pred[wp:], dev[wp:]
        tags = _hw_tags(s, "holtWintersConfidenceUpper", "holtWintersConfidenceLower")
        scaled = d * deviation
        for label, values in (("Lower", forecast - scaled), ("Upper", forecast + scaled)):
            # a band keeps the input's pathExpression (what an enclosing function names it by)
            out.append((shifted(s, f"holtWintersConfidence{label}({s.name})", values, s.start + preview, dict(tags),
                                path_expression=s.path_expression), values))
    return out


@function("Calculate", [SL, DELTA, BOOTSTRAP, SEASONALITY], lazy=True)
async def holtWintersConfidenceBands(ctx, seriesList, delta=3, bootstrapInterval="7d", seasonality="1d"):
    """Lower and upper bands around the Holt-Winters forecast, `delta` times the predicted
    deviation away from it."""
    return [b for b, _ in await _bands(ctx, seriesList, delta, bootstrapInterval, seasonality, "holtWintersConfidenceBands")]


@function("Calculate", [SL, DELTA, BOOTSTRAP, SEASONALITY], lazy=True)
async def holtWintersConfidenceArea(ctx, seriesList, delta=3, bootstrapInterval="7d", seasonality="1d"):
    """The area between the Holt-Winters confidence bands of one series: the lower and
    upper band, both named holtWintersConfidenceArea(<path>), drawn stacked with the lower
    one invisible (as areaBetween)."""
    bands = [b for b, _ in await _bands(ctx, seriesList, delta, bootstrapInterval, seasonality, "holtWintersConfidenceArea")]
    if len(bands) != 2:
        raise QueryError(f"holtWintersConfidenceArea: seriesList must be exactly one series, got {len(bands) // 2}")
    lower, upper = bands
    name = f"holtWintersConfidenceArea({upper.path_expression})"
    tags = dict(upper.tags, holtWintersConfidenceArea="1")
    for band in bands:
        band.name = band.path_expression = name
        band.tags = dict(tags)
        band.options["stacked"] = True
    lower.options["invisible"] = True
    return bands


@function("Calculate", [SL, DELTA, BOOTSTRAP, SEASONALITY], lazy=True)
async def holtWintersAberration(ctx, seriesList, delta=3, bootstrapInterval="7d", seasonality="1d"):
    """How far each point lies outside its Holt-Winters confidence bands (value - upper
    band above it, value - lower band below it, 0 inside or where null)."""
    base, bands = await asyncio.gather(
        ctx.evaluate(seriesList), _bands(ctx, seriesList, delta, bootstrapInterval, seasonality, "holtWintersAberration"))
    by_name = {b.name: values for b, values in bands}
    out = []
    for s in base:
        n = len(s.values)

        def band(kind: str) -> np.ndarray:
            # bands are matched point by point, as graphite-web does; a band too short (its
            # step differs) or missing counts as no band
            vals = np.full(n, np.nan)
            got = by_name.get(f"holtWintersConfidence{kind}({s.name})")
            if got is not None:
                vals[: min(n, len(got))] = got[:n]
            return vals

        lower, upper = band("Lower"), band("Upper")
        v = s.values
        with np.errstate(invalid="ignore"):
            ab = np.where(v > upper, v - upper, np.where(v < lower, v - lower, 0.0))
        name = f"holtWintersAberration({s.name})"
        r = s.copy(name=name, path_expression=name, values=np.where(np.isnan(v), 0.0, ab))
        r.tags["holtWintersAberration"] = "1"
        out.append(r)
    return out
