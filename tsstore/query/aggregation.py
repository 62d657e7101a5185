"""Aggregation: one table of graphite's aggregation functions, used by every function that
aggregates (VictoriaMetrics' aggr.go is the model: name -> implementation).

`reduce(m, func, axis)` aggregates the groups of a matrix along one axis: across series (a
series x points matrix, axis 0), across a bucket (axis 1). `over_windows` aggregates every
moving window of a series, `series_value` and `series_stat` give one number for a whole series. AGG_FUNCS are the names graphite-web
offers (/functions options); the table also has `first`, for consolidateBy.

Null rules (graphite-web's safe* functions), NaN being null:
- nulls are skipped; a group without any value is null (count too);
- avg_zero divides by the group's size (nulls count as zero);
- multiply is null when any member of the group is null;
- with skip_nulls the nulls are no members at all (graphite-web's callers that drop them
  first: movingWindow, summarize): avg_zero is then the average, multiply the product of the
  values;
- with xff, a group is null when its values / `expected` (default: its size) < xff.
Sums and products are taken in order (Python's sum() in graphite-web), never numpy's pairwise
sum, so results match graphite-web's to the last bit.
"""
from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from tsstore.query.errors import QueryError

AGG_FUNCS = [
    "average", "avg", "avg_zero", "count", "current", "diff", "last", "max", "median",
    "min", "multiply", "range", "rangeOf", "stddev", "sum", "total",
]
ALIASES = {"avg": "average", "total": "sum", "current": "last", "rangeOf": "range"}


def sequential_sum(m: np.ndarray, axis: int = 0) -> np.ndarray:
    """Sums along axis added one after the other (Python's sum()); 0 for an empty axis."""
    m = np.moveaxis(np.asarray(m), axis, 0)
    if m.shape[0] == 0:
        return np.zeros(m.shape[1:])
    if m.ndim == 1 or (m.shape[0] > 1024 and m.shape[0] > m.shape[1]):
        return np.add.accumulate(m, axis=0)[-1]
    out = m[0].copy()
    for row in m[1:]:  # one vector add per member: in order, and fast when groups are many
        out += row
    return out


# Each implementation reduces axis 0 of m (members x groups); known = ~isnan(m), cnt = values
# per group, size = members per group (nulls included). Groups without values are masked later.
def _sum(m, known, cnt, size):
    return sequential_sum(np.where(known, m, 0.0))


def _average(m, known, cnt, size):
    return _sum(m, known, cnt, size) / cnt


def _avg_zero(m, known, cnt, size):
    return _sum(m, known, cnt, size) / size


def _count(m, known, cnt, size):
    return cnt.astype(np.float64)


def _min(m, known, cnt, size):
    return np.min(np.where(known, m, np.inf), axis=0) if len(m) else np.full(m.shape[1], np.nan)


def _max(m, known, cnt, size):
    return np.max(np.where(known, m, -np.inf), axis=0) if len(m) else np.full(m.shape[1], np.nan)


def _range(m, known, cnt, size):
    return _max(m, known, cnt, size) - _min(m, known, cnt, size)


def _median(m, known, cnt, size):
    if not len(m):
        return np.full(m.shape[1], np.nan)
    ordered = np.sort(m, axis=0)  # nulls sort last
    cols = np.arange(m.shape[1])
    mid = cnt // 2
    hi = ordered[np.minimum(mid, len(m) - 1), cols]
    lo = ordered[np.maximum(mid - 1, 0), cols]
    return np.where(cnt % 2 == 0, (lo + hi) / 2, hi)


def _diff(m, known, cnt, size):
    """The first value minus the others, added in order."""
    zeroed = np.where(known, m, 0.0)
    terms = -zeroed
    if len(m):
        cols = np.arange(m.shape[1])
        first = np.argmax(known, axis=0)
        terms[first, cols] = zeroed[first, cols]
    return sequential_sum(terms)


def _stddev(m, known, cnt, size):
    """Population standard deviation."""
    mean = _average(m, known, cnt, size)
    dev = m - mean
    return np.sqrt(sequential_sum(np.where(known, dev * dev, 0.0)) / cnt)


def _multiply(m, known, cnt, size):
    product = np.multiply.accumulate(np.where(known, m, 1.0), axis=0)[-1] if len(m) else np.ones(m.shape[1])
    return np.where(cnt == size, product, np.nan)


def _last(m, known, cnt, size):
    if not len(m):
        return np.full(m.shape[1], np.nan)
    return m[len(m) - 1 - np.argmax(known[::-1], axis=0), np.arange(m.shape[1])]


def _first(m, known, cnt, size):
    if not len(m):
        return np.full(m.shape[1], np.nan)
    return m[np.argmax(known, axis=0), np.arange(m.shape[1])]


TABLE = {
    "average": _average, "avg_zero": _avg_zero, "count": _count, "diff": _diff, "last": _last,
    "max": _max, "median": _median, "min": _min, "multiply": _multiply, "range": _range,
    "stddev": _stddev, "sum": _sum, "first": _first,
}


