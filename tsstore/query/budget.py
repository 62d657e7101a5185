"""The render budget: the points and series one render may read and make, charged before the
arrays are built.

One Budget per render, shared by every EvalContext of it (the with_range copies a lazy function
makes included), limited by the settings max_points_per_render and max_series_per_render
(0 = no limit). Charged, each from its plan (the series matched, the range and step that will be
produced), before anything is allocated:

- the store fetch (EvalContext.fetch): the series a path or a tag query matches, then the points
  of their read plans;
- every function that makes series or points its input does not bound: the generators
  (timeFunction, sinFunction, randomWalk, identity, events, constantLine, verticalLine) and the
  re-bucketing ones, whose interval may be far smaller than the step (summarize, smartSummarize,
  hitcount). A function that evaluates its argument again over another range (timeShift, the
  moving windows' and Holt-Winters' history) is charged by those evaluations; timeStack checks
  all its copies before evaluating any of them.

A function whose result is no larger than its input (scale, alias, sumSeries...) charges nothing:
its input was charged. The sum over the render bounds what it holds, so a request past a limit is
refused (HTTP 400 naming the setting) before the memory is spent, not after.
"""
from __future__ import annotations

from tsstore.query.errors import QueryError


class Budget:
    def __init__(self, max_points: int = 0, max_series: int = 0):
        self.max_points, self.max_series = max_points, max_series
        self.points = 0  # charged so far in this render
        self.series = 0

    @classmethod
    def of(cls, settings) -> "Budget":
        """The limits of the settings; no limits without settings (tests, tools)."""
        return cls(getattr(settings, "max_points_per_render", 0) or 0, getattr(settings, "max_series_per_render", 0) or 0)

    def check(self, what: str, points: int = 0, series: int = 0) -> None:
        """Refuse (QueryError) what would take the render past a limit, charging nothing: for a
        function whose own evaluations will charge. `what` is its subject and verb ("target
        'a.*' matches"), followed in the message by the count."""
        if self.max_series and self.series + series > self.max_series:
            raise QueryError(f"{what} {series} series ({self.series + series} in this render): too many series; "
                             f"the limit is {self.max_series} series per render (setting max_series_per_render)")
        if self.max_points and self.points + points > self.max_points:
            raise QueryError(f"{what} {points} points ({self.points + points} in this render): too many points; "
                             f"the limit is {self.max_points} points per render (setting max_points_per_render)")

    def charge(self, what: str, points: int = 0, series: int = 0) -> None:
        """Check, then count: called before the series or points are made."""
        self.check(what, points, series)
        self.points += points
        self.series += series
