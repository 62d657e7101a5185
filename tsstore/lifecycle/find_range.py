"""`/metrics/find?from=`: leaving out what has no point since `from`, as graphite-web lets its
finders do (graphite-clickhouse does it by date): Grafana's template variables then list only
the hosts that still report.

A leaf is left out when its recorded last write (tsstore.store.activity) is older than from
by more than the slack the recording allows; a leaf with no record is kept (not written since
the stores began recording, or only held in memory so far). A branch is left out when every
leaf under it is. Judged over at most MAX_LEAVES series (the matched leaves; the series under
the matched branches, counted by the path index first): past that they are listed unjudged (a
find at the root of ten million series must stay cheap).
"""
from __future__ import annotations

from tsstore.index import globs
from tsstore.model import Node

MAX_LEAVES = 100_000


async def active_since(store, pattern: str, nodes: list[Node], start: int, slack: int) -> list[Node]:
    """The nodes of find(pattern) that may have a point at or after `start`."""
    bound = start - slack
    leaves = [n.path for n in nodes if n.is_leaf]
    active = set(leaves)
    if 0 < len(leaves) <= MAX_LEAVES:
        lasts = await store.last_writes(leaves)
        active = {p for p in leaves if lasts.get(p, bound) >= bound}
    branches = [n for n in nodes if n.is_branch]
    live_branches = {n.path for n in branches}
    if branches and "**" not in pattern and await _series_under(store, pattern, branches) <= MAX_LEAVES:
        under = [n.path for n in await store.find(pattern + ".**") if n.is_leaf]
        depth = len(globs.split_components(pattern))  # every node the glob matches is this deep
        lasts = await store.last_writes(under)
        live_branches = {".".join(p.split(".")[:depth]) for p in under if lasts.get(p, bound) >= bound}
    return [n for n in nodes if (n.is_leaf and n.path in active) or (n.is_branch and n.path in live_branches)]


async def _series_under(store, pattern: str, branches: list[Node]) -> int:
    """How many series are under the matched nodes, from the path index's counts when there is
    one (no paths made); without one, the branches' count stands in (judged if few)."""
    counted = await store.count_series(pattern) if hasattr(store, "count_series") else None
    return sum(n for _, n in counted) if counted is not None else len(branches)