def implementation(func: str, who: str | None = None):
    """The table's implementation of a name (aliases included); QueryError for others."""
    impl = TABLE.get(ALIASES.get(func, func)) if isinstance(func, str) else None
    if impl is None:
        prefix = f"{who}: " if who else ""
        raise QueryError(f"{prefix}unsupported aggregation function {func!r} (one of {', '.join(AGG_FUNCS)})")
    return impl


def reduce(m: np.ndarray, func: str, axis: int = 0, size=None, xff: float = 0.0, expected=None,
           skip_nulls: bool = False) -> np.ndarray:
    """`func` of each group of m along axis (nulls as the module docstring says). size: the
    members of each group when m is padded with nulls (default: the axis length)."""
    impl = implementation(func)
    m = np.asarray(m, np.float64)
    if axis == 1:
        m = m.T
    known = ~np.isnan(m)
    cnt = known.sum(axis=0)
    if skip_nulls:
        size = cnt
    elif size is None:
        size = np.full(m.shape[1], m.shape[0])
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        out = impl(m, known, cnt, size)
        ok = cnt > 0
        if xff:
            ok &= cnt / (size if expected is None else expected) >= xff
    return np.where(ok, out, np.nan)


_CHUNK = 1 << 20  # window values reduced per numpy step (8 MiB of float64)


def over_windows(values: np.ndarray, points: int, func: str, xff: float = 0.0) -> np.ndarray:
    """For each index i from `points` on: `func` of the non-null values among the `points`
    values before i (graphite-web's movingWindow drops the nulls: skip_nulls), null when fewer
    than xff * points of them are non-null. The windows are strided views of the values: sums
    are added window member after member (the table's order) over the whole series at once,
    minima and maxima taken from the views, the other functions reduced in chunks so that a
    long window over a long series stays small."""
    n = len(values) - points
    if n <= 0:
        return np.empty(0)
    if points <= 0:
        return np.full(n, np.nan)
    name = ALIASES.get(func, func)
    implementation(name)
    nulls = np.isnan(values)
    counts = np.cumsum(np.concatenate(([0], ~nulls)))
    known = counts[points:points + n] - counts[:n]
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        if name in ("sum", "average", "avg_zero"):  # avg_zero of non-null values is their average
            zeroed = np.where(nulls, 0.0, values)
            out = zeroed[:n].copy()
            for k in range(1, points):
                out += zeroed[k:k + n]
            if name != "sum":
                out = out / known
        elif name == "count":
            out = known.astype(np.float64)
        elif name in ("min", "max"):
            filled = np.where(nulls, np.inf if name == "min" else -np.inf, values)
            windows = sliding_window_view(filled, points)[:n]
            out = windows.min(axis=1) if name == "min" else windows.max(axis=1)
        else:
            windows = sliding_window_view(values, points)[:n]
            out = np.empty(n)
            rows = max(1, _CHUNK // points)
            for lo in range(0, n, rows):
                out[lo:lo + rows] = reduce(windows[lo:lo + rows], name, axis=1, skip_nulls=True)
    ok = (known > 0) & (known / points >= (xff or 0.0))
    return np.where(ok, out, np.nan)


def series_value(values: np.ndarray, func: str, who: str | None = None):
    """One statistic of a whole series as graphite-web's aggregation functions give it: None
    when it has no value, except count (an int: 0) and avg_zero (nulls count as 0, so 0.0);
    multiply is None as soon as one value is null. Only AGG_FUNCS names."""
    if func not in AGG_FUNCS:
        implementation(None, who)
    values = np.asarray(values, np.float64)
    if func == "count":
        return int(np.count_nonzero(~np.isnan(values)))
    if func == "avg_zero":
        return float(sequential_sum(np.nan_to_num(values, nan=0.0)) / len(values)) if len(values) else None
    v = float(reduce(values[:, None], func)[0])
    return None if math.isnan(v) else v


def series_stat(values: np.ndarray, func: str) -> float:
    """One number for a whole series from its non-null values (highest, sortBy, summarize's
    buckets...): nan when it has none."""
    implementation(func)
    known = values[~np.isnan(values)]
    if not len(known):
        return math.nan
    if func == "avg_zero":  # the nulls count as zeros
        return series_value(values, func)
    return float(reduce(known[:, None], func)[0])


# -- percentiles -------------------------------------------------------------------------
def percentile_ranks(counts: np.ndarray, n: float) -> np.ndarray:
    """Index into each sorted sample of the n-th percentile (NIST method, no interpolation:
    rank = ceil(n/100 * (count+1)), clamped to the first and last value)."""
    fractional = (n / 100.0) * (counts + 1)
    rank = np.trunc(fractional)
    rank = (rank + np.ceil(fractional - rank)).astype(np.int64)
    return np.clip(rank - 1, 0, np.maximum(counts - 1, 0))


def percentile(values, n: float):
    """The n-th percentile of the non-null values (None when there is none)."""
    known = np.sort(np.asarray(values, np.float64))
    known = known[~np.isnan(known)]
    if not len(known):
        return None
    return float(known[percentile_ranks(np.array([len(known)]), n)[0]])
