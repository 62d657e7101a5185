# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Compiled segment codec (twin and format description: tsstore/_segment_codec_py.py).

encode_batch() cuts many slot groups at window boundaries and encodes every piece in one
C loop: a flush writes hundreds of thousands of tiny segments, where numpy's per-call
overhead would dominate.
"""
import numpy as np
cimport numpy as cnp
from libc.stdint cimport int64_t, uint64_t, uint16_t, uint8_t, uint32_t
from libc.string cimport memcpy
from cpython.bytes cimport PyBytes_FromStringAndSize, PyBytes_AS_STRING

from tsstore._segment_codec_py import COMPRESS_MIN, VERSION, ZSTD_MAGIC, CodecError, _contexts

cnp.import_array()

cdef int HEADER = 6


cdef inline int64_t _floor(int64_t ts, int64_t step) nogil:
    cdef int64_t q = ts // step
    if (ts % step != 0) and ((ts < 0) != (step < 0)):
        q -= 1
    return q * step


cdef bytes _encode_piece(const int64_t* ts, const double* values, Py_ssize_t n, int columns,
                         Py_ssize_t row_stride, int64_t window, int64_t step):
    cdef Py_ssize_t size = HEADER + n * (2 + 8 * columns)
    cdef bytes out = PyBytes_FromStringAndSize(NULL, size)
    cdef uint8_t* p = <uint8_t*>PyBytes_AS_STRING(out)
    cdef Py_ssize_t i, c, b
    cdef int64_t idx, prev_idx = 0
    cdef uint64_t bits, prev, x
    cdef uint32_t n32 = <uint32_t>n
    cdef uint16_t d
    cdef uint8_t* col
    p[0] = VERSION
    p[1] = <uint8_t>columns
    memcpy(p + 2, &n32, 4)
    for i in range(n):
        idx = (ts[i] - window) // step
        if idx < 0 or idx >= 65536:
            raise CodecError(f"slot outside window {window} (step {step})")
        d = <uint16_t>(idx if i == 0 else idx - prev_idx)
        memcpy(p + HEADER + 2 * i, &d, 2)
        prev_idx = idx
    for c in range(columns):
        col = p + HEADER + 2 * n + c * 8 * n
        prev = 0
        for i in range(n):
            memcpy(&bits, &values[i * row_stride + c], 8)
            x = bits ^ prev if i else bits
            prev = bits
            for b in range(8):
                col[b * n + i] = <uint8_t>(x >> (8 * b))
    if n >= COMPRESS_MIN:
        return _contexts()[0].compress(out)
    return out


def encode(ts, values, int64_t window, int64_t step):
    cdef const int64_t[::1] t = np.ascontiguousarray(ts, np.int64)
    v = np.ascontiguousarray(values, np.float64)
    if v.ndim == 1:
        v = v.reshape(len(t), 1)
    cdef const double[:, ::1] vv = v
    cdef Py_ssize_t n = t.shape[0]
    if n == 0:
        return _encode_piece(NULL, NULL, 0, vv.shape[1], vv.shape[1], window, step)
    return _encode_piece(&t[0], &vv[0, 0], n, vv.shape[1], vv.shape[1], window, step)


def encode_batch(ts, values, starts, steps, int64_t window_slots):
    """(group, window, blob) for every (group, window) piece; see the twin's docstring."""
    cdef const int64_t[::1] t = np.ascontiguousarray(ts, np.int64)
    if len(t) == 0:
        return []
    cdef const double[:, ::1] v = np.ascontiguousarray(values, np.float64).reshape(len(t), -1)
    cdef const int64_t[::1] st = np.ascontiguousarray(starts, np.int64)
    cdef const int64_t[::1] sp = np.ascontiguousarray(steps, np.int64)
    cdef Py_ssize_t g, lo, hi, a, b
    cdef int64_t step, span, w
    cdef int columns = v.shape[1]
    out = []
    for g in range(st.shape[0] - 1):
        lo, hi, step = st[g], st[g + 1], sp[g]
        span = step * window_slots
        a = lo
        while a < hi:
            w = _floor(t[a], span)
            b = a + 1
            while b < hi and t[b] < w + span:
                b += 1
            out.append((g, w, _encode_piece(&t[a], &v[a, 0], b - a, columns, columns, w, step)))
            a = b
    return out


def decode(blob, int64_t window, int64_t step):
    cdef bytes raw = bytes(blob)
    if raw[:4] == ZSTD_MAGIC:
        try:
            raw = _contexts()[1].decompress(raw)
        except Exception as exc:
            raise CodecError(f"corrupt segment: {exc}") from exc
    cdef Py_ssize_t size = len(raw)
    if size < HEADER:
        raise CodecError("corrupt segment: too short")
    cdef const uint8_t* p = <const uint8_t*>PyBytes_AS_STRING(raw)
    cdef int version = p[0], columns = p[1]
    cdef uint32_t n32
    memcpy(&n32, p + 2, 4)
    cdef Py_ssize_t n = n32
    if version != VERSION:
        raise CodecError(f"unknown segment version {version}")
    if size != HEADER + n * (2 + 8 * columns):
        raise CodecError(f"corrupt segment: {size} bytes for {n} slots of {columns} columns")
    cdef cnp.ndarray[int64_t, ndim=1] ts = np.empty(n, np.int64)
    cdef cnp.ndarray[double, ndim=2] values = np.empty((n, columns), np.float64)
    cdef int64_t* tp = <int64_t*>ts.data
    cdef uint64_t* vp = <uint64_t*>values.data
    cdef Py_ssize_t i, c, b
    cdef int64_t idx = 0
    cdef uint16_t d
    cdef uint64_t x, prev
    cdef const uint8_t* col
    for i in range(n):
        memcpy(&d, p + HEADER + 2 * i, 2)
        idx += d
        tp[i] = window + idx * step
    for c in range(columns):
        col = p + HEADER + 2 * n + c * 8 * n
        prev = 0
        for i in range(n):
            x = 0
            for b in range(8):
                x |= (<uint64_t>col[b * n + i]) << (8 * b)
            prev = x ^ prev if i else x
            vp[i * columns + c] = prev
    return ts, values
