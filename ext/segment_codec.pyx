# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Compiled segment codec (twin, contract and format description: tsstore/store/segment_codec.py).

encode_batch() cuts many slot groups at window boundaries and encodes every piece in one
C loop: a flush writes hundreds of thousands of tiny segments, where numpy's per-call
overhead would dominate.
"""
import numpy as np
cimport numpy as cnp
from libc.stdint cimport int64_t, uint64_t, uint16_t, uint8_t, uint32_t
from libc.string cimport memcpy
from libc.stdlib cimport malloc, free
from libc.math cimport floor, fabs, isfinite, signbit
from cpython.bytes cimport PyBytes_FromStringAndSize, PyBytes_AS_STRING

from tsstore.store.segment_codec import COMPRESS_MIN, MAX_DECIMALS, VERSION, ZSTD_MAGIC, CodecError, zstd_contexts

cnp.import_array()

cdef int HEADER = 6


cdef inline int64_t _floor(int64_t ts, int64_t step) nogil:
    cdef int64_t q = ts // step
    if (ts % step != 0) and ((ts < 0) != (step < 0)):
        q -= 1
    return q * step


cdef int MAX_K = 6  # the twin's MAX_DECIMALS (checked at import below)
assert MAX_K == MAX_DECIMALS
cdef double[7] POW10 = [1.0, 10.0, 100.0, 1000.0, 10000.0, 100000.0, 1000000.0]
cdef double EXACT = 9007199254740992.0  # 2**53


cdef inline int64_t _scaled(double v, double scale) noexcept nogil:
    """round(v * scale) half away from zero (the twin's floor(|x| + 0.5) * sign)."""
    cdef double x = v * scale
    cdef double r = floor(fabs(x) + 0.5)
    return <int64_t>(-r if x < 0 else r)


cdef int _decimal_places(const double* v, Py_ssize_t n, Py_ssize_t stride) noexcept nogil:
    """See the twin's decimal_places: smallest exact k <= MAX_DECIMALS, or -1."""
    cdef Py_ssize_t i
    cdef int k
    cdef double x, scale
    cdef bint ok
    for i in range(n):
        x = v[i * stride]
        if not isfinite(x) or (x == 0 and signbit(x)):
            return -1
    for k in range(MAX_K + 1):
        scale = POW10[k]
        ok = True
        for i in range(n):
            x = v[i * stride]
            if fabs(x * scale) >= EXACT:
                return -1
            if <double>_scaled(x, scale) / scale != x:
                ok = False
                break
        if ok:
            return k
    return -1


cdef inline Py_ssize_t _put_varint(uint8_t* p, uint64_t u) noexcept nogil:
    cdef Py_ssize_t i = 0
    while u >= 0x80:
        p[i] = <uint8_t>(u & 0x7F) | 0x80
        u >>= 7
        i += 1
    p[i] = <uint8_t>u
    return i + 1


cdef bytes _encode_piece(const int64_t* ts, const double* values, Py_ssize_t n, int columns,
                         Py_ssize_t row_stride, int64_t window, int64_t step):
    cdef Py_ssize_t cap = HEADER + 1 + 10 * (n + 1) + columns * (2 + 10 * n)
    cdef uint8_t* p = <uint8_t*>malloc(cap)
    cdef Py_ssize_t i, c, b, pos
    cdef int64_t idx, prev_idx = 0, first_idx = 0, ints, prev_int
    cdef uint64_t bits, prev, x
    cdef uint32_t n32 = <uint32_t>n
    cdef uint8_t* col
    cdef int k
    cdef double scale
    if p == NULL:
        raise MemoryError()
    try:
        p[0] = VERSION
        p[1] = <uint8_t>columns
        memcpy(p + 2, &n32, 4)
        pos = HEADER
        for i in range(n):
            idx = (ts[i] - window) // step
            if idx < 0 or idx >= 65536:
                raise CodecError(f"slot outside window {window} (step {step})")
        if n:
            first_idx = (ts[0] - window) // step
        if n and (ts[n - 1] - window) // step - first_idx == n - 1:
            p[pos] = 1  # contiguous slots: only the first index
            pos += 1
            pos += _put_varint(p + pos, <uint64_t>first_idx)
        else:
            p[pos] = 0
            pos += 1
            for i in range(n):
                idx = (ts[i] - window) // step
                pos += _put_varint(p + pos, <uint64_t>(idx if i == 0 else idx - prev_idx - 1))
                prev_idx = idx
        for c in range(columns):
            k = _decimal_places(values + c, n, row_stride)
            if k >= 0:
                scale = POW10[k]
                p[pos] = 1
                p[pos + 1] = <uint8_t>k
                pos += 2
                prev_int = 0
                for i in range(n):
                    ints = _scaled(values[i * row_stride + c], scale)
                    x = <uint64_t>(ints - prev_int)
                    pos += _put_varint(p + pos, (x << 1) ^ <uint64_t>((ints - prev_int) >> 63))
                    prev_int = ints
            else:
                p[pos] = 0
                pos += 1
                col = p + pos
                prev = 0
                for i in range(n):
                    memcpy(&bits, &values[i * row_stride + c], 8)
                    x = bits ^ prev if i else bits
                    prev = bits
                    for b in range(8):
                        col[b * n + i] = <uint8_t>(x >> (8 * b))
                pos += 8 * n
        out = PyBytes_FromStringAndSize(<char*>p, pos)
    finally:
        free(p)
    if n >= COMPRESS_MIN:
        return zstd_contexts()[0].compress(out)
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
    """(groups, windows, blobs) of every (group, window) piece; see the twin's docstring."""
    cdef const int64_t[::1] t = np.ascontiguousarray(ts, np.int64)
    cdef const int64_t[::1] st = np.ascontiguousarray(starts, np.int64)
    cdef const int64_t[::1] sp = np.ascontiguousarray(steps, np.int64)
    blobs = []
    if len(t) == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64), blobs
    cdef const double[:, ::1] v = np.ascontiguousarray(values, np.float64).reshape(len(t), -1)
    # at most one piece per row: sized up front, trimmed at the end
    cdef cnp.ndarray[int64_t, ndim=1] groups = np.empty(len(t), np.int64)
    cdef cnp.ndarray[int64_t, ndim=1] windows = np.empty(len(t), np.int64)
    cdef Py_ssize_t g, lo, hi, a, b, n = 0
    cdef int64_t step, span, w
    cdef int columns = v.shape[1]
    for g in range(st.shape[0] - 1):
        lo, hi, step = st[g], st[g + 1], sp[g]
        span = step * window_slots
        a = lo
        while a < hi:
            w = _floor(t[a], span)
            b = a + 1
            while b < hi and t[b] < w + span:
                b += 1
            blobs.append(_encode_piece(&t[a], &v[a, 0], b - a, columns, columns, w, step))
            groups[n] = g
            windows[n] = w
            n += 1
            a = b
    return groups[:n].copy(), windows[:n].copy(), blobs


