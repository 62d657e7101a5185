"""Graphite's "Graph" group: the styling functions (a no-op in JSON, but names and tags must
match), areaBetween, threshold and verticalLine.

verticalLine's time must fall inside the range, so each range gets its own cases: an absolute
HH:MM_YYYYMMDD (graphite-web reads a relative one against the real clock, not against `now`)
and an epoch string.

Not compared: areaBetween of other than 2 series (graphite-web answers 500; golden tests in
tests/test_functions_filter_alias.py)."""

from datetime import datetime, timezone

from tests.compat.cases import EVERY_RANGE, Case
from tests.compat.harness import NOW, RANGES

CASES = [
    "color(servers.web*.cpu.user, 'red')",
    "lineWidth(servers.web01.cpu.user, 2)",
    "dashed(servers.web01.cpu.user)",
    "alpha(servers.web01.cpu.user, 0.5)",
    "stacked(servers.web*.cpu.user)",
    "secondYAxis(servers.web01.cpu.user)",
    "drawAsInfinite(servers.web01.cpu.user)",
    "areaBetween(servers.web01.cpu.*)",
    "areaBetween(group(servers.web01.cpu.user, servers.db01.cpu.system))",
    "threshold(42)",
    "threshold(42.5, 'limit')",
    "threshold(-3, 'low', 'red')",
    # a named stack keeps the names and adds no tag; stackName is graphite-web's Python name
    "stacked(servers.web*.cpu.user, 'a')",
    "stacked(servers.web*.cpu.user, stackName='b')",
    "sumSeries(stacked(servers.web*.cpu.user, stackName='b'))",
    # dashLength is not forced to an integer by graphite-web
    "dashed(servers.web*.cpu.user, 2.5)",
    "dashed(servers.web01.cpu.user, 2.0)",
]


def _vertical_line_cases() -> list[Case]:
    """20 minutes into each range (minus the absolute range's 5 s offset), to the minute."""
    out = []
    for name in EVERY_RANGE:
        start = RANGES[name]["from"]
        at = (NOW + int(start[:-1]) * 3600 if start.startswith("-") else int(start)) + 1195
        at -= at % 60
        hhmm = datetime.fromtimestamp(at, timezone.utc).strftime("%H:%M_%Y%m%d")
        out += [Case(target, ranges=(name,)) for target in (
            f"verticalLine('{hhmm}')", f"verticalLine('{hhmm}', 'deploy')",
            f"verticalLine('{at + 7}', 'release', 'blue')", f"alias(verticalLine('{hhmm}'), 'x')")]
    return out


CASES += _vertical_line_cases()
