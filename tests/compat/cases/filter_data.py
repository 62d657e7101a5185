"""Graphite's "Filter Data" group: removeAbove/BelowValue and removeAbove/BelowPercentile.

Not compared: percentiles outside 0-100 (graphite-web answers 500; golden tests in
tests/test_functions_filter_alias.py)."""

CASES = [
    "removeAboveValue(servers.web01.cpu.user, 20)",
    "removeBelowValue(servers.web01.cpu.user, 20)",
    "removeAbovePercentile(servers.*.cpu.user, 90)",
    "removeAbovePercentile(servers.web01.sparse, 50)",
    "removeBelowPercentile(servers.web01.sparse, 25.5)",
    "removeBelowPercentile(servers.*.cpu.system, 50)",
]
