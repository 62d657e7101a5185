"""Segment codec: slots of one window <-> compact bytes.

Layout before compression (little endian):
  u8 version, u8 columns, u32 n,
  n x u16 slot index deltas (first one absolute from the window start),
  columns x n x 8 bytes: each column XORed with its previous value, then byte-shuffled
  (all first bytes, then all second bytes, ...), so steady gauges and counters become
  long runs of zero bytes.
The whole is compressed with zstd (level 1: fast, and the shuffle does the heavy lifting).
"""
from __future__ import annotations

import struct
import threading

import numpy as np
import zstandard

VERSION = 1
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
    return _contexts()[0].compress(b"".join(parts))


def decode(blob: bytes, window: int, step: int) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of encode: (ts int64 (n,), values float64 (n, columns))."""
    try:
        raw = _contexts()[1].decompress(blob)
    except zstandard.ZstdError as exc:
        raise CodecError(f"corrupt segment: {exc}") from exc
    version, columns, n = _HEADER.unpack_from(raw)
    if version != VERSION:
        raise CodecError(f"unknown segment version {version}")
    off = _HEADER.size
    deltas = np.frombuffer(raw, np.uint16, n, off).astype(np.int64)
    off += 2 * n
    ts = window + np.cumsum(deltas) * step
    values = np.empty((n, columns), np.float64)
    for c in range(columns):
        values[:, c] = _unshuffle_xor(raw[off : off + 8 * n], n)
        off += 8 * n
    return ts, values