cdef inline Py_ssize_t _get_varint(const uint8_t* p, Py_ssize_t pos, Py_ssize_t size, uint64_t* out) except -1:
    """Read one LEB128 integer at pos; returns the position after it."""
    cdef uint64_t u = 0
    cdef int shift = 0
    while True:
        if pos >= size:
            raise CodecError("corrupt segment: truncated integers")
        if shift > 63:
            raise CodecError("corrupt segment: integer too long")
        u |= (<uint64_t>(p[pos] & 0x7F)) << shift
        shift += 7
        pos += 1
        if p[pos - 1] < 0x80:
            out[0] = u
            return pos


cdef bytes _raw(blob):
    """A blob's bytes, decompressed when it was compressed."""
    cdef bytes raw = bytes(blob)
    if raw[:4] == ZSTD_MAGIC:
        try:
            raw = zstd_contexts()[1].decompress(raw)
        except Exception as exc:
            raise CodecError(f"corrupt segment: {exc}") from exc
    return raw


cdef Py_ssize_t _header(bytes raw, int* columns) except -1:
    """Checks a (decompressed) segment's header; returns its slot count, sets its columns."""
    cdef Py_ssize_t size = len(raw)
    if size < HEADER:
        raise CodecError("corrupt segment: too short")
    cdef const uint8_t* p = <const uint8_t*>PyBytes_AS_STRING(raw)
    cdef int version = p[0]
    columns[0] = p[1]
    cdef uint32_t n32
    memcpy(&n32, p + 2, 4)
    cdef Py_ssize_t n = n32
    if version != 1 and version != VERSION:
        raise CodecError(f"unknown segment version {version}")
    if version == 1 and size != HEADER + n * (2 + 8 * columns[0]):
        raise CodecError(f"corrupt segment: {size} bytes for {n} slots of {columns[0]} columns")
    if version == VERSION and n > size:  # every slot takes at least one byte per column
        raise CodecError(f"corrupt segment: {size} bytes for {n} slots")
    return n


