"""Read a whisper (.wsp) file: its header and the valid points of every archive, as numpy
arrays (one read, no object per point).

Layout (whisper 1.x, big-endian): a 16-byte header (aggregationType, maxRetention,
xFilesFactor, archiveCount), 12 bytes per archive (offset, secondsPerPoint, points), then
each archive's ring of 12-byte points (uint32 timestamp, float64 value). A slot is valid when
its timestamp is the one its ring position stands for, counted from the timestamp at position
0 (what whisper's fetch checks), so slots left from an earlier lap are not points.
"""
from __future__ import annotations

import mmap
import os
import struct
from dataclasses import dataclass

import numpy as np

HEADER = struct.Struct("!2LfL")
ARCHIVE_INFO = struct.Struct("!3L")
POINT = np.dtype([("ts", ">u4"), ("value", ">f8")])
MAX_ARCHIVES = 64  # whisper has no limit; more than this is a damaged header, not a schema

# whisper's aggregationType numbers
AGGREGATION_TYPES = {1: "average", 2: "sum", 3: "last", 4: "max", 5: "min", 6: "avg_zero", 7: "absmax", 8: "absmin"}


class WhisperFileError(ValueError):
    """The file is not a readable whisper file; the message says what is wrong with it."""


@dataclass(frozen=True)
class Archive:
    step: int  # secondsPerPoint
    points: int
    ts: np.ndarray  # int64, the valid points' timestamps, ascending
    values: np.ndarray  # float64

    @property
    def retention(self) -> int:
        return self.step * self.points


@dataclass(frozen=True)
class WhisperFile:
    aggregation: str
    xff: float
    archives: tuple[Archive, ...]  # finest first, as whisper keeps them

    @property
    def point_count(self) -> int:
        return sum(len(a.ts) for a in self.archives)


def parse(data, now: int) -> WhisperFile:
    """A whisper file's contents; points older than their archive's retention at `now` (which
    whisper would not show either) and points after `now` are left out."""
    if len(data) < HEADER.size:
        raise WhisperFileError(f"{len(data)} bytes: shorter than a whisper header ({HEADER.size} bytes)" if data else "empty file")
    agg_type, _max_retention, xff, count = HEADER.unpack_from(data, 0)
    if agg_type not in AGGREGATION_TYPES:
        raise WhisperFileError(f"bad header: aggregationType {agg_type} is not one of whisper's (1-8)")
    if not 0.0 <= xff <= 1.0:
        raise WhisperFileError(f"bad header: xFilesFactor {xff} is outside [0, 1]")
    if not 1 <= count <= MAX_ARCHIVES:
        raise WhisperFileError(f"bad header: {count} archives")
    if len(data) < HEADER.size + count * ARCHIVE_INFO.size:
        raise WhisperFileError(f"truncated header: {count} archives need {HEADER.size + count * ARCHIVE_INFO.size} bytes, the file has {len(data)}")
    archives = []
    for i in range(count):
        offset, step, points = ARCHIVE_INFO.unpack_from(data, HEADER.size + i * ARCHIVE_INFO.size)
        if step == 0 or points == 0:
            raise WhisperFileError(f"bad header: archive {i} has secondsPerPoint {step}, points {points}")
        if archives and step <= archives[-1].step:
            raise WhisperFileError(f"bad header: archive {i} ({step}s per point) is not coarser than archive {i - 1}")
        end = offset + points * POINT.itemsize
        if end > len(data):
            raise WhisperFileError(f"truncated: archive {i} ends at byte {end}, the file has {len(data)} bytes")
        archives.append(_archive(np.frombuffer(data, POINT, points, offset), step, points, now))
    return WhisperFile(AGGREGATION_TYPES[agg_type], float(xff), tuple(archives))


def _archive(ring: np.ndarray, step: int, points: int, now: int) -> Archive:
    raw_ts = ring["ts"]
    base = int(raw_ts[0])
    if base == 0:  # whisper's mark of an archive never written
        return Archive(step, points, np.empty(0, np.int64), np.empty(0, np.float64))
    position = np.flatnonzero(raw_ts)  # slots never written are zero (holes of a sparse file)
    ts = raw_ts[position].astype(np.int64)
    values = ring["value"][position].astype(np.float64)
    offset = ts - base
    valid = ((offset % step) == 0) & ((offset // step) % points == position)
    valid &= (ts > now - step * points) & (ts <= now) & ~np.isnan(values)
    ts, values = ts[valid], values[valid]
    order = np.argsort(ts, kind="stable")
    return Archive(step, points, ts[order], values[order])


def read(path, now: int) -> WhisperFile:
    """Parse a file through a read-only map: the holes of a sparse file are never copied."""
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        if size == 0:
            return parse(b"", now)
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
            return parse(data, now)
