"""The segment codec: the slots of one window <-> compact bytes (encode, decode, encode_batch).

This module is the pure-Python (numpy) implementation and the public one: at its end its
public functions switch to the compiled twin built from ext/segment_codec.pyx
(tsstore.store._segment_codec) when that is built; both write the same bytes. A corrupt
segment raises CodecError.

Layout of version 2 (little endian; version 1 below is still read):
  u8 version, u8 columns, u32 n,
  slots: u8 kind; kind 1 = contiguous: varint first slot index (from the window start);
         kind 0 = varint first index, then varint (delta - 1) for each following slot,
  then per column: u8 kind;
         kind 1 = decimal: u8 k, then n zigzag varints of the deltas of round(v * 10^k)
                  (the column's values are exactly those integers / 10^k: typical gauges with a
                  few decimals and integer counters take 1-2 bytes per value);
         kind 0 = floats: n x 8 bytes, each value XORed with the previous, byte-shuffled.
Version 1: u16 slot deltas then every column as kind 0, no kind bytes.
Segments of at least COMPRESS_MIN slots are compressed whole with zstd (level 1); smaller
ones, the common case of a flush, are stored without it and compressed when their window
is compacted. decode() tells them apart by zstd's magic.
"""
from __future__ import annotations

import struct
import threading

import numpy as np
import zstandard

from tsstore import _ext

VERSION = 2
MAX_DECIMALS = 6
_POW10 = [10.0**k for k in range(MAX_DECIMALS + 1)]
_EXACT = 2.0**53
COMPRESS_MIN = 64
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
WINDOW_SLOTS_MAX = 65536
_HEADER = struct.Struct("<BBI")
# zstd contexts are not thread-safe; stores encode and decode on several threads.
_local = threading.local()


def zstd_contexts():
    """This thread's (compressor, decompressor): shared with the compiled twin."""
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


def _varints(u: np.ndarray) -> bytes:
    """LEB128 of unsigned 64-bit integers, vectorised."""
    u = np.asarray(u, np.uint64)
    if not len(u):
        return b""
    sizes = np.ones(len(u), np.int64)
    for k in range(1, 10):
        sizes += u >= np.uint64(1 << (7 * k))
    offsets = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    out = np.zeros(int(sizes.sum()), np.uint8)
    for j in range(10):
        live = sizes > j
        if not live.any():
            break
        byte = (u[live] >> np.uint64(7 * j)) & np.uint64(0x7F)
        more = (sizes[live] > j + 1).astype(np.uint64) << np.uint64(7)
        out[offsets[live] + j] = (byte | more).astype(np.uint8)
    return out.tobytes()


def _read_varints(raw: bytes, off: int, n: int) -> tuple[np.ndarray, int]:
    """n LEB128 integers from raw[off:]; (values uint64, offset after them)."""
    if n == 0:
        return np.empty(0, np.uint64), off
    b = np.frombuffer(raw, np.uint8, offset=off)
    ends = np.flatnonzero(b < 0x80)[:n]
    if len(ends) < n:
        raise CodecError("corrupt segment: truncated integers")
    starts = np.concatenate(([0], ends[:-1] + 1))
    sizes = ends - starts + 1
    if sizes.max() > 10:
        raise CodecError("corrupt segment: integer too long")
    u = np.zeros(n, np.uint64)
    for j in range(int(sizes.max())):
        live = sizes > j
        u[live] |= (b[starts[live] + j].astype(np.uint64) & np.uint64(0x7F)) << np.uint64(7 * j)
    return u, off + int(ends[-1]) + 1


def _zigzag(d: np.ndarray) -> np.ndarray:
    d = d.astype(np.int64)
    return ((d << np.int64(1)) ^ (d >> np.int64(63))).view(np.uint64)


def _unzigzag(u: np.ndarray) -> np.ndarray:
    return (u >> np.uint64(1)).view(np.int64) ^ -(u & np.uint64(1)).view(np.int64)


def decimal_places(col: np.ndarray) -> int:
    """The smallest k <= MAX_DECIMALS such that every value is exactly round(v*10^k)/10^k
    (and no -0.0, which would come back as 0.0); -1 when there is none."""
    if not len(col):
        return 0
    if not np.isfinite(col).all() or (np.signbit(col) & (col == 0)).any():
        return -1
    for k, scale in enumerate(_POW10):
        x = col * scale
        if (np.abs(x) >= _EXACT).any():
            return -1
        n = np.floor(np.abs(x) + 0.5) * np.sign(x)  # round half away from zero, as llround
        if (n / scale == col).all():
            return k
    return -1


def encode(ts: np.ndarray, values: np.ndarray, window: int, step: int) -> bytes:
    """Encode sorted slot timestamps (all inside one window) and their columns."""
    n = len(ts)
    if values.ndim == 1:
        values = values.reshape(n, 1)
    columns = values.shape[1]
    idx = (np.asarray(ts, np.int64) - window) // step
    if n and (idx[0] < 0 or idx[-1] >= WINDOW_SLOTS_MAX):
        raise CodecError(f"slot outside window {window} (step {step})")
    parts = [_HEADER.pack(VERSION, columns, n)]
    if n and idx[-1] - idx[0] == n - 1:
        parts += [b"\x01", _varints(idx[:1])]
    else:
        parts += [b"\x00", _varints(np.concatenate((idx[:1], np.diff(idx) - 1)))]
    for c in range(columns):
        col = np.ascontiguousarray(values[:, c], np.float64)
        k = decimal_places(col)
        if k >= 0:
            x = col * _POW10[k]
            ints = (np.floor(np.abs(x) + 0.5) * np.sign(x)).astype(np.int64)
            parts += [bytes((1, k)), _varints(_zigzag(np.diff(ints, prepend=np.int64(0))))]
        else:
            parts += [b"\x00", _xor_shuffle(col)]
    raw = b"".join(parts)
    return zstd_contexts()[0].compress(raw) if n >= COMPRESS_MIN else raw


