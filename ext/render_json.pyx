# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Compiled JSON writer for render datapoints (twin: tsstore/_render_json_py.py).

Writes `[[value, timestamp], ...]` straight into a byte buffer: values as Python's repr
(what graphite-web's json module prints), NaN as null, +-inf as 1e9999/-1e9999 (or null).
"""
from libc.stdint cimport int64_t
from libc.stdlib cimport malloc, realloc, free
from libc.string cimport memcpy, strlen
from libc.stdio cimport snprintf
from libc.math cimport isnan, isinf
from cpython.bytes cimport PyBytes_FromStringAndSize
from cpython.mem cimport PyMem_Free

cdef extern from "Python.h":
    char* PyOS_double_to_string(double val, char format_code, int precision, int flags, int *ptype) except NULL
    int Py_DTSF_ADD_DOT_0


def datapoints_json(const double[::1] values, int64_t start, int64_t step, bint inf_as_null=False, bint skip_null=False):
    cdef Py_ssize_t n = values.shape[0], i, cap = 64 + n * 40, pos = 0, L
    cdef char* buf = <char*>malloc(cap)
    cdef char* s
    cdef char tmp[32]
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
                memcpy(buf + pos, b"null", 4)
                pos += 4
            elif isinf(v):
                if v > 0:
                    memcpy(buf + pos, b"1e9999", 6)
                    pos += 6
                else:
                    memcpy(buf + pos, b"-1e9999", 7)
                    pos += 7
            elif v == <double>(<long long>v) and -1e15 < v < 1e15 and not (v == 0 and 1.0 / v < 0):
                # whole numbers (counters, most gauges): repr is "<int>.0", no dtoa needed
                L = snprintf(tmp, 32, "%lld.0", <long long>v)
                memcpy(buf + pos, tmp, L)
                pos += L
            else:
                s = PyOS_double_to_string(v, b'r', 0, Py_DTSF_ADD_DOT_0, NULL)
                L = strlen(s)
                memcpy(buf + pos, s, L)
                pos += L
                PyMem_Free(s)
            L = snprintf(tmp, 32, ", %lld]", <long long>(start + i * step))
            memcpy(buf + pos, tmp, L)
            pos += L
        buf[pos] = b']'
        pos += 1
        return PyBytes_FromStringAndSize(buf, pos)
    finally:
        free(buf)
