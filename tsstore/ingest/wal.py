"""Write-ahead log: points are durable here before they count as received.

Two kinds of files live in the WAL directory:

* ``names.log``: every series name in series-id order, append-only. Loading it first at
  start-up gives series the same dense ids as in the previous run, so point records can
  hold ids instead of names.
* ``wal-<n>.log``: point records ``[u32 length][u32 crc32][payload]``; payload is
  ``u32 n`` then ``n`` int64 ids, ``n`` int64 timestamps and ``n`` float64 values.
  A new file is started at a size limit or when the consumer asks (at each flush), and
  whole files are deleted once the store has durably written everything they hold.

A torn or corrupt tail (the process died mid-write) ends the replay of that file: the
bytes after the last whole record were never acknowledged.
"""
from __future__ import annotations

import logging
import os
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

log = logging.getLogger(__name__)

_RECORD = struct.Struct("<II")  # length, crc32
_COUNT = struct.Struct("<I")
_NAME_LEN = struct.Struct("<I")


class WalFull(Exception):
    """The WAL reached its disk budget; the points were refused."""


@dataclass(frozen=True, order=True)
class Position:
    file_no: int
    offset: int


def encode_points(sids: np.ndarray, ts: np.ndarray, values: np.ndarray) -> bytes:
    n = len(sids)
    return b"".join(
        (
            _COUNT.pack(n),
            np.ascontiguousarray(sids, np.int64).tobytes(),
            np.ascontiguousarray(ts, np.int64).tobytes(),
            np.ascontiguousarray(values, np.float64).tobytes(),
        )
    )


