"""Deleting and renaming series, as one process does it: the one whose ingest pipeline holds
the series (tsstore serve; its --http-workers children and `tsstore series` ask it through
the write channel), or any process when none does (a stopped server's data dir, Cassandra
from an api node).

A deletion goes a chunk of series at a time: the pipeline writes what it holds and lets go of
them (tsstore.ingest.pipeline.IngestPipeline.forget), then the store removes points, tree,
tags and last write, and logs every name with the request (who, what, when). A series still
being sent comes back with the points sent after its deletion, as carbon re-creates a deleted
whisper file. A rename copies every level of each series to its new name, then deletes the old.
"""
from __future__ import annotations

import asyncio
import json
import logging
import time

from tsstore.index import globs
from tsstore.lifecycle.selection import MAX_SERIES, Selection, SelectionError, select, series_under
from tsstore.model import SeriesMeta, WriteRequest

log = logging.getLogger(__name__)

CHUNK = 500  # series per step: the pipeline's flush and the store's deletes
REPORT_NAMES = 1000  # names a report lists (its count is always whole)
PROGRESS_EVERY_S = 5.0


def _report(action: str, names: list[str], dry_run: bool, **extra) -> dict:
    return {"action": action, "dry_run": dry_run, "series": len(names), "names": names[:REPORT_NAMES],
            "names_cut": len(names) > REPORT_NAMES, **extra}


class SeriesLifecycle:
    """Deletes and renames on the store queries use (tsstore.store.with_memory), through
    `pipeline` when this process ingests. One at a time."""

    def __init__(self, store, pipeline=None, slack: int = 0):
        self.store, self.pipeline, self.slack = store, pipeline, slack
        self._one_at_a_time = asyncio.Lock()

    async def stale(self, selection: Selection, limit: int = MAX_SERIES) -> dict:
        """The selected series not written since selection.before, with their last writes."""
        if selection.before is None:
            raise SelectionError("say since when: before=<time> (e.g. -30d or an epoch time)")
        selected = await select(self.store, selection, self.slack, limit)
        return {"before": selection.before, "slack_seconds": self.slack, "series": len(selected.names),
                "stale": [{"name": n, "last_write": selected.last_writes.get(n)} for n in selected.names[:REPORT_NAMES]],
                "names_cut": len(selected.names) > REPORT_NAMES}

    async def delete(self, selection: Selection, dry_run: bool, requester: dict) -> dict:
        selected = await select(self.store, selection, self.slack)
        names = selected.names
        if dry_run or not names:
            return _report("delete", names, dry_run, selection=selection.describe())
        request = self._request("delete", requester, selection=selection.describe(), series=len(names))
        async with self._one_at_a_time:
            deleted = await self._delete(names, request, "delete")
        log.warning("deleted %d series (%s) for %s; first: %s", deleted, json.dumps(selection.describe()),
                    requester.get("client", "?"), ", ".join(names[:5]))
        return _report("delete", names, False, selection=selection.describe(), deleted=deleted)

    async def rename(self, source: str, target: str, dry_run: bool, requester: dict) -> dict:
        for what, path in (("from", source), ("to", target)):
            if not path or globs.has_magic(path) or ";" in path or path.startswith(".") or path.endswith("."):
                raise SelectionError(f"{what}={path!r}: give a plain dotted path (no wildcards, no tags)")
        if target == source or target.startswith(source + ".") or source.startswith(target + "."):
            raise SelectionError(f"from={source!r} and to={target!r}: one is inside the other")
        names = await series_under(self.store, source)
        if len(names) > MAX_SERIES:
            raise SelectionError(f"{len(names):,} series under {source!r}; one rename moves at most {MAX_SERIES:,}")
        new_of = {n: target + n[len(source):] for n in names}
        taken = sorted(await self.store.get_series(list(new_of.values())))
        if taken:
            raise SelectionError(f"{len(taken):,} series exist already under {target!r} (e.g. {taken[0]!r}); "
                                 "delete them first or rename to another path")
        pairs = [{"from": n, "to": new_of[n]} for n in names[:REPORT_NAMES]]
        if dry_run or not names:
            return _report("rename", names, dry_run, renames=pairs)
        request = self._request("rename", requester, source=source, target=target, series=len(names))
        async with self._one_at_a_time:
            started = last_progress = time.monotonic()
            for i in range(0, len(names), CHUNK):
                chunk = names[i : i + CHUNK]
                if self.pipeline is not None:
                    await self.pipeline.forget(chunk)  # its points in the store first, then let go
                await self._copy(chunk, new_of)
                await self.store.delete_series(chunk, request)
                last_progress = self._progress("renamed", i + len(chunk), len(names), started, last_progress)
            await self._indexes_caught_up()
        log.warning("renamed %d series from %s to %s for %s", len(names), source, target, requester.get("client", "?"))
        return _report("rename", names, False, renames=pairs, renamed=len(names))

    async def _delete(self, names: list[str], request: str, verb: str) -> int:
        deleted = 0
        started = last_progress = time.monotonic()
        for i in range(0, len(names), CHUNK):
            chunk = names[i : i + CHUNK]
            if self.pipeline is not None:
                await self.pipeline.forget(chunk)
            deleted += await self.store.delete_series(chunk, request)
            last_progress = self._progress(f"{verb}d", i + len(chunk), len(names), started, last_progress)
        await self._indexes_caught_up()
        return deleted

    async def _copy(self, names: list[str], new_of: dict[str, str]) -> None:
        """Every stored level of these series, written under their new names."""
        metas = await self.store.get_series(names)
        now = int(time.time())
        requests: list[WriteRequest] = []
        by_level: dict[tuple[int, int, int], list[str]] = {}
        for name, meta in metas.items():
            for level, rollup in enumerate(meta.rollups):
                by_level.setdefault((level, rollup.step, rollup.retention), []).append(name)
        for (level, step, retention), group in sorted(by_level.items()):
            read = await self.store.read_many(group, {n: (level, step) for n in group}, now - retention - step, now + 2 * step)
            requests.extend(WriteRequest(new_of[n], level, step, read[n], retention) for n in group if len(read[n]))
        await self.store.create_series([SeriesMeta(new_of[n], m.rollups, m.aggregation, m.xff) for n, m in metas.items()])
        await self.store.write(requests)

    async def _indexes_caught_up(self) -> None:
        """This process's indexes without the deleted series at once (the others catch up
        from the store's logs)."""
        for index in (getattr(self.store, "tree_index", None), getattr(self.store, "tag_index", None)):
            if index is not None and index.ready:
                await index.catch_up(now=True)

    @staticmethod
    def _request(action: str, requester: dict, **what) -> str:
        return json.dumps({"action": action, "at": round(time.time(), 3), **requester, **what}, sort_keys=True)

    @staticmethod
    def _progress(verb: str, done: int, total: int, started: float, last: float) -> float:
        now = time.monotonic()
        if now - last < PROGRESS_EVERY_S or done == total:
            return last
        log.info("%s %d of %d series (%.0f/s)", verb, done, total, done / max(now - started, 1e-9))
        return now