cdef int _decode_into(bytes raw, Py_ssize_t n, int columns, int64_t window, int64_t step, int64_t* tp,
                      double* dp) except -1:
    """Decode a segment _header() checked into tp[0:n] and dp[0:n * columns] (rows of columns)."""
    cdef Py_ssize_t size = len(raw)
    cdef const uint8_t* p = <const uint8_t*>PyBytes_AS_STRING(raw)
    cdef int version = p[0]
    cdef uint64_t* vp = <uint64_t*>dp
    cdef Py_ssize_t i, c, b, pos = HEADER
    cdef int64_t idx = 0, acc
    cdef uint16_t d
    cdef uint64_t x, prev, u
    cdef const uint8_t* col
    cdef int kind
    cdef double scale
    if version == 1:
        for i in range(n):
            memcpy(&d, p + HEADER + 2 * i, 2)
            idx += d
            tp[i] = window + idx * step
        pos = HEADER + 2 * n
    else:
        if pos >= size:
            raise CodecError("corrupt segment: too short")
        kind = p[pos]
        pos += 1
        if kind == 1:
            if n:
                pos = _get_varint(p, pos, size, &u)
                idx = <int64_t>u
                if idx + n > 65536:
                    raise CodecError("corrupt segment: slot outside the window")
                for i in range(n):
                    tp[i] = window + (idx + i) * step
        elif kind == 0:
            for i in range(n):
                pos = _get_varint(p, pos, size, &u)
                idx = <int64_t>u if i == 0 else idx + <int64_t>u + 1
                if u >= 65536 or idx >= 65536:
                    raise CodecError("corrupt segment: slot outside the window")
                tp[i] = window + idx * step
        else:
            raise CodecError(f"corrupt segment: slot kind {kind}")
    for c in range(columns):
        kind = 0
        if version == VERSION:
            if pos >= size:
                raise CodecError("corrupt segment: too short")
            kind = p[pos]
            pos += 1
        if kind == 1:
            if pos >= size or p[pos] > MAX_K:
                raise CodecError("corrupt segment: bad decimal places")
            scale = POW10[p[pos]]
            pos += 1
            acc = 0
            for i in range(n):
                pos = _get_varint(p, pos, size, &u)
                acc += <int64_t>(u >> 1) ^ -<int64_t>(u & 1)
                dp[i * columns + c] = <double>acc / scale
        elif kind == 0:
            if pos + 8 * n > size:
                raise CodecError("corrupt segment: too short")
            col = p + pos
            prev = 0
            for i in range(n):
                x = 0
                for b in range(8):
                    x |= (<uint64_t>col[b * n + i]) << (8 * b)
                prev = x ^ prev if i else x
                vp[i * columns + c] = prev
            pos += 8 * n
        else:
            raise CodecError(f"corrupt segment: column kind {kind}")
    if pos != size:
        raise CodecError(f"corrupt segment: {size - pos} bytes left over")
    return 0


def decode(blob, int64_t window, int64_t step):
    cdef bytes raw = _raw(blob)
    cdef int columns
    cdef Py_ssize_t n = _header(raw, &columns)
    cdef cnp.ndarray[int64_t, ndim=1] ts = np.empty(n, np.int64)
    cdef cnp.ndarray[double, ndim=2] values = np.empty((n, columns), np.float64)
    _decode_into(raw, n, columns, window, step, <int64_t*>ts.data, <double*>values.data)
    return ts, values


def decode_batch(blobs, windows, steps):
    """Every blob decoded into one pair of arrays; see the twin's docstring."""
    cdef const int64_t[::1] w = np.ascontiguousarray(windows, np.int64)
    cdef const int64_t[::1] sp = np.ascontiguousarray(steps, np.int64)
    cdef Py_ssize_t k, count = len(blobs), total = 0
    if w.shape[0] != count or sp.shape[0] != count:
        raise ValueError(f"decode_batch: {count} blobs, {w.shape[0]} windows, {sp.shape[0]} steps")
    raws = [_raw(b) for b in blobs]
    cdef cnp.ndarray[int64_t, ndim=1] starts = np.zeros(count + 1, np.int64)
    cdef int columns = -1, c
    for k in range(count):
        starts[k] = total
        total += _header(raws[k], &c)
        if columns >= 0 and c != columns:
            raise CodecError(f"decode_batch: segments of {columns} and of {c} columns")
        columns = c
    starts[count] = total
    if columns < 0:
        columns = 1
    cdef cnp.ndarray[int64_t, ndim=1] ts = np.empty(total, np.int64)
    cdef cnp.ndarray[double, ndim=2] values = np.empty((total, columns), np.float64)
    cdef int64_t* tp = <int64_t*>ts.data
    cdef double* dp = <double*>values.data
    for k in range(count):
        _decode_into(raws[k], starts[k + 1] - starts[k], columns, w[k], sp[k], tp + starts[k], dp + starts[k] * columns)
    return ts, values, starts
