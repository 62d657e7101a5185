"""Helpers shared by the render functions: step normalisation, aggregation, names, nodes."""
from __future__ import annotations

import math
import re
from functools import reduce

import numpy as np

from tsstore.query.errors import QueryError
from tsstore.query.series import TimeSeries


def fmt_g(x) -> str:
    """Python's %g, as graphite-web prints factors in names (scale(x,2), offset(x,-1.5))."""
    return "%g" % x


def path_expressions(series: list[TimeSeries]) -> str:
    """graphite-web's formatPathExpressions: unique pathExpressions in order of appearance,
    joined by ','."""
    return ",".join(dict.fromkeys(s.path_expression for s in series))


def flatten(series_lists) -> list[TimeSeries]:
    out: list[TimeSeries] = []
    for item in series_lists:
        if isinstance(item, TimeSeries):
            out.append(item)
        else:
            out.extend(item)
    return out


def normalize(series_lists) -> tuple[list[TimeSeries], int, int, int]:
    """Bring series to the least common multiple of their steps (each consolidated with its
    own function), start at the earliest start, end trimmed to whole steps. Copies: the
    inputs are never changed."""
    series = flatten(series_lists)
    if not series:
        return [], 0, 0, 1
    step = reduce(math.lcm, (s.step for s in series))
    out = []
    for s in series:
        vpp = step // s.step
        if vpp > 1:
            from tsstore.query.series import consolidate

            out.append(s.copy(values=consolidate(s.values, vpp, s.consolidation_func, s.xfiles_factor), step=step))
        else:
            out.append(s)
    start = min(s.start for s in out)
    end = max(s.end for s in out)
    end -= (end - start) % step
    return out, start, end, step


def stack(series: list[TimeSeries]) -> np.ndarray:
    """Values of normalised series as rows of one matrix, shorter rows padded with nulls
    (graphite-web combines by position, zip_longest)."""
    width = max((len(s.values) for s in series), default=0)
    m = np.full((len(series), width), np.nan)
    for i, s in enumerate(series):
        m[i, : len(s.values)] = s.values
    return m


def _nan_median(m):
    return np.nanmedian(m, axis=0)


def aggregate_columns(m: np.ndarray, func: str, xff: float = 0.0) -> np.ndarray:
    """Aggregate a (series x points) matrix column by column with graphite's null rules:
    a column of nulls is null (count: null too); nulls are skipped otherwise."""
    known = ~np.isnan(m)
    count = known.sum(axis=0)
    n = m.shape[0]
    with np.errstate(invalid="ignore", divide="ignore"):
        if func in ("sum", "total"):
            out = np.nansum(m, axis=0)
        elif func in ("average", "avg"):
            out = np.nansum(m, axis=0) / count
        elif func == "avg_zero":
            out = np.nansum(m, axis=0) / n
        elif func == "max":
            out = np.max(np.where(known, m, -np.inf), axis=0)
        elif func == "min":
            out = np.min(np.where(known, m, np.inf), axis=0)
        elif func == "median":
            out = _nan_median(m) if m.size else np.zeros(m.shape[1])
        elif func == "count":
            out = count.astype(float)
        elif func in ("range", "rangeOf"):
            out = np.max(np.where(known, m, -np.inf), axis=0) - np.min(np.where(known, m, np.inf), axis=0)
        elif func == "multiply":  # graphite-web multiplies complete columns only: a null makes null
            out = np.where(known.all(axis=0), np.prod(np.where(known, m, 1.0), axis=0), np.nan)
        elif func == "diff":
            first_idx = np.argmax(known, axis=0)
            first = m[first_idx, np.arange(m.shape[1])]
            out = first - (np.nansum(m, axis=0) - first)
        elif func == "stddev":
            mean = np.nansum(m, axis=0) / count
            out = np.sqrt(np.nansum((m - mean) ** 2, axis=0) / count)
        elif func in ("last", "current"):
            idx = m.shape[0] - 1 - np.argmax(known[::-1], axis=0)
            out = m[idx, np.arange(m.shape[1])]
        elif func == "first":
            out = m[np.argmax(known, axis=0), np.arange(m.shape[1])]
        else:
            raise QueryError(f"unsupported aggregation function {func!r}")
    ok = (count > 0) & (count / max(n, 1) >= (xff or 0.0))
    return np.where(ok, out, np.nan)


