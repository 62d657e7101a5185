"""The write channel: how another local process (`tsstore import-whisper`) writes into the
store of the running server that holds the data dir, without weakening the data-dir lock.

The ingest process listens on a Unix socket, <data dir>/write.sock (mode 0600: only the
data dir's owner may write), and serves requests with its own store object, so the series
and slots written are found and rendered at once, by it and by its --http-workers children.
Frames: tsstore.local_socket (msgpack maps, never pickle); every request gets one reply
frame {"ok": ...} or {"error": "..."}:

* {"op": "get_series", "names": [...]} -> {"ok": {name: [rollups, aggregation, xff]}}
* {"op": "write", "series": [[name, rollups, aggregation, xff], ...],
   "slots": [[name, level, step, retention, ts bytes (int64), values bytes (float64)], ...]}
  -> {"ok": slots written}; series are created first (first creation wins, as from carbon),
  the reply comes when the store has acknowledged the slots; {"error": ..., "retry": true}
  when the store failed it (full disk, Cassandra down): the client may send it again.
* {"op": "lifecycle", "action": "stale" | "delete" | "rename", "args": {...}} -> {"ok": the
  report of tsstore.lifecycle.operations.SeriesLifecycle} or {"ok": {"refused": "why"}}: the
  HTTP processes without the pipeline and `tsstore series` delete and rename through the
  process that ingests, so it lets go of those series first.
"""
from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path

import numpy as np

from tsstore.local_socket import LocalSocketServer, frame as _frame, read_frame as _read_frame
from tsstore.model import Rollup, SeriesMeta, Slots, WriteRequest, columns_of

log = logging.getLogger(__name__)

SOCKET_NAME = "write.sock"


class ChannelError(RuntimeError):
    """The server refused a request, or the channel broke; the message says which."""


class ChannelStoreFailed(ChannelError):
    """The server took the request but its store failed it (worth trying again)."""


def socket_path(data_dir: str | os.PathLike) -> Path:
    return Path(data_dir) / SOCKET_NAME


def _meta_row(m: SeriesMeta) -> list:
    return [m.name, [[r.step, r.points] for r in m.rollups], m.aggregation, m.xff]


def _meta_of(row) -> SeriesMeta:
    name, rollups, aggregation, xff = row
    return SeriesMeta(str(name), tuple(Rollup(int(s), int(p)) for s, p in rollups), str(aggregation), float(xff))


def _request_of(row) -> WriteRequest:
    name, level, step, retention, ts, values = row
    ts = np.frombuffer(ts, np.int64)
    columns = columns_of(int(level))
    values = np.frombuffer(values, np.float64)
    if values.size != ts.size * columns:
        raise ValueError(f"{name} level {level}: {ts.size} timestamps but {values.size} values ({columns} per slot)")
    return WriteRequest(str(name), int(level), int(step), Slots(ts, values.reshape(-1, columns)), int(retention))


class WriteChannelServer(LocalSocketServer):
    """Serves the channel for `store` on <data dir>/write.sock while the server runs."""

    name = "write channel"
    too_long_hint = "import-whisper needs this server stopped (or a shorter --data-dir)"

    def __init__(self, store, data_dir: str | os.PathLike, counters=None, lifecycle=None):
        super().__init__(socket_path(data_dir))
        self.store, self.counters, self.lifecycle = store, counters, lifecycle

    def failed(self, exc: Exception) -> dict:
        """The store failed: the client retries or reports it."""
        log.warning("write channel: %s", exc)
        return {"error": f"store: {exc}", "retry": True}

    async def answer(self, request: dict):
        op = request.get("op")
        if op == "get_series":
            metas = await self.store.get_series([str(n) for n in request["names"]])
            return {name: _meta_row(m)[1:] for name, m in metas.items()}
        if op == "write":
            metas = [_meta_of(row) for row in request["series"]]
            requests = [_request_of(row) for row in request["slots"]]
            await self.store.create_series(metas)
            await self.store.write(requests)
            if self.counters is not None:
                self.counters.add("imported.slots", sum(len(r.slots) for r in requests))
            return len(requests)
        if op == "lifecycle" and self.lifecycle is not None:
            return await lifecycle_answer(self.lifecycle, request["action"], request["args"])
        raise ValueError(f"unknown op {op!r}")


