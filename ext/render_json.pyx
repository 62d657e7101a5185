# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Compiled JSON writer for render datapoints; the contract and the twin are in
tsstore/api/render_json.py (tsstore.api.render_json), which also gives the spellings of null
and the infinities.

Writes `[[value, timestamp], ...]` straight into a byte buffer: values as Python's repr
(what graphite-web's json module prints), NaN as null, +-inf as 1e9999/-1e9999 (or null).
"""
from libc.stdint cimport int64_t
from libc.stdlib cimport malloc, realloc, free
from libc.string cimport memcpy, strlen
from libc.math cimport isnan, isinf
from cpython.bytes cimport PyBytes_FromStringAndSize
from cpython.mem cimport PyMem_Free

from tsstore.api.render_json import INFINITY, NEG_INFINITY, NULL as NULL_TEXT  # NULL is C's

cdef extern from "Python.h":
    char* PyOS_double_to_string(double val, char format_code, int precision, int flags, int *ptype) except NULL
    int Py_DTSF_ADD_DOT_0


cdef inline Py_ssize_t _write_int(char* out, long long x) noexcept nogil:
    """Decimal digits of x at out; returns how many bytes (snprintf costs ~10x more)."""
    cdef char digits[24]
    cdef Py_ssize_t n = 0, k = 0
    cdef unsigned long long u
    if x < 0:
        out[0] = b'-'
        k = 1
        u = <unsigned long long>(-(x + 1)) + 1
    else:
        u = <unsigned long long>x
    while True:
        digits[n] = <char>(48 + u % 10)
        n += 1
        u //= 10
        if u == 0:
            break
    while n:
        n -= 1
        out[k] = digits[n]
        k += 1
    return k


# The twin's spellings as C strings (the bytes objects keep the memory alive).
cdef bytes _NULL = NULL_TEXT.encode()
cdef bytes _INF = INFINITY.encode()
cdef bytes _NEG_INF = NEG_INFINITY.encode()
cdef const char* c_null = _NULL
cdef const char* c_inf = _INF
cdef const char* c_neg_inf = _NEG_INF
cdef Py_ssize_t n_null = len(_NULL), n_inf = len(_INF), n_neg_inf = len(_NEG_INF)


cdef double[5] _POW10 = [1.0, 10.0, 100.0, 1000.0, 10000.0]


cdef inline Py_ssize_t _write_short_decimal(char* out, double v) noexcept nogil:
    """v as Python's repr when v is the double nearest to a decimal with at most 4 places and
    at most 15 significant digits (two-decimal gauges and the like); 0 when it is not.

    Why it equals repr: the double nearest to n/10^k with <= 15 digits is reached by no other
    decimal of <= 15 digits, so the shortest round-trip string is that decimal without
    trailing zeros, in fixed notation (repr switches to exponents only below 1e-4)."""
    cdef int k
    cdef double x, a
    cdef long long n, whole, frac
    cdef Py_ssize_t pos = 0, d
    cdef char digits[4]
    if v == 0:
        return 0
    a = -v if v < 0 else v
    for k in range(1, 5):
        x = a * _POW10[k]
        if x >= 1e15:
            return 0
        n = <long long>(x + 0.5)  # the nearest k-place decimal; exact iff dividing back gives a
        if <double>n / _POW10[k] == a:
            if v < 0:
                out[0] = b'-'
                pos = 1
            whole = n // <long long>_POW10[k]
            frac = n % <long long>_POW10[k]
            pos += _write_int(out + pos, whole)
            out[pos] = b'.'
            pos += 1
            for d in range(k - 1, -1, -1):
                digits[d] = <char>(48 + frac % 10)
                frac //= 10
            d = k
            while d > 1 and digits[d - 1] == b'0':
                d -= 1
            memcpy(out + pos, digits, d)
            return pos + d
    return 0


def datapoints_json(const double[::1] values, int64_t start, int64_t step, bint inf_as_null=False, bint skip_null=False):
    cdef Py_ssize_t n = values.shape[0], i, cap = 64 + n * 40, pos = 0, L
    cdef char* buf = <char*>malloc(cap)
    cdef char* s
    cdef double v
    cdef bint first = True
    if buf == NULL:
        raise MemoryError()
    try:
        buf[pos] = b'['
        pos += 1
        for i in range(n):
            v = values[i]
            if skip_null and isnan(v):
                continue
            if cap - pos < 96:
                cap *= 2
                s = <char*>realloc(buf, cap)
                if s == NULL:
                    raise MemoryError()
                buf = s
            if not first:
                buf[pos] = b','
                buf[pos + 1] = b' '
                pos += 2
            first = False
            buf[pos] = b'['
            pos += 1
            if isnan(v) or (isinf(v) and inf_as_null):
                memcpy(buf + pos, c_null, n_null)
                pos += n_null
            elif isinf(v):
                if v > 0:
                    memcpy(buf + pos, c_inf, n_inf)
                    pos += n_inf
                else:
                    memcpy(buf + pos, c_neg_inf, n_neg_inf)
                    pos += n_neg_inf
            elif v == <double>(<long long>v) and -1e15 < v < 1e15 and not (v == 0 and 1.0 / v < 0):
                # whole numbers (counters, most gauges): repr is "<int>.0", no dtoa needed
                pos += _write_int(buf + pos, <long long>v)
                buf[pos] = b'.'
                buf[pos + 1] = b'0'
                pos += 2
            else:
                L = _write_short_decimal(buf + pos, v)
                if L == 0:  # any other double: CPython's shortest round-trip repr
                    s = PyOS_double_to_string(v, b'r', 0, Py_DTSF_ADD_DOT_0, NULL)
                    L = strlen(s)
                    memcpy(buf + pos, s, L)
                    PyMem_Free(s)
                pos += L
            buf[pos] = b','
            buf[pos + 1] = b' '
            pos += 2
            pos += _write_int(buf + pos, <long long>(start + i * step))
            buf[pos] = b']'
            pos += 1
        buf[pos] = b']'
        pos += 1
        return PyBytes_FromStringAndSize(buf, pos)
    finally:
        free(buf)
