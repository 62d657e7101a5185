"""Several series brought together: lists flattened, series normalised to one step and range
(graphite-web's normalize) and stacked into one matrix for the aggregation table."""
from __future__ import annotations

import math
from functools import reduce

import numpy as np

from tsstore.query.series import TimeSeries, consolidate


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


def padded(values: np.ndarray, width: int) -> np.ndarray:
    """values with nulls appended up to width."""
    if len(values) >= width:
        return values
    out = np.full(width, np.nan)
    out[: len(values)] = values
    return out
