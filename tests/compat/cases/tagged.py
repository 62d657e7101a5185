"""Tagged series against graphite-web's own tag database (LocalDatabaseTagDB): the same tagged
series, sent with their tags in any order, must be found, named, tagged and combined the same
way by seriesByTag and the tag functions."""

CASES = [
    "seriesByTag('name=disk.used')",
    "seriesByTag('dc=dc1')",
    "seriesByTag('name=~disk.*', 'rack!=a2')",
    "seriesByTag('host=~web.*', 'name!=net.rx')",
    "seriesByTag('dc=dc2', 'role!=~prim.*')",
    "seriesByTag('name=net.tx', 'role=primary')",
    'seriesByTag("name=~^net\\\\.")',
    "seriesByTag('name=nothing')",
    "sumSeries(seriesByTag('dc=dc1'))",
    "groupByTags(seriesByTag('name=disk.used'), 'sum', 'dc')",
    "groupByTags(seriesByTag('name=~.+'), 'max', 'name', 'dc')",
    "asPercent(seriesByTag('name=disk.used'))",
    "divideSeries(seriesByTag('name=disk.used'), servers.web01.cpu.user)",
    "groupByTags(seriesByTag('dc=~dc.*'), 'sumSeries', 'dc')",
    "groupByTags(seriesByTag('dc=~dc.*'), 'countSeries', 'dc')",
    "groupByTags(seriesByTag('dc=~dc.*'), 'avg', 'name')",
    "groupByNodes(seriesByTag('name=disk.used'), 'sum', 'dc')",
    "groupByNodes(seriesByTag('name=disk.used'), 'max')",
    "groupByNode(seriesByTag('dc=~dc.*'), 'host', 'sumSeries')",
    "aliasByTags(seriesByTag('name=disk.used'), 'host', 'name')",
    "aliasByTags(seriesByTag('name=net.rx'), 1, 'dc')",
    "aliasByNode(seriesByTag('name=disk.used'), 0, 'rack')",
    "scale(seriesByTag('name=net.rx'), 2)",
    "averageSeries(seriesByTag('name=disk.used', 'dc=dc1'))",
]
