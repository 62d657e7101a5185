"""Transform: arithmetic on every value (scale, offset, add, pow, log, exp, ...), rounding and
rescaling (round, offsetToZero, minMax)."""
from __future__ import annotations

import builtins
import math

import numpy as np

from tsstore.query.errors import QueryError
from tsstore.query.functions.naming import fmt_g
from tsstore.query.functions.params import SL, as_float, as_int
from tsstore.query.functions.registry import Param, function
from tsstore.query.functions.results import derived
from tsstore.query.series import TimeSeries


@function("Transform", [SL, Param("factor", "float", required=True)])
def scale(ctx, seriesList, factor):
    """Multiplies every value by a constant."""
    f = as_float(factor, "scale", "factor")
    return [derived(s, f"scale({s.name},{fmt_g(f)})", s.values * f, scale=f) for s in seriesList]


@function("Transform", [SL, Param("factor", "float", required=True)])
def offset(ctx, seriesList, factor):
    """Adds a constant to every value."""
    f = as_float(factor, "offset", "factor")
    return [derived(s, f"offset({s.name},{fmt_g(f)})", s.values + f, offset=f) for s in seriesList]


@function("Transform", [SL, Param("seconds", "float", required=True)])
def scaleToSeconds(ctx, seriesList, seconds):
    """Scales per-step values to per-`seconds` values (value * seconds / step)."""
    secs = as_float(seconds, "scaleToSeconds", "seconds")
    return [derived(s, f"scaleToSeconds({s.name},{int(secs)})", s.values * (secs / s.step), scaleToSeconds=secs)
            for s in seriesList]


@function("Transform", [SL, Param("constant", "float", required=True)])
def add(ctx, seriesList, constant):
    """Adds a constant to every value (the name shows it truncated to an integer)."""
    c = as_float(constant, "add", "constant")
    if not math.isfinite(c):
        raise QueryError(f"add: constant must be a finite number, got {constant!r}")
    out = []
    for s in seriesList:
        name = "add(%s,%d)" % (s.name, c)  # graphite-web prints the constant with %d
        out.append(derived(s, name, s.values + c, add=c))
    return out


@function("Transform", [SL])
def absolute(ctx, seriesList):
    """The absolute value of every point."""
    return [derived(s, f"absolute({s.name})", np.abs(s.values), absolute=1) for s in seriesList]


def elementwise(name: str, fn, doc: str, params=(), tag=True, fmt=None, keep_nulls=True):
    """Register a function that maps every value on its own (nulls stay null)."""
    @function("Transform", [SL, *params], name=name)
    def mapped(ctx, seriesList, *args, **kwargs):
        args = list(args)
        for param in params[len(args):]:  # keywords by their /functions names: log(x, base=2)
            if param.name not in kwargs:
                break
            args.append(kwargs.pop(param.name))
        if kwargs:
            raise TypeError(f"{name}() got an unexpected keyword argument {next(iter(kwargs))!r}")
        out = []
        for s in seriesList:
            with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
                v = fn(s.values, *args)
            label = fmt(s, *args) if fmt else f"{name}({s.name})"
            extra = {name: tag(*args)} if callable(tag) else ({name: args[0] if args else 1} if tag else {})
            out.append(derived(s, label, v if keep_nulls is False else np.where(np.isnan(s.values), np.nan, v), **extra))
        return out

    mapped.__doc__ = doc
    return mapped


def _safe_log(values, base=10):
    b = as_float(base, "log", "base")
    return np.where(values > 0, np.log(np.where(values > 0, values, 1.0)) / np.log(b), np.nan)


invert = elementwise("invert", lambda v: np.where(v == 0, np.nan, 1.0 / np.where(v == 0, 1.0, v)), "1/value (null for 0).",
                      tag=True)


squareRoot = elementwise("squareRoot", lambda v: np.where(v >= 0, np.sqrt(np.abs(v)), np.nan), "Square root (null below 0).")
log = elementwise("log", _safe_log, "Logarithm in base `base` (default 10); null for values <= 0.",
                   params=(Param("base", "integer", default=10),), fmt=lambda s, base=10: f"log({s.name}, {base})",
                   tag=lambda base=10: base)


pow = elementwise("pow", lambda v, f: np.power(v, as_float(f, "pow", "factor")), "Every value raised to a power.",
                   params=(Param("factor", "float", required=True),), fmt=lambda s, f: f"pow({s.name},{fmt_g(as_float(f, 'pow', 'factor'))})",
                 tag=lambda f: float(f))


def _map(seriesList, name_fmt, fn, **tags) -> list[TimeSeries]:
    """Apply fn to every series' values (warnings off: nulls and domain errors become nulls)."""
    out = []
    for s in seriesList:
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            v = fn(s.values)
        out.append(derived(s, name_fmt % s.name, np.where(np.isnan(s.values), np.nan, v), **tags))
    return out


@function("Transform", [SL])
def exp(ctx, seriesList):
    """e raised to the power of every value."""
    return _map(seriesList, "exp(%s)", np.exp, exp="e")


@function("Transform", [SL])
def sigmoid(ctx, seriesList):
    """1 / (1 + exp(-value)) for every value."""
    return _map(seriesList, "sigmoid(%s)", lambda v: 1 / (1 + np.exp(-v)), sigmoid="sigmoid")


@function("Transform", [SL])
def logit(ctx, seriesList):
    """log(value / (1 - value)); null outside 0 < value < 1."""
    def f(v):
        inside = (v > 0) & (v < 1)
        safe = np.where(inside, v, 0.5)
        return np.where(inside, np.log(safe / (1 - safe)), np.nan)
    return _map(seriesList, "logit(%s)", f, logit="logit")


@function("Transform", [SL])
def offsetToZero(ctx, seriesList):
    """Shifts each series so its minimum is 0."""
    out = []
    for s in seriesList:
        known = s.values[~np.isnan(s.values)]
        low = known.min() if len(known) else None  # graphite-web tags an all-null series "None"
        out.append(derived(s, f"offsetToZero({s.name})", s.values - (low or 0.0), offsetToZero=low))
    return out


@function("Transform", [SL, Param("precision", "integer", default=0)])
def round(ctx, seriesList, precision=0):  # noqa: A001 - graphite's name
    """Rounds every value to `precision` decimals."""
    p = as_int(precision or 0, "round", "precision")
    # Python's round() per value, as graphite-web: numpy rounds the binary value differently
    return [derived(s, f"round({s.name},{p})" if precision else f"round({s.name})",
                     np.array([v if v != v else builtins.round(v, p) for v in s.values.tolist()], np.float64), round=p)
            for s in seriesList]


@function("Transform", [SL])
def minMax(ctx, seriesList):
    """Scales each series to 0..1 between its minimum and maximum."""
    out = []
    for s in seriesList:
        known = s.values[~np.isnan(s.values)]
        lo, hi = (known.min(), known.max()) if len(known) else (0.0, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            v = (s.values - lo) / (hi - lo) if hi != lo else np.where(np.isnan(s.values), np.nan, 0.0)
        out.append(derived(s, f"minMax({s.name})", v))
    return out