def decode_points(payload: bytes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    (n,) = _COUNT.unpack_from(payload)
    off = _COUNT.size
    sids = np.frombuffer(payload, np.int64, n, off)
    ts = np.frombuffer(payload, np.int64, n, off + 8 * n)
    values = np.frombuffer(payload, np.float64, n, off + 16 * n)
    return sids, ts, values


def _cut_back(fh, path: Path, size: int) -> None:
    """After a failed write through `fh`: close it, dropping what it could not flush, and cut
    the file at `path` back to the `size` bytes it held before."""
    try:
        fh.close()
    except OSError:
        pass  # the unwritten buffer could not be flushed: that is what is cut
    with open(path, "r+b") as f:
        f.truncate(size)
        os.fsync(f.fileno())


class NamesLog:
    """Append-only list of series names; the line number is the series id."""

    def __init__(self, path: Path):
        self.path = path
        self._fh = None
        self.count = 0
        self._size = 0  # bytes of whole records

    def load(self) -> list[str]:
        names: list[str] = []
        if self.path.exists():
            data = self.path.read_bytes()
            off, good = 0, 0
            while off + _NAME_LEN.size <= len(data):
                (n,) = _NAME_LEN.unpack_from(data, off)
                end = off + _NAME_LEN.size + n
                if end > len(data):
                    break  # torn tail: that name was never acknowledged
                try:
                    names.append(data[off + _NAME_LEN.size : end].decode("utf-8"))
                except UnicodeDecodeError:
                    break  # not a record this process wrote whole: the names log ends here
                off = good = end
            if good != len(data):
                log.warning("names log %s: dropping %d torn bytes after its %d whole names", self.path,
                            len(data) - good, len(names))
                with open(self.path, "r+b") as fh:
                    fh.truncate(good)
        self.count = len(names)
        self._size = self.path.stat().st_size if self.path.exists() else 0
        return names

    def append(self, names: list[str], sync: bool = True) -> None:
        """Append names; on any write error (a full disk) the file is cut back to what it held,
        so a failed append leaves no partial record for later appends to follow."""
        if not names:
            return
        if self._fh is None:
            self._fh = open(self.path, "ab")
            self._size = self._fh.seek(0, os.SEEK_END)
        data = b"".join(_NAME_LEN.pack(len(b)) + b for b in (n.encode("utf-8") for n in names))
        try:
            self._fh.write(data)
            self._fh.flush()
            if sync:
                os.fsync(self._fh.fileno())
        except OSError:
            self.rollback(self._size)
            raise
        self._size += len(data)
        self.count += len(names)

    @property
    def size(self) -> int:
        return self._size

    def rollback(self, size: int, count: int | None = None) -> None:
        """Cut the file back to `size` bytes (and `count` names): the append that follows it
        failed. The buffered bytes are dropped with the handle, which reopens at the end."""
        if self._fh is not None:
            _cut_back(self._fh, self.path, size)
            self._fh = None
        else:
            with open(self.path, "r+b") as fh:
                fh.truncate(size)
        self._size = size
        if count is not None:
            self.count = count

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None


class WriteAheadLog:
    def __init__(self, directory: str | os.PathLike, max_bytes: int = 8 << 30, file_bytes: int = 64 << 20):
        self.dir = Path(directory)
        self.max_bytes = max_bytes
        self.file_bytes = file_bytes
        self.names = NamesLog(self.dir / "names.log")
        self._fh = None
        self._file_no = 0
        self._offset = 0
        self._sizes: dict[int, int] = {}  # file_no -> bytes, for the disk budget
        self._rotate_requested = False

    @staticmethod
    def _file_name(file_no: int) -> str:
        return f"wal-{file_no:016d}.log"

    def open(self) -> list[str]:
        """Create the directory, scan existing files; returns the known series names."""
        self.dir.mkdir(parents=True, exist_ok=True)
        for path in self.dir.glob("wal-*.log"):
            self._sizes[int(path.stem[4:])] = path.stat().st_size
        self._file_no = max(self._sizes, default=-1) + 1  # never append to a file that may be torn
        return self.names.load()

    @property
    def size_bytes(self) -> int:
        return sum(self._sizes.values())

    @property
    def head(self) -> Position:
        return Position(self._file_no, self._offset)

    def first_position(self) -> Position:
        return Position(min(self._sizes, default=self._file_no), 0)

    def request_rotate(self) -> None:
        self._rotate_requested = True

    def _open_current(self) -> None:
        if self._fh is None or self._rotate_requested or self._offset >= self.file_bytes:
            if self._fh is not None:
                self._fh.close()
                self._file_no += 1
            self._rotate_requested = False
            self._fh = open(self.dir / self._file_name(self._file_no), "ab")
            self._offset = 0
            self._sizes[self._file_no] = 0

    def append(self, payloads: list[bytes], new_names: list[str]) -> Position:
        """Write records (and the names they introduce) and fsync; returns the end position.

        Runs on a worker thread; raises WalFull past the disk budget.
        """
        size = sum(len(p) + _RECORD.size for p in payloads)
        if self.size_bytes + size > self.max_bytes:
            raise WalFull(f"WAL at {self.dir} is full ({self.size_bytes} of {self.max_bytes} bytes)")
        names_size, names_count = self.names.size, self.names.count
        self.names.append(new_names)
        try:
            self._open_current()
            buf = b"".join(_RECORD.pack(len(p), zlib.crc32(p)) + p for p in payloads)
            self._fh.write(buf)
            self._fh.flush()
            os.fsync(self._fh.fileno())
        except OSError:
            # Nothing of this append may stay: the names would be appended again with the next
            # batch (shifting every later series id on replay), a partial record would hide
            # the records after it.
            self._rollback_records()
            if new_names:
                self.names.rollback(names_size, names_count)
            raise
        self._offset += len(buf)
        self._sizes[self._file_no] += len(buf)
        return Position(self._file_no, self._offset)

    def _rollback_records(self) -> None:
        if self._fh is None:
            return
        path = self.dir / self._file_name(self._file_no)
        _cut_back(self._fh, path, self._offset)
        self._fh = open(path, "ab")

    def read_from(self, pos: Position) -> Iterator[tuple[Position, bytes]]:
        """Records after pos in order, each with the position just past it."""
        for file_no in sorted(f for f in self._sizes if f >= pos.file_no):
            path = self.dir / self._file_name(file_no)
            try:
                data = path.read_bytes()
            except FileNotFoundError:
                continue
            off = pos.offset if file_no == pos.file_no else 0
            while off + _RECORD.size <= len(data):
                length, crc = _RECORD.unpack_from(data, off)
                start, end = off + _RECORD.size, off + _RECORD.size + length
                if end > len(data) or zlib.crc32(data[start:end]) != crc:
                    log.warning("WAL %s: torn or corrupt record at byte %d; the rest of the file is ignored", path, off)
                    break
                off = end
                yield Position(file_no, off), data[start:end]

    def trim_before(self, file_no: int) -> int:
        """Delete whole files numbered below file_no (their points are in the store)."""
        removed = 0
        for f in sorted(f for f in self._sizes if f < file_no and f != self._file_no):
            (self.dir / self._file_name(f)).unlink(missing_ok=True)
            del self._sizes[f]
            removed += 1
        return removed

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None
        self.names.close()
