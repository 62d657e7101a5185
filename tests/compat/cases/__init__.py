"""The /render cases compared with graphite-web, as tables: one module per Graphite function
group (as /functions groups them: combine, transform, calculate, filter_series, filter_data,
sorting, alias, graph, special) or per concern (paths, tagged, template, events).

Each module holds CASES, a list whose items are a target string (compared over every range
with every name, timestamp, value and tag equal) or a Case with options.
tests/compat/test_render.py runs every case of every table."""
from __future__ import annotations

from dataclasses import dataclass, field

EVERY_RANGE = ("last-hour", "absolute", "relative")  # names of tests.compat.harness.RANGES


@dataclass
class Case:
    target: str
    ranges: tuple[str, ...] = EVERY_RANGE
    params: dict = field(default_factory=dict)  # request parameters added to the range's
    # how the answers are compared (tests.compat.harness.COMPARE): "same" everything, "values"
    # timestamps and values only (names differ, the note says why), "shape" for random values
    compare: str = "same"
    needs: str = ""  # a fixture that must run first (e.g. "with_events" posts the events)
    note: str = ""  # why the case is there or compared the way it is


def as_case(item: str | Case) -> Case:
    return item if isinstance(item, Case) else Case(item)

