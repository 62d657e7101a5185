"""TimeSeries: what every render function takes and returns.

Values are a float64 numpy array with NaN for null; start is the first timestamp, end the
exclusive end, step the seconds between values (graphite-web's TimeSeries attributes).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from tsstore.query import aggregation


@dataclass(eq=False)
class TimeSeries:
    name: str
    start: int
    end: int
    step: int
    values: np.ndarray
    path_expression: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    consolidation_func: str = "average"
    values_per_point: int = 1
    xfiles_factor: float = 0.0
    options: dict = field(default_factory=dict)  # drawing options kept for JSON/graphs (color, stacked, ...)

    def __post_init__(self):
        if self.path_expression is None:
            self.path_expression = self.name
        if not self.tags:
            self.tags = {"name": self.name}

    def __len__(self) -> int:
        return len(self.values)

    @property
    def timestamps(self) -> np.ndarray:
        return self.start + np.arange(len(self.values), dtype=np.int64) * self.step

    def copy(self, **changes) -> "TimeSeries":
        """A new series sharing nothing mutable with this one."""
        base = dict(
            name=self.name,
            start=self.start,
            end=self.end,
            step=self.step,
            values=self.values.copy(),
            path_expression=self.path_expression,
            tags=dict(self.tags),
            consolidation_func=self.consolidation_func,
            values_per_point=self.values_per_point,
            xfiles_factor=self.xfiles_factor,
            options=dict(self.options),
        )
        base.update(changes)
        return TimeSeries(**base)

    def __repr__(self) -> str:
        return f"TimeSeries({self.name!r}, start={self.start}, end={self.end}, step={self.step}, n={len(self.values)})"


def consolidate(values: np.ndarray, vpp: int, func: str, xff: float = 0.0) -> np.ndarray:
    """Consolidate consecutive groups of vpp values (the last group may be partial).

    A bucket is null unless it holds at least one non-null value and
    non_null / group size >= xFilesFactor. avg_zero counts nulls as zero (aggregation's table;
    `first` and `last` are the first and last non-null value).
    """
    if vpp <= 1:
        return values
    n = len(values)
    groups = math.ceil(n / vpp)
    padded = np.full(groups * vpp, np.nan)
    padded[:n] = values
    block = padded.reshape(groups, vpp)
    size = np.full(groups, vpp)
    if groups and n % vpp:
        size[-1] = n % vpp
    return aggregation.reduce(block, func, axis=1, size=size, xff=xff)
