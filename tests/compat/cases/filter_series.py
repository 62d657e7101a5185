"""Graphite's "Filter Series" group: highest/lowest, above/below, percentiles, filterSeries,
mostDeviant, unique, useSeriesAbove, exclude/grep/limit.

Not compared (graphite-web answers 500; golden tests in tests/test_functions_filter_alias.py):
removeBetweenPercentile or useSeriesAbove over series holding a null (hence the keepLastValue()
around the counters below), percentiles outside 0-100."""

# keepLastValue() fills the counters' trailing null: graphite-web crashes on a null there
KLV_COUNTS = "keepLastValue(servers.*.requests.count)"
KLV_HOST = r"'keepLastValue\(servers\.(\w+)\.requests\.count\)'"

CASES = [
    "highestAverage(servers.*.cpu.user, 2)",
    "lowestCurrent(servers.*.cpu.user, 1)",
    "highestMax(servers.*.cpu.system, 1)",
    "currentAbove(servers.*.cpu.user, 15)",
    "maximumAbove(servers.*.cpu.user, 30)",
    "exclude(servers.*.cpu.user, 'web')",
    "grep(servers.*.cpu.user, 'web0[13]')",
    "limit(servers.*.cpu.user, 2)",
    "removeEmptySeries(servers.*.cpu.user)",
    "averageAbove(servers.*.cpu.user, 20)",
    "averageBelow(servers.*.cpu.user, 20)",
    "currentBelow(servers.*.cpu.user, 30)",
    "highest(servers.*.cpu.user, 2, 'max')",
    "highest(servers.*.cpu.user)",
    "highestCurrent(servers.*.cpu.system, 2)",
    "lowest(servers.*.cpu.user, 2, 'average')",
    "lowestAverage(servers.*.cpu.user, 2)",
    "maximumBelow(servers.*.cpu.user, 40)",
    "minimumAbove(servers.*.cpu.user, 5)",
    "minimumBelow(servers.*.cpu.user, 5)",
    "averageOutsidePercentile(servers.*.cpu.user, 30)",
    "averageOutsidePercentile(servers.*.cpu.*, 90)",
    "averageOutsidePercentile(servers.*.requests.count, 75.5)",
    "filterSeries(servers.*.cpu.user, 'max', '>', 30)",
    "filterSeries(servers.*.cpu.*, 'average', '<=', 20)",
    "filterSeries(servers.*.cpu.*, 'multiply', '!=', 20)",
    "filterSeries(servers.*.requests.count, 'last', '<', 1500)",
    "filterSeries(servers.*.cpu.system, 'count', '>=', 340)",
    "filterSeries(servers.web01.sparse, 'median', '=', 0)",
    "mostDeviant(servers.*.cpu.*, 3)",
    "mostDeviant(servers.*.requests.count, 2)",
    "mostDeviant(servers.*.cpu.user, -1)",
    f"removeBetweenPercentile({KLV_COUNTS}, 30)",
    f"removeBetweenPercentile({KLV_COUNTS}, 95)",
    f"removeBetweenPercentile({KLV_COUNTS}, 50)",
    "unique(servers.web01.cpu.*, servers.*.cpu.user)",
    "unique(mostDeviant(servers.*.cpu.*, 3), servers.*.cpu.system, servers.web01.cpu.system)",
    rf"useSeriesAbove({KLV_COUNTS}, 1700, {KLV_HOST}, 'servers.\1.cpu.user')",
    rf"useSeriesAbove({KLV_COUNTS}, 2200, {KLV_HOST}, 'scale(servers.\1.cpu.system,2)')",
    f"useSeriesAbove({KLV_COUNTS}, 1e9, 'count', 'nothing')",
]
