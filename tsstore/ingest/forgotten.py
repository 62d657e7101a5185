"""Series deleted while the WAL may still hold their points (tsstore.lifecycle deletes through
the ingest process): each with the WAL position at its deletion, so that a replay after a
restart or a crash applies none of the points it had before, and a series sent again after
its deletion starts anew.

Kept in <wal dir>/forgotten.log, one line per series: "<file_no> <offset> <name>", fsynced
before the store deletes anything. An entry is dropped at the next start once the WAL files
up to its position are gone (nothing left to replay).
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from tsstore.ingest.wal import Position

FILE_NAME = "forgotten.log"


class ForgottenSeries:
    def __init__(self, wal_dir: str | os.PathLike):
        self.path = Path(wal_dir) / FILE_NAME
        self._at: dict[str, Position] = {}  # name -> the WAL position at its deletion
        self._sid_at: dict[int, Position] = {}
        self._newest = Position(-1, 0)

    def load(self, first_kept: Position, sid_of) -> None:
        """Read the file, keep the entries the WAL can still replay points before (from
        first_kept on), map their names to series ids (sid_of(name bytes), -1: unknown) and
        rewrite it."""
        if self.path.exists():
            for line in self.path.read_text(encoding="utf-8").splitlines():
                file_no, offset, name = line.split(" ", 2)
                at = Position(int(file_no), int(offset))
                if at.file_no >= first_kept.file_no:
                    self._at[name] = max(at, self._at.get(name, at))
        for name, at in self._at.items():
            sid = sid_of(name.encode("utf-8"))
            if sid >= 0:
                self._note(sid, at)
        self._rewrite()

    def _note(self, sid: int, at: Position) -> None:
        self._sid_at[sid] = at
        self._newest = max(self._newest, at)

    def _rewrite(self) -> None:
        if not self._at:
            self.path.unlink(missing_ok=True)
            return
        tmp = self.path.with_suffix(".tmp")
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.writelines(f"{at.file_no} {at.offset} {name}\n" for name, at in self._at.items())
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)

    def add(self, names: list[str], sids: list[int], at: Position) -> None:
        """Note deletions at WAL position `at`, durably (runs on the WAL thread)."""
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.writelines(f"{at.file_no} {at.offset} {name}\n" for name in names)
            fh.flush()
            os.fsync(fh.fileno())
        for name, sid in zip(names, sids):
            self._at[name] = at
            if sid >= 0:
                self._note(sid, at)

    def __bool__(self) -> bool:
        """Any series deleted that a replay could still meet."""
        return bool(self._sid_at)

    def keep(self, pos: Position, sids: np.ndarray) -> np.ndarray | None:
        """For the points of the WAL record ending at `pos`: which to apply (a mask), or None
        when all of them are (the usual case: nothing deleted since the record)."""
        if pos > self._newest:
            return None
        keep = np.array([not (sid in self._sid_at and pos <= self._sid_at[sid]) for sid in sids.tolist()], bool)
        return None if keep.all() else keep


def wal_end(wal_dir: str | os.PathLike) -> Position:
    """The position after every record of a WAL no process is writing (the next start opens
    a new file, so every record there now is before it)."""
    files = {int(p.stem[4:]): p.stat().st_size for p in Path(wal_dir).glob("wal-*.log")}
    if not files:
        return Position(-1, 0)
    last = max(files)
    return Position(last, files[last])


class StoppedIngest:
    """What a deletion tells the ingest side of a data dir no process ingests from (`tsstore
    series delete` on a stopped server's data dir): the next start must not replay the
    deleted series' points from the WAL it left."""

    def __init__(self, wal_dir: str | os.PathLike):
        self.wal_dir = Path(wal_dir)

    async def forget(self, names: list[str]) -> None:
        if self.wal_dir.is_dir():
            ForgottenSeries(self.wal_dir).add(names, [-1] * len(names), wal_end(self.wal_dir))

