"""Graphite's "Alias" group: alias, aliasByNode/Metric, aliasSub, aliasQuery, legendValue
(aliasByTags is in tagged.py).

Not compared (golden tests in tests/test_functions_filter_alias.py): upper/lower (graphite-web 1.1
has no such functions), and a bad legendValue or aliasQuery argument (graphite-web answers 500)."""

CASES = [
    "alias(servers.web01.cpu.user, 'cpu')",
    "servers.web01.cpu.user | scale(3) | alias('piped')",
    "aliasByNode(servers.*.cpu.user, 1)",
    "aliasByNode(servers.*.cpu.user, 1, -1)",
    "aliasByMetric(servers.web01.cpu.*)",
    'aliasSub(servers.*.cpu.user, "(^.*$)", "\\1 A")',
    "aliasSub(servers.*.cpu.user, 'web(\\d+)', 'host\\1')",
    r"aliasQuery(servers.web0*.cpu.user, 'servers\.(\w+)\.cpu\.user', 'servers.\1.cpu.system', 'sys %d')",
    "aliasQuery(servers.*.cpu.user, 'user', 'system', 'sys %s')",
    "aliasQuery(servers.*.cpu.user, 'cpu.user', 'requests.count', '%.1f reqs')",
    "legendValue(servers.*.cpu.user, 'avg')",
    "legendValue(servers.*.cpu.user, 'avg', 'max', 'last', 'total')",
    "legendValue(servers.*.cpu.*, 'min', 'median', 'count', 'stddev', 'diff', 'range', 'multiply', 'avg_zero')",
    "legendValue(servers.*.requests.count, 'avg', 'total', 'si')",
    "legendValue(servers.*.requests.count, 'nosuch', 'max', 'binary')",
    "legendValue(servers.*.requests.count, 'multiply', 'sum')",
    "legendValue(servers.web01.sparse, 'current', 'rangeOf')",
]