def _decode_v1(raw: bytes, columns: int, n: int, window: int, step: int):
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


def decode(blob: bytes, window: int, step: int) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of encode: (ts int64 (n,), values float64 (n, columns))."""
    raw = bytes(blob)
    if raw[:4] == ZSTD_MAGIC:
        try:
            raw = zstd_contexts()[1].decompress(raw)
        except zstandard.ZstdError as exc:
            raise CodecError(f"corrupt segment: {exc}") from exc
    if len(raw) < _HEADER.size:
        raise CodecError("corrupt segment: too short")
    version, columns, n = _HEADER.unpack_from(raw)
    if version == 1:
        return _decode_v1(raw, columns, n, window, step)
    if version != VERSION:
        raise CodecError(f"unknown segment version {version}")
    off = _HEADER.size
    if off >= len(raw):
        raise CodecError("corrupt segment: too short")
    kind = raw[off]
    if kind == 1:
        first, off = _read_varints(raw, off + 1, 1 if n else 0)
        idx = int(first[0]) + np.arange(n, dtype=np.int64) if n else np.empty(0, np.int64)
    elif kind == 0:
        d, off = _read_varints(raw, off + 1, n)
        d = d.astype(np.int64)
        d[1:] += 1
        idx = np.cumsum(d)
    else:
        raise CodecError(f"corrupt segment: slot kind {kind}")
    if n and idx[-1] >= WINDOW_SLOTS_MAX:
        raise CodecError("corrupt segment: slot outside the window")
    ts = window + idx * step
    values = np.empty((n, columns), np.float64)
    for c in range(columns):
        if off >= len(raw):
            raise CodecError("corrupt segment: too short")
        kind = raw[off]
        if kind == 1:
            k = raw[off + 1] if off + 1 < len(raw) else 255
            if k > MAX_DECIMALS:
                raise CodecError(f"corrupt segment: {k} decimal places")
            u, off = _read_varints(raw, off + 2, n)
            values[:, c] = np.cumsum(_unzigzag(u)) / _POW10[k]
        elif kind == 0:
            if off + 1 + 8 * n > len(raw):
                raise CodecError("corrupt segment: too short")
            values[:, c] = _unshuffle_xor(raw[off + 1 : off + 1 + 8 * n], n)
            off += 1 + 8 * n
        else:
            raise CodecError(f"corrupt segment: column kind {kind}")
    if off != len(raw):
        raise CodecError(f"corrupt segment: {len(raw) - off} bytes left over")
    return ts, values


def encode_batch(ts: np.ndarray, values: np.ndarray, starts: np.ndarray, steps: np.ndarray,
                 window_slots: int) -> tuple[np.ndarray, np.ndarray, list[bytes]]:
    """Encode many slot groups at once, cut at window boundaries.

    Group g is rows starts[g]:starts[g+1] of ts/values (sorted slot timestamps) with step
    steps[g]. Returns, for every (group, window) piece in order: its group (int64 array), its
    window start (int64 array) and its blob (list), columnar so that a flush of a million
    segments makes no tuple per segment.
    """
    groups, windows, blobs = [], [], []
    for g in range(len(starts) - 1):
        lo, hi, step = int(starts[g]), int(starts[g + 1]), int(steps[g])
        span = step * window_slots
        t = ts[lo:hi]
        piece_windows = (t // span) * span
        cuts = [0, *(np.flatnonzero(np.diff(piece_windows)) + 1).tolist(), len(t)]
        for a, b in zip(cuts, cuts[1:]):
            if b > a:
                groups.append(g)
                windows.append(int(piece_windows[a]))
                blobs.append(encode(t[a:b], values[lo + a : lo + b], int(piece_windows[a]), step))
    return np.array(groups, np.int64), np.array(windows, np.int64), blobs


def decode_batch(blobs: list[bytes], windows: np.ndarray, steps: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Many segments of one column count decoded at once (blob k with window windows[k] and
    step steps[k]): (ts, values, starts), blob k's slots being rows starts[k]:starts[k+1].
    Compaction decodes thousands of small pieces a call, where arrays per piece would cost
    more than the decoding."""
    windows, steps = np.asarray(windows, np.int64), np.asarray(steps, np.int64)
    if len(windows) != len(blobs) or len(steps) != len(blobs):
        raise ValueError(f"decode_batch: {len(blobs)} blobs, {len(windows)} windows, {len(steps)} steps")
    parts = [decode(b, int(w), int(s)) for b, w, s in zip(blobs, windows.tolist(), steps.tolist())]
    columns = {v.shape[1] for _, v in parts}
    if len(columns) > 1:
        raise CodecError(f"decode_batch: segments of {' and of '.join(map(str, sorted(columns)))} columns")
    starts = np.zeros(len(parts) + 1, np.int64)
    np.cumsum([len(t) for t, _ in parts], out=starts[1:])
    if not parts:
        return np.empty(0, np.int64), np.empty((0, 1), np.float64), starts
    return (np.concatenate([t for t, _ in parts]).astype(np.int64),
            np.concatenate([v for _, v in parts]).reshape(-1, columns.pop()), starts)


# Last: the compiled module imports its constants, CodecError and zstd_contexts from this one.
compiled = _ext.switch(globals(), "tsstore.store._segment_codec", ("encode", "decode", "encode_batch", "decode_batch"))
