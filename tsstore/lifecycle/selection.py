"""Which series a lifecycle request names: Graphite globs (a branch the glob matches stands
for every series under it, as `rm -r` would take a directory of whisper files), tag
expressions (as seriesByTag's arguments), or both; optionally only those not written since a
time, judged by the last write the stores record (tsstore.store.activity).

The store passed is the one queries use (tsstore.store.with_memory.StoreWithMemory): finds
go to the path index, tag expressions to the tag index.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from tsstore.index import globs
from tsstore.index.tagquery import find_series, parse_exprs

# Series one request may delete, rename or list as stale: checked before anything is done.
MAX_SERIES = 100_000


class SelectionError(ValueError):
    """A request that selects nothing it can act on, or too much; the message says why."""


@dataclass(frozen=True)
class Selection:
    globs: tuple[str, ...] = ()
    tagged: tuple[str, ...] = ()  # tag expressions, every one must hold (seriesByTag's arguments)
    before: int | None = None  # epoch seconds: only series not written since

    def check(self) -> None:
        """Refuse a bad request before the store is read."""
        if not self.globs and not self.tagged:
            raise SelectionError("name the series: a glob (query=) or tag expressions (tagged=)")
        for pattern in self.globs:
            globs.check_pattern(pattern)
        if self.tagged:
            parse_exprs(list(self.tagged))

    def describe(self) -> dict:
        return {k: v for k, v in (("globs", list(self.globs)), ("tagged", list(self.tagged)),
                                  ("before", self.before)) if v}


@dataclass
class Selected:
    names: list[str]
    last_writes: dict[str, int] = field(default_factory=dict)  # where known (a `before` was given)


async def series_under(store, pattern: str) -> list[str]:
    """The series a glob names: its leaves, and every series under the branches it matches."""
    names: set[str] = set()
    for node in await store.find(pattern):
        if node.is_leaf:
            names.add(node.path)
        if node.is_branch:
            names.update(n.path for n in await store.find(node.path + ".**") if n.is_leaf)
    return sorted(names)


async def select(store, selection: Selection, slack: int, limit: int = MAX_SERIES) -> Selected:
    """The series of a selection, sorted; SelectionError past `limit`."""
    selection.check()
    names: set[str] = set()
    for pattern in selection.globs:
        counted = await store.count_series(pattern) if hasattr(store, "count_series") else None
        if counted is not None:  # the path index's counts: refused before a path is made
            _check_limit(len(names) + sum(n for _, n in counted), limit)
        names.update(await series_under(store, pattern))
        _check_limit(len(names), limit)
    if selection.tagged:
        names.update(await find_series(store, list(selection.tagged)))
        _check_limit(len(names), limit)
    ordered = sorted(names)
    if selection.before is None:
        return Selected(ordered)
    lasts = await last_writes(store, ordered)
    stale = [n for n in ordered if lasts.get(n) is None or lasts[n] + slack < selection.before]
    # a series never written (no point stored) is stale whatever the bound
    return Selected(stale, {n: lasts[n] for n in stale if lasts.get(n) is not None})


def _check_limit(count: int, limit: int) -> None:
    if count > limit:
        raise SelectionError(f"more than {limit:,} series selected; one request acts on at most {limit:,} "
                             "(narrow the glob or the tag expressions, or repeat the request)")


async def last_writes(store, names: list[str]) -> dict[str, int | None]:
    """The last write of each series: as recorded, else (data from before the stores
    recorded it) the newest slot stored at its coarsest level; None for a series with none."""
    recorded = await store.last_writes(names)
    unknown = [n for n in names if n not in recorded]
    out: dict[str, int | None] = dict(recorded)
    if not unknown:
        return out
    metas = await store.get_series(unknown)
    now = int(time.time())
    for chunk in range(0, len(unknown), 500):
        part = [n for n in unknown[chunk : chunk + 500] if n in metas]
        by_level: dict[tuple[int, int, int], list[str]] = {}
        for n in part:
            level = len(metas[n].rollups) - 1
            rollup = metas[n].rollups[level]
            by_level.setdefault((level, rollup.step, rollup.retention), []).append(n)
        for (level, step, retention), group in by_level.items():
            read = await store.read_many(group, {n: (level, step) for n in group}, now - retention - step, now + 2 * step)
            for n in group:
                ts = read[n].ts
                out[n] = int(np.max(ts)) if len(ts) else None
    for n in unknown:
        out.setdefault(n, None)
    return out
