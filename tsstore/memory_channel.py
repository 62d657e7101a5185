"""The memory channel: how the other HTTP processes (`--http-workers` children, a `tsstore
api` on the same data dir) read what the ingest process holds in memory and has not yet
flushed, so every process answers with every acknowledged point (tsstore.store.with_memory
merges the answer into reads).

The ingest process listens on <data dir>/memory.sock (mode 0600). Frames:
tsstore.local_socket. Requests, each answered {"ok": ...} or {"error": "..."}:
- {"names": [...], "levels": [[level, step], ...] (one per name), "start": s, "end": e}:
  [[name, ts bytes (int64), values bytes (float64), columns], ...] for the series it holds
  something of;
- {"pending_after": cursor, "epoch": e}: {"names": newline-joined, "cursor": c, "epoch": e}, the
  untagged series it created that its store does not have yet (a store that creates behind,
  tsstore.store.creation_behind), queued after `cursor` (0 when `epoch` is not this
  process's): the other processes' path indexes find them before the store lists them;
- {"metas": [...]}: [[name, rollups text, aggregation, xFilesFactor], ...] of those still
  pending, for their reads.

A process that cannot reach the channel (no ingest process on this data dir: an api node of
a Cassandra cluster on another host) reads the store alone, tries again at most once a
second, and logs when it changes.
"""
from __future__ import annotations

import asyncio
import logging
import os
import time
from pathlib import Path

import numpy as np

from tsstore.local_socket import LocalSocketServer, frame, read_frame
from tsstore.model import SeriesMeta, Slots
from tsstore.store.base import rollups_of_text, rollups_text

log = logging.getLogger(__name__)

SOCKET_NAME = "memory.sock"
NAMES_PER_TURN = 2000  # the server yields to the carbon listeners between as many series
RECONNECT_SECONDS = 1.0
PENDING_PER_ANSWER = 100_000  # names of pending series in one answer (a few MB)


def socket_path(data_dir: str | os.PathLike) -> Path:
    return Path(data_dir) / SOCKET_NAME


class MemoryChannelServer(LocalSocketServer):
    """Serves `recent_slots` (IngestPipeline.recent_slots), `pending` (the store's
    CreationBehind, None when it creates series at once) and `known_metas`
    (IngestPipeline.known_metas) on <data dir>/memory.sock."""

    name = "memory channel"
    too_long_hint = "the other HTTP processes show points once they are flushed (use a shorter --data-dir)"

    def __init__(self, recent_slots, data_dir: str | os.PathLike, pending=None, known_metas=None):
        super().__init__(socket_path(data_dir))
        self.recent_slots, self.pending, self.known_metas = recent_slots, pending, known_metas
        self.epoch = os.urandom(8).hex()  # a cursor from another ingest process counts from 0 here

    async def answer(self, request: dict):
        if "pending_after" in request:
            tagged = request.get("tagged", False)
            if not isinstance(tagged, bool):
                raise ValueError(f"tagged: {tagged!r} is not true or false")
            return self._pending_after(int(request["pending_after"]), request.get("epoch"), tagged)
        if "metas" in request:
            names = [str(n) for n in request["metas"]]  # read first: garbage is refused whether or not anything is pending
            found = self.pending.pending_metas(names) if self.pending is not None else {}
            if self.known_metas is not None:
                found.update(self.known_metas([n for n in names if n not in found]))
            return [[m.name, rollups_text(m.rollups), m.aggregation, m.xff] for m in found.values()]
        names = [str(n) for n in request["names"]]
        levels = request["levels"]
        if len(levels) != len(names):
            raise ValueError(f"{len(names)} names but {len(levels)} levels")
        start, end = int(request["start"]), int(request["end"])
        rows = []
        for lo in range(0, len(names), NAMES_PER_TURN):
            part = names[lo : lo + NAMES_PER_TURN]
            level_of = {n: (int(lv[0]), int(lv[1])) for n, lv in zip(part, levels[lo : lo + NAMES_PER_TURN])}
            for name, slots in self.recent_slots(part, level_of, start, end).items():
                rows.append([name, np.ascontiguousarray(slots.ts, np.int64).tobytes(),
                             np.ascontiguousarray(slots.values, np.float64).tobytes(), slots.values.shape[1]])
            if lo + NAMES_PER_TURN < len(names):
                await asyncio.sleep(0)
        return rows

    def _pending_after(self, cursor: int, epoch, tagged: bool) -> dict:
        """The pending series' names after the cursor: the tagged ones (for a tag index) or
        the others (for a path index)."""
        if self.pending is None:
            return {"names": "", "cursor": 0, "epoch": self.epoch}
        names, cursor = self.pending.pending_after(cursor if epoch == self.epoch else 0, PENDING_PER_ANSWER)
        return {"names": "\n".join(name for name in names if (";" in name) == tagged), "cursor": cursor,
                "epoch": self.epoch}


