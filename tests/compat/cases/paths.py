"""Plain paths and globs, no function: the core of /render (names, timestamps, gaps)."""

CASES = [
    "servers.web01.cpu.user",
    "servers.*.cpu.user",
    "servers.{web01,db01}.cpu.*",
    "servers.web0[12].cpu.system",
    "servers.web01.sparse",
]
