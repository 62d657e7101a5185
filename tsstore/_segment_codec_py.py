"""Pure-Python (numpy) twin of ext/segment_codec.pyx: slots of one window <-> compact bytes.

Layout (little endian):
  u8 version, u8 columns, u32 n,
  n x u16 slot index deltas (first one absolute from the window start),
  columns x n x 8 bytes: each column XORed with its previous value, then byte-shuffled
  (all first bytes, then all second bytes, ...), so steady gauges and counters become
  long runs of zero bytes.
Segments of at least COMPRESS_MIN slots are compressed whole with zstd (level 1: fast, the
shuffle does the heavy lifting); smaller ones, the common case of a flush, are stored raw
and compressed when their window is compacted. decode() tells them apart by zstd's magic.
"""
from __future__ import annotations

import struct
import threading

import numpy as np
import zstandard

VERSION = 1
COMPRESS_MIN = 64
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
WINDOW_SLOTS_MAX = 65536
_HEADER = struct.Struct("<BBI")
# zstd contexts are not thread-safe; stores encode and decode on several threads.
_local = threading.local()


def _contexts():
    ctx = getattr(_local, "ctx", None)
    if ctx is None:
        ctx = _local.ctx = (zstandard.ZstdCompressor(level=1), zstandard.ZstdDecompressor())
    return ctx


class CodecError(ValueError):
    pass


def _xor_shuffle(col: np.ndarray) -> bytes:
    bits = np.ascontiguousarray(col, dtype=np.float64).view(np.uint64)
    xored = bits.copy()
    xored[1:] ^= bits[:-1]
    return xored.view(np.uint8).reshape(-1, 8).T.tobytes()


def _unshuffle_xor(raw: bytes, n: int) -> np.ndarray:
    shuffled = np.frombuffer(raw, np.uint8).reshape(8, n)
    xored = np.ascontiguousarray(shuffled.T).view(np.uint64).reshape(n)
    return np.bitwise_xor.accumulate(xored).view(np.float64)


def encode(ts: np.ndarray, values: np.ndarray, window: int, step: int) -> bytes:
    """Encode sorted slot timestamps (all inside one window) and their columns."""
    n = len(ts)
    if values.ndim == 1:
        values = values.reshape(n, 1)
    columns = values.shape[1]
    idx = (np.asarray(ts, np.int64) - window) // step
    if n and (idx[0] < 0 or idx[-1] >= 65536):
        raise CodecError(f"slot outside window {window} (step {step})")
    deltas = np.empty(n, np.uint16)
    if n:
        deltas[0] = idx[0]
        deltas[1:] = np.diff(idx)
    parts = [_HEADER.pack(VERSION, columns, n), deltas.tobytes()]
    parts.extend(_xor_shuffle(values[:, c]) for c in range(columns))
    raw = b"".join(parts)
    return _contexts()[0].compress(raw) if n >= COMPRESS_MIN else raw


def decode(blob: bytes, window: int, step: int) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of encode: (ts int64 (n,), values float64 (n, columns))."""
    raw = bytes(blob)
    if raw[:4] == ZSTD_MAGIC:
        try:
            raw = _contexts()[1].decompress(raw)
        except zstandard.ZstdError as exc:
            raise CodecError(f"corrupt segment: {exc}") from exc
    if len(raw) < _HEADER.size:
        raise CodecError("corrupt segment: too short")
    version, columns, n = _HEADER.unpack_from(raw)
    if version != VERSION:
        raise CodecError(f"unknown segment version {version}")
    if len(raw) != _HEADER.size + n * (2 + 8 * columns):
        raise CodecError(f"corrupt segment: {len(raw)} bytes for {n} slots of {columns} columns")
    off = _HEADER.size
    deltas = np.frombuffer(raw, np.uint16, n, off).astype(np.int64)
    off += 2 * n
    ts = window + np.cumsum(deltas) * step
    values = np.empty((n, columns), np.float64)
    for c in range(columns):
        values[:, c] = _unshuffle_xor(raw[off : off + 8 * n], n)
        off += 8 * n
    return ts, values


def encode_batch(ts: np.ndarray, values: np.ndarray, starts: np.ndarray, steps: np.ndarray, window_slots: int) -> list[tuple[int, int, bytes]]:
    """Encode many slot groups at once, cut at window boundaries.

    Group g is rows starts[g]:starts[g+1] of ts/values (sorted slot timestamps) with step
    steps[g]. Returns (g, window start, blob) for every (group, window) piece, in order.
    """
    out = []
    for g in range(len(starts) - 1):
        lo, hi, step = int(starts[g]), int(starts[g + 1]), int(steps[g])
        span = step * window_slots
        t = ts[lo:hi]
        windows = (t // span) * span
        cuts = [0, *(np.flatnonzero(np.diff(windows)) + 1).tolist(), len(t)]
        for a, b in zip(cuts, cuts[1:]):
            if b > a:
                out.append((g, int(windows[a]), encode(t[a:b], values[lo + a : lo + b], int(windows[a]), step)))
    return out