async def lifecycle_answer(lifecycle, action: str, args: dict) -> dict:
    """One lifecycle call from its wire form; a refused request as {"refused": why}."""
    from tsstore.lifecycle.selection import Selection

    try:
        if action == "rename":
            return await lifecycle.rename(args["source"], args["target"], bool(args["dry_run"]), dict(args["requester"]))
        selection = Selection(tuple(args.get("globs", ())), tuple(args.get("tagged", ())), args.get("before"))
        if action == "stale":
            return await lifecycle.stale(selection, int(args["limit"]))
        if action == "delete":
            return await lifecycle.delete(selection, bool(args["dry_run"]), dict(args["requester"]))
    except ValueError as exc:  # SelectionError, GlobError, TagQueryError: the caller's to fix
        return {"refused": str(exc)}
    raise ValueError(f"unknown lifecycle action {action!r}")


class LifecycleChannel:
    """SeriesLifecycle's calls, made by the ingest process over its write channel."""

    def __init__(self, data_dir: str | os.PathLike):
        self.data_dir = data_dir

    async def _ask(self, action: str, args: dict) -> dict:
        from tsstore.lifecycle.selection import SelectionError

        client = WriteChannelClient(self.data_dir)
        await client.open()
        try:
            reply = await client._call({"op": "lifecycle", "action": action, "args": args})
        finally:
            await client.close()
        if "refused" in reply:
            raise SelectionError(reply["refused"])
        return reply

    @staticmethod
    def _selection(selection) -> dict:
        return {"globs": list(selection.globs), "tagged": list(selection.tagged), "before": selection.before}

    async def stale(self, selection, limit: int) -> dict:
        return await self._ask("stale", {**self._selection(selection), "limit": limit})

    async def delete(self, selection, dry_run: bool, requester: dict) -> dict:
        return await self._ask("delete", {**self._selection(selection), "dry_run": dry_run, "requester": requester})

    async def rename(self, source: str, target: str, dry_run: bool, requester: dict) -> dict:
        return await self._ask("rename", {"source": source, "target": target, "dry_run": dry_run, "requester": requester})


class WriteChannelClient:
    """The importer's end: the same calls as a store (get_series, create_series + write)."""

    def __init__(self, data_dir: str | os.PathLike):
        self.path = socket_path(data_dir)
        self._reader = self._writer = None

    async def open(self) -> None:
        try:
            self._reader, self._writer = await asyncio.open_unix_connection(str(self.path))
        except OSError as exc:
            raise ChannelError(f"cannot reach the running server's write channel {self.path}: {exc.strerror or exc}") from None

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    async def _call(self, request: dict):
        self._writer.write(_frame(request))
        await self._writer.drain()
        try:
            reply = await _read_frame(self._reader)
        except (asyncio.IncompleteReadError, ConnectionError) as exc:
            raise ChannelError(f"the server closed the write channel {self.path} ({exc})") from None
        if "error" in reply:
            kind = ChannelStoreFailed if reply.get("retry") else ChannelError
            raise kind(f"the server refused the write: {reply['error']}")
        return reply["ok"]

    async def get_series(self, names: list[str]) -> dict[str, SeriesMeta]:
        rows = await self._call({"op": "get_series", "names": names})
        return {name: _meta_of([name, *row]) for name, row in rows.items()}

    async def create_and_write(self, metas: list[SeriesMeta], requests: list[WriteRequest]) -> None:
        slots = [[r.name, r.level, r.step, r.retention, np.ascontiguousarray(r.slots.ts, np.int64).tobytes(),
                  np.ascontiguousarray(r.slots.values, np.float64).tobytes()] for r in requests]
        await self._call({"op": "write", "series": [_meta_row(m) for m in metas], "slots": slots})
