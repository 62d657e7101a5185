"""Graphite's "Sorting" group."""

CASES = [
    "sortByMaxima(servers.*.cpu.user)",
    "sortByMinima(servers.*.cpu.system)",
    "sortByTotal(servers.*.cpu.user)",
    "sortByName(servers.*.cpu.user)",
    "sortBy(servers.*.cpu.user, 'max')",
    "sortBy(servers.*.cpu.user, 'average', true)",
]
