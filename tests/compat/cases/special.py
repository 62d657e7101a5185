"""Graphite's "Special" group: consolidateBy, constantLine, xFilesFactor, cactiStyle, changed,
cumulative, fallbackSeries, substr, randomWalk (seriesByTag is in tagged.py, events() in
events.py).

Not compared: a bad cactiStyle argument (graphite-web answers 500; golden tests in
tests/test_functions_filter_alias.py)."""

from tests.compat.cases import Case

CASES = [
    'consolidateBy(servers.web01.cpu.user, "max")',
    "constantLine(42)",
    "setXFilesFactor(servers.web01.cpu.user, 0)",
    "xFilesFactor(servers.web01.sparse, 1)",
    "xFilesFactor(servers.web01.cpu.user, 0.5)",
    Case("servers.*.cpu.system|xFilesFactor(0.25)", note='a float: given an integer, setXFilesFactor tags "0" where graphite-web tags "0.0"'),
    "cactiStyle(servers.*.cpu.user)",
    "cactiStyle(servers.*.requests.count, 'si')",
    "cactiStyle(servers.*.requests.count, 'binary', 'B')",
    "cactiStyle(servers.*.cpu.*, None, 'pct')",
    "cactiStyle(group(servers.web01.sparse, servers.db01.cpu.user))",
    "changed(servers.web01.sparse)",
    "changed(servers.*.cpu.user)",
    "changed(servers.*.requests.count)",
    "cumulative(servers.web01.cpu.user)",
    "cumulative(servers.*.requests.count)",
    "fallbackSeries(servers.nosuch.*, servers.web01.cpu.user)",
    "fallbackSeries(servers.web02.cpu.user, constantLine(1))",
    "substr(servers.web01.cpu.user, 1)",
    "substr(scale(servers.web01.cpu.user,2), 1, 3)",
    "substr(servers.*.cpu.user, -2)",
    "substr(servers.web01.cpu.user, 1, -1)",
    "substr(scale(servers.web01.cpu.user,2), 1)",
    "substr(dashed(servers.*.cpu.user), -2)",
    # randomWalk's values are random: names, tags and timestamps are compared, and the walk
    # must start at 0 and move by less than 0.5 a step
    Case("randomWalk('walk.a')", compare="shape"),
    Case("randomWalkFunction('walk;dc=a', 300)", compare="shape"),
    Case("randomWalk('w', 7)", compare="shape"),
]