def series_stat(values: np.ndarray, func: str) -> float:
    """One number for a whole series (highest/lowest/sortBy/...); nan when all null."""
    known = values[~np.isnan(values)]
    if not len(known):
        return math.nan
    if func in ("average", "avg"):
        return float(known.mean())
    if func == "avg_zero":
        return float(np.nansum(values) / len(values))
    if func in ("sum", "total"):
        return float(known.sum())
    if func == "max":
        return float(known.max())
    if func == "min":
        return float(known.min())
    if func in ("last", "current"):
        return float(known[-1])
    if func == "first":
        return float(known[0])
    if func == "median":
        return float(np.median(known))
    if func == "count":
        return float(len(known))
    if func in ("range", "rangeOf"):
        return float(known.max() - known.min())
    if func == "multiply":
        return float(np.prod(known))
    if func == "diff":
        return float(known[0] - known[1:].sum())
    if func == "stddev":
        return float(known.std())
    raise QueryError(f"unsupported aggregation function {func!r}")


def combined_tags(series: list[TimeSeries], name: str, func: str) -> dict:
    """Aggregates keep the tags all inputs share, name the result when names differ, and
    add aggregatedBy."""
    if not series:
        return {"name": name, "aggregatedBy": func}
    common = dict(series[0].tags)
    for s in series[1:]:
        common = {k: v for k, v in common.items() if s.tags.get(k) == v}
    if "name" not in common:
        common["name"] = name
    common["aggregatedBy"] = func
    return common


def aggregate_series(series_lists, func: str, name: str | None = None, xff=None) -> list[TimeSeries]:
    series, start, end, step = normalize(series_lists)
    if not series:
        return []
    label = func  # graphite-web names and tags by the function as asked: aggregate(x, 'avg') is avgSeries
    name = name or f"{label}Series({path_expressions(series)})"
    xff = series[0].xfiles_factor if xff is None else xff
    values = aggregate_columns(stack(series), func, xff)
    tags = combined_tags(series, name, label)
    return [TimeSeries(name, start, start + len(values) * step if len(values) else end, step, values, name, tags, xfiles_factor=xff)]


_INNER_PATH = re.compile(r"(?:.*\()?(?P<name>[-\w*.:#$@;=~]+)(?:,|\)?.*)?")


def metric_path(name: str) -> str:
    """The path inside a function-wrapped name: 'scale(a.b.c,2)' -> 'a.b.c'."""
    m = _INNER_PATH.match(name)
    return m.group("name") if m else name


def node_value(series: TimeSeries, node) -> str:
    """aliasByNode/groupByNode: an int picks a node of the path (negative from the end); a
    string picks a tag."""
    if isinstance(node, str) and not node.lstrip("-").isdigit():
        return series.tags.get(node, "")
    parts = metric_path(series.name).split(";")[0].split(".")
    idx = int(node)
    try:
        return parts[idx]
    except IndexError:
        raise QueryError(f"node {idx} is out of range for {series.name!r} ({len(parts)} nodes)") from None


def agg_func_name(func, fname: str = "aggregate") -> str:
    """An aggregation name as graphite-web's aggregate() takes it ('sumSeries' means 'sum');
    anything else is a QueryError naming the function."""
    from tsstore.query.functions.registry import AGG_FUNCS

    short = func[:-6] if isinstance(func, str) and func.endswith("Series") else func
    if short not in AGG_FUNCS:
        raise QueryError(f"{fname}: func must be one of {', '.join(AGG_FUNCS)}, got {func!r}")
    return short


def as_int(value, func: str, param: str) -> int:
    try:
        if isinstance(value, bool):
            raise ValueError
        return int(value)
    except (TypeError, ValueError):
        raise QueryError(f"{func}: {param} must be an integer, got {value!r}") from None


def as_float(value, func: str, param: str) -> float:
    try:
        if isinstance(value, bool):
            raise ValueError
        return float(value)
    except (TypeError, ValueError):
        raise QueryError(f"{func}: {param} must be a number, got {value!r}") from None


def interval(value, func: str, param: str, default_sign: int = 1) -> int:
    from tsstore.query.attime import AtTimeError, parse_interval

    try:
        seconds = parse_interval(str(value), default_sign)
    except AtTimeError as exc:
        raise QueryError(f"{func}: {param} {value!r} is not an interval like '5min' or '1h': {exc}") from None
    return seconds


def series_list(value, func: str, param: str = "seriesList") -> list[TimeSeries]:
    if isinstance(value, list) and all(isinstance(s, TimeSeries) for s in value):
        return value
    raise QueryError(f"{func}: {param} must be a series list, got {value!r}")
