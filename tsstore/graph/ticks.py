"""The y axis: its bottom, top, step and labelled values, chosen as graphite-web chooses them.

A linear axis takes the data's range (or yMin/yMax/yLimit), then the step from 1-2-5 x 10^n
(powers of two for the binary unit system) with a number of divisions from yDivisors (4, 5, 6)
that leaves the least empty space beyond the data; the ends are rounded out to multiples of
the step unless the user fixed them. A log axis runs between whole powers of the base.
Labels print values with the unit system's prefixes (k, M, ... or Ki, Mi, ...).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from tsstore.graph.options import GraphParameterError
from tsstore.query.functions.naming import UNIT_SYSTEMS

EPSILON = 0.0001  # values this fraction of a step outside a limit still count as inside
DEFAULT_DIVISORS = (4, 5, 6)


def _finite(value: float, what: str) -> float:
    if not math.isfinite(value):
        raise GraphParameterError(f"the {what} is not finite: {value}")
    return value


def _delta(x: float) -> float:
    """How far to put the other end of an axis whose one end is x (graphite-web's choice)."""
    return 1.0 if abs(x) < 1e-9 else 0.1 * abs(x)


@dataclass
class Axis:
    """One y axis. Built by axis(); bottom, top, step and values are its results."""

    low: float
    high: float
    unit_system: str = "si"
    low_fixed: bool = False  # yMin given
    high_source: str = "data"  # data, max (yMax), limit (yLimit below the data), extremum (yMax=max)
    limit: float | None = None  # yLimit above the data: the rounded top may not pass it
    log_base: float | None = None
    step: float | None = None
    bottom: float = 0.0
    top: float = 1.0
    values: list[float] = field(default_factory=list)

    @property
    def span(self) -> float:
        return self.top - self.bottom

    def apply_settings(self, y_min=None, y_max=None, y_limit=None) -> None:
        if y_min is not None:
            self.low_fixed, self.low = True, _finite(float(y_min), "yMin")
        if y_max == "max":
            self.high_source = "extremum"
        elif y_max is not None:
            self.high_source, self.high = "max", _finite(float(y_max), "yMax")
        if y_limit is not None and y_limit < self.high:
            self.high_source, self.high = "limit", float(y_limit)
        elif y_limit is not None and math.isfinite(y_limit):
            self.limit = float(y_limit)
        self._reconcile()

    def _reconcile(self) -> None:
        if self.low < self.high:
            return
        high_fixed = self.high_source in ("max", "limit")
        if self.low_fixed and high_fixed:
            what = "yMax" if self.high_source == "max" else "yLimit"
            raise GraphParameterError(f"yMin must be less than {what} ({self.low:g} >= {self.high:g})")
        if self.low_fixed:
            self.high = self.low + _delta(self.low)
        elif high_fixed:
            self.low = self.high - _delta(self.high)
        else:
            d = _delta(max(abs(self.low), abs(self.high)))
            mid = (self.low + self.high) / 2.0
            self.low, self.high = mid - d, mid + d

    # -- linear steps
    @staticmethod
    def _candidates(min_step: float, binary: bool):
        """Nice steps >= min_step, increasing."""
        base, mantissas = (2.0, (1.0,)) if binary else (10.0, (1.0, 2.0, 5.0))
        exponent = math.floor(math.log(min_step, base) - EPSILON)
        while True:
            for m in mantissas:
                value = m * base ** exponent
                if value >= min_step * (1.0 - EPSILON):
                    yield value
            exponent += 1

    def _slop(self, step: float, divisor: int) -> float | None:
        """Empty space beyond the data with `divisor` steps of `step`; None if they fall short."""
        bottom = step * math.floor(self.low / step + EPSILON)
        top = bottom + step * divisor
        if top >= self.high - EPSILON * step:
            return max(top - self.high, self.low - bottom)
        return None

    def choose_step(self, divisors=DEFAULT_DIVISORS, binary: bool = False) -> None:
        if self.log_base:
            return
        if self.low == self.high:  # only after a flat series: widen around it
            if self.low == 0.0:
                self.high = 1.0
            elif self.low < 0.0:
                self.low, self.high = self.low * 1.1, self.high * 0.9
            else:
                self.low, self.high = self.low * 0.9, self.high * 1.1
        variance = self.high - self.low
        best = None
        for step in self._candidates(variance / max(divisors), binary):
            if best is not None and step * min(divisors) >= 2 * best[0] + variance:
                break
            for d in divisors:
                slop = self._slop(step, d)
                if slop is not None and (best is None or slop < best[0]):
                    best = (slop, step)
        self.step = best[1]

    def set_step(self, step: float) -> None:
        if not self.log_base:
            self.step = float(step)

    def choose_limits(self) -> None:
        if self.log_base:
            if self.low <= 0:
                raise GraphParameterError("logBase needs data above zero (the smallest value drawn is "
                                          f"{self.low:g})")
            self.bottom = self.log_base ** math.floor(math.log(self.low, self.log_base))
            self.top = self.log_base ** math.ceil(math.log(self.high, self.log_base))
            if self.top == self.bottom:
                self.top *= self.log_base
            return
        step = self.step
        self.bottom = step * math.floor(self.low / step + EPSILON) if not self.low_fixed else self.low
        if self.high_source == "data":
            self.top = step * math.ceil(self.high / step - EPSILON)
            if self.limit is not None and self.top > self.limit + EPSILON * step:
                self.top = self.limit
        else:
            self.top = self.high
        if self.top == self.bottom:
            self.top += 1

    def label_values(self) -> list[float]:
        if self.log_base:
            out = []
            value = self.log_base ** math.ceil(math.log(self.bottom, self.log_base) - EPSILON)
            while value < self.top * (1.0 + EPSILON):
                out.append(value)
                value *= self.log_base
            return out
        if self.span > 1000.0 * self.step:  # a yStep far too small for the range: choose one
            self.choose_step()
        start = self.step * math.ceil(self.bottom / self.step - EPSILON)
        count = int(math.floor((self.top + EPSILON * self.step - start) / self.step)) + 1
        return [start + i * self.step for i in range(max(count, 0))]

    def label(self, value: float) -> str:
        """The text of the label at `value`: prefixed units, and as many decimals as the span
        between the labels needs."""
        number, prefix = scale_units(value, self.step, self.unit_system)
        span, span_prefix = scale_units(self.span, self.step, self.unit_system)
        prefix = prefix + " " if prefix else ""
        if number < 0.1:
            return "%g %s" % (number, prefix)
        if number < 1.0:
            return "%.2f %s" % (number, prefix)
        # graphite-web compares the bare span prefix with the spaced one, so a label with a
        # prefix always takes one decimal, as does any label of a span over 10
        if span > 10 or span_prefix != prefix:
            return "%.1f %s" % (number, prefix)
        if span > 3:
            return "%.1f %s" % (number, prefix)
        if span > 0.1:
            return "%.2f %s" % (number, prefix)
        return "%g %s" % (number, prefix)


def scale_units(v: float, step: float | None, system: str) -> tuple[float, str]:
    """v in the largest unit of `system` that both v and the step reach (a step of 0.5 M keeps
    labels in k, so 1.5 M is not written 1 M)."""
    for prefix, size in UNIT_SYSTEMS[system]:
        if abs(v) >= size and (step is None or step >= size):
            scaled = v / size
            if scaled - math.floor(scaled) < 1e-11 and v > 1:
                scaled = float(math.floor(scaled))
            return scaled, prefix
    if v - math.floor(v) < 1e-11 and v > 1:
        v = float(math.floor(v))
    return v, ""


def axis(low: float, high: float, opts: dict, side: str = "") -> Axis:
    """The axis for data from `low` to `high` with the request's settings; side "" for a graph
    with one axis, "Left" or "Right" for one of two (yMinLeft, yStepRight, ...)."""
    a = Axis(_finite(low, "smallest value"), _finite(high, "largest value"), opts.get("yUnitSystem", "si"),
             log_base=opts.get("logBase"))
    _finite(high - low, "span of the values (largest - smallest)")
    a.apply_settings(opts.get("yMin" + side), opts.get("yMax" + side), opts.get("yLimit" + side))
    if "yStep" + side in opts:
        a.set_step(opts["yStep" + side])
    else:
        a.choose_step(opts.get("yDivisors", DEFAULT_DIVISORS), opts.get("yUnitSystem") == "binary")
    a.choose_limits()
    return a