class _Connection:
    def __init__(self):
        self.reader = self.writer = None
        self.lock = asyncio.Lock()


class MemoryChannelClient:
    """A MemorySource (tsstore.store.with_memory) over the channel; one connection per event
    loop (the API's request threads each run one)."""

    def __init__(self, data_dir: str | os.PathLike):
        self.path = socket_path(data_dir)
        self._connections: dict[int, _Connection] = {}
        self._retry_at = 0.0
        self.reachable: bool | None = None  # None: not tried yet
        # pending_names' position (cursor, epoch), one per kind of name: tagged or not
        self._pending_at: dict[bool, tuple[int, str | None]] = {False: (0, None), True: (0, None)}

    def _note(self, reachable: bool, detail: str = "") -> None:
        if reachable != self.reachable:
            if reachable:
                log.info("memory channel %s: reads include the ingest process's unflushed points", self.path)
            else:
                log.info("memory channel %s unreachable (%s): reads show what the store has, until it answers",
                         self.path, detail)
        self.reachable = reachable

    async def __call__(self, names: list[str], level_of: dict, start: int, end: int) -> dict[str, Slots]:
        reply = await self._ask({"names": names, "levels": [list(level_of[n]) for n in names], "start": int(start),
                                 "end": int(end)})
        if reply is None:
            return {}
        return {str(name): Slots(np.frombuffer(ts, np.int64), np.frombuffer(vals, np.float64).reshape(-1, int(cols)))
                for name, ts, vals, cols in reply}

    async def pending_names(self, tagged: bool = False) -> str:
        """The names (newline-joined) of the series the ingest process created and its store
        does not have yet, since the last call of the same kind: untagged ones for this
        process's path index, tagged ones for its tag index (one caller each)."""
        cursor, epoch = self._pending_at[tagged]
        reply = await self._ask({"pending_after": cursor, "epoch": epoch, "tagged": tagged})
        if reply is None:
            return ""
        self._pending_at[tagged] = (int(reply["cursor"]), reply["epoch"])
        return reply["names"]

    async def pending_tagged_names(self) -> str:
        """pending_names of tagged series."""
        return await self.pending_names(tagged=True)

    async def ingest_metas(self, names: list[str]) -> dict[str, SeriesMeta]:
        """The metadata of those of `names` the ingest process knows: the series it applies
        points of, and those it created that its store does not have yet."""
        reply = await self._ask({"metas": names})
        return {name: SeriesMeta(name, rollups_of_text(rollups), aggregation, float(xff))
                for name, rollups, aggregation, xff in reply or ()}

    async def _ask(self, request: dict):
        """The answer's "ok" part; None when there is no answer (no ingest process, or it refused)."""
        conn = self._connections.setdefault(id(asyncio.get_running_loop()), _Connection())
        async with conn.lock:
            if conn.writer is None:
                if time.monotonic() < self._retry_at:
                    return None
                try:
                    conn.reader, conn.writer = await asyncio.open_unix_connection(str(self.path))
                except OSError as exc:
                    self._retry_at = time.monotonic() + RECONNECT_SECONDS
                    self._note(False, exc.strerror or str(exc))
                    return None
            try:
                conn.writer.write(frame(request))
                await conn.writer.drain()
                reply = await read_frame(conn.reader)
            except (asyncio.IncompleteReadError, ConnectionError, ValueError) as exc:
                conn.writer.close()
                conn.reader = conn.writer = None
                self._retry_at = time.monotonic() + RECONNECT_SECONDS
                self._note(False, f"the ingest process closed it: {exc}")
                return None
        if "error" in reply:  # the store's answer still stands
            log.warning("memory channel %s refused a request: %s", self.path, reply["error"])
            return None
        self._note(True)
        return reply["ok"]
