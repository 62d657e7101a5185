# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Compiled carbon plaintext parser and series registry (twin: tsstore/_carbon_parser_py.py).

The hot path never creates Python objects per line: lines are scanned with pointers, names
are looked up in a C open-addressing hash table keyed by their raw bytes, and plain
decimal numbers are converted exactly in C (Clinger's fast path: an integer mantissa below
2**53 divided by an exact power of ten is correctly rounded, so it equals float()).
Anything unusual (exponents, underscores, inf/nan words, long mantissas) goes through
CPython's own float parsing, and only new names reach Python code.
"""
from collections import deque

import numpy as np
cimport numpy as cnp
from libc.stdint cimport int64_t, uint64_t
from libc.stdlib cimport calloc, free, malloc
from libc.string cimport memchr, memcmp, memcpy
from libc.math cimport isnan, isfinite
from cpython.bytes cimport PyBytes_FromStringAndSize

cnp.import_array()

from tsstore import tags as _tags

DROP_REASONS = ("bad_field_count", "bad_value", "bad_timestamp", "line_too_long", "bad_utf8", "bad_tags")
cdef double TS_LIMIT = 4611686018427387904.0  # 2**62

cdef double[23] POW10 = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12,
                         1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22]


cdef inline uint64_t _hash(const unsigned char* p, Py_ssize_t n) nogil:
    cdef uint64_t h = 1469598103934665603ULL ^ <uint64_t>n
    cdef uint64_t w
    cdef Py_ssize_t i = 0
    while i + 8 <= n:
        memcpy(&w, p + i, 8)
        h = (h ^ w) * 0x100000001b3ULL
        h ^= h >> 29
        i += 8
    while i < n:
        h = (h ^ p[i]) * 0x100000001b3ULL
        i += 1
    h ^= h >> 32
    return h * 0x9E3779B97F4A7C15ULL


cdef struct Slot:
    unsigned char* key
    Py_ssize_t klen
    uint64_t hash
    int64_t sid


cdef class SeriesRegistry:
    """Dense integer ids for series names; raw tagged spellings alias their canonical id."""
    cdef Slot* slots
    cdef Py_ssize_t cap, used
    cdef list _names

    def __cinit__(self):
        self.cap = 1 << 16
        self.used = 0
        self.slots = <Slot*>calloc(self.cap, sizeof(Slot))
        if self.slots == NULL:
            raise MemoryError()
        self._names = []

    def __dealloc__(self):
        cdef Py_ssize_t i
        if self.slots != NULL:
            for i in range(self.cap):
                if self.slots[i].key != NULL:
                    free(self.slots[i].key)
            free(self.slots)

    def __len__(self):
        return len(self._names)

    cdef inline int64_t lookup(self, const unsigned char* p, Py_ssize_t n, uint64_t h) nogil:
        cdef Py_ssize_t mask = self.cap - 1
        cdef Py_ssize_t i = <Py_ssize_t>(h & mask)
        cdef Slot* s
        while True:
            s = &self.slots[i]
            if s.key == NULL:
                return -1
            if s.hash == h and s.klen == n and memcmp(s.key, p, n) == 0:
                return s.sid
            i = (i + 1) & mask

    cdef int _grow(self) except -1:
        cdef Slot* old = self.slots
        cdef Py_ssize_t old_cap = self.cap, i, j, mask
        cdef Slot* fresh = <Slot*>calloc(old_cap * 2, sizeof(Slot))
        if fresh == NULL:
            raise MemoryError()
        self.slots = fresh
        self.cap = old_cap * 2
        mask = self.cap - 1
        for i in range(old_cap):
            if old[i].key != NULL:
                j = <Py_ssize_t>(old[i].hash & mask)
                while self.slots[j].key != NULL:
                    j = (j + 1) & mask
                self.slots[j] = old[i]
        free(old)
        return 0

    cdef int insert(self, const unsigned char* p, Py_ssize_t n, uint64_t h, int64_t sid) except -1:
        cdef Py_ssize_t mask, i
        if (self.used + 1) * 2 > self.cap:
            self._grow()
        mask = self.cap - 1
        i = <Py_ssize_t>(h & mask)
        while self.slots[i].key != NULL:
            i = (i + 1) & mask
        self.slots[i].key = <unsigned char*>malloc(n if n > 0 else 1)
        if self.slots[i].key == NULL:
            raise MemoryError()
        memcpy(self.slots[i].key, p, n)
        self.slots[i].klen = n
        self.slots[i].hash = h
        self.slots[i].sid = sid
        self.used += 1
        return 0

    def get(self, name):
        cdef const unsigned char[::1] mv = bytes(name)
        cdef Py_ssize_t n = mv.shape[0]
        cdef const unsigned char* p = &mv[0] if n else <const unsigned char*>b""
        return self.lookup(p, n, _hash(p, n))

    def id_of(self, name):
        cdef bytes raw = bytes(name)
        cdef const unsigned char* p = <const unsigned char*>raw
        cdef Py_ssize_t n = len(raw)
        cdef uint64_t h = _hash(p, n)
        cdef int64_t sid = self.lookup(p, n, h)
        if sid < 0:
            sid = len(self._names)
            self._names.append(raw.decode("utf-8"))
            self.insert(p, n, h, sid)
        return sid

    def name_of(self, Py_ssize_t sid):
        return self._names[sid]

    def names_since(self, Py_ssize_t first_sid):
        return self._names[first_sid:]

    def resolve_new(self, raw):
        """Id for a name seen on the wire for the first time; -2 bad UTF-8, -3 bad tags."""
        raw = bytes(raw)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return -2
        if _tags.is_tagged(text):
            try:
                text = _tags.canonical(text)
            except _tags.InvalidTagError:
                return -3
        cdef int64_t sid = self.id_of(text.encode("utf-8"))
        cdef const unsigned char* p = <const unsigned char*>raw
        cdef Py_ssize_t n = len(raw)
        cdef uint64_t h = _hash(p, n)
        if self.lookup(p, n, h) < 0:
            self.insert(p, n, h, sid)
        return sid


class PointBatch:
    __slots__ = ("sids", "timestamps", "values")

    def __init__(self, sids, timestamps, values):
        self.sids, self.timestamps, self.values = sids, timestamps, values

    def __len__(self):
        return len(self.sids)


cdef inline bint _is_ws(unsigned char c) nogil:
    return c == 32 or c == 9 or c == 13 or c == 11 or c == 12 or c == 10


# Result codes of _parse_number
DEF NUM_OK = 0
DEF NUM_BAD = 1
DEF NUM_SLOW = 2


cdef inline int _fast_number(const unsigned char* p, Py_ssize_t n, double* out, bint* is_int, int64_t* ival) nogil:
    """Plain [-+]digits[.digits] with at most 15 significant digits; else NUM_SLOW."""
    cdef Py_ssize_t i = 0, digits = 0, frac = 0
    cdef bint neg = False, seen_dot = False
    cdef uint64_t m = 0
    cdef unsigned char c
    if n == 0:
        return NUM_BAD
    if p[0] == 45 or p[0] == 43:  # - +
        neg = p[0] == 45
        i = 1
    if i == n:
        return NUM_SLOW
    while i < n:
        c = p[i]
        if 48 <= c <= 57:
            if digits > 0 or c != 48:
                digits += 1
            if digits > 15:
                return NUM_SLOW
            m = m * 10 + (c - 48)
            if seen_dot:
                frac += 1
        elif c == 46 and not seen_dot:  # '.'
            seen_dot = True
        else:
            return NUM_SLOW
        i += 1
    if seen_dot and n - (1 if (p[0] == 45 or p[0] == 43) else 0) == 1:
        return NUM_SLOW  # a lone '.'
    if frac > 22:
        return NUM_SLOW
    is_int[0] = not seen_dot
    ival[0] = -<int64_t>m if neg else <int64_t>m
    out[0] = (<double>m) / POW10[frac] if frac else <double>m
    if neg:
        out[0] = -out[0]
    return NUM_OK


cdef object _float = float


cdef inline int _parse_number(const unsigned char* p, Py_ssize_t n, double* out, bint* is_int, int64_t* ival) except -1:
    cdef int r = _fast_number(p, n, out, is_int, ival)
    if r != NUM_SLOW:
        return r
    is_int[0] = False
    try:
        out[0] = _float(PyBytes_FromStringAndSize(<const char*>p, n))
    except ValueError:
        return NUM_BAD
    return NUM_OK


cdef class CarbonLineParser:
    cdef readonly SeriesRegistry registry
    cdef public Py_ssize_t max_line_length
    cdef public dict stats
    cdef public object recent_errors
    cdef bytearray _partial
    cdef bint _skipping
    # counters kept in C during a feed, folded into stats at the end
    cdef int64_t c_lines, c_points, c_nan, c_fields, c_value, c_ts, c_long, c_utf8, c_tags

    def __init__(self, SeriesRegistry registry, Py_ssize_t max_line_length=16384):
        self.registry = registry
        self.max_line_length = max_line_length
        self.stats = {"lines": 0, "points": 0, "nan_values": 0}
        for r in DROP_REASONS:
            self.stats[r] = 0
        self.recent_errors = deque(maxlen=32)
        self._partial = bytearray()
        self._skipping = False

    def reset(self):
        self._partial = bytearray()
        self._skipping = False

    cdef void _zero(self):
        self.c_lines = self.c_points = self.c_nan = self.c_fields = self.c_value = 0
        self.c_ts = self.c_long = self.c_utf8 = self.c_tags = 0

    cdef void _fold(self):
        s = self.stats
        s["lines"] += self.c_lines
        s["points"] += self.c_points
        s["nan_values"] += self.c_nan
        s["bad_field_count"] += self.c_fields
        s["bad_value"] += self.c_value
        s["bad_timestamp"] += self.c_ts
        s["line_too_long"] += self.c_long
        s["bad_utf8"] += self.c_utf8
        s["bad_tags"] += self.c_tags

    cdef void _error(self, str reason, const unsigned char* p, Py_ssize_t n):
        self.recent_errors.append((reason, PyBytes_FromStringAndSize(<const char*>p, n if n < 400 else 400).decode("utf-8", "replace")))

    cdef int _line(self, const unsigned char* p, Py_ssize_t n, int64_t now,
                   int64_t* sids, int64_t* tss, double* vals, Py_ssize_t* k) except -1:
        cdef const unsigned char* line = p
        cdef Py_ssize_t line_n = n
        cdef Py_ssize_t a, b, i
        cdef Py_ssize_t fs[3]
        cdef Py_ssize_t fe[3]
        cdef int nf = 0
        cdef double value, tsd
        cdef bint v_int, t_int
        cdef int64_t v_ival, t_ival, sid, ts
        # trim
        a = 0
        b = n
        while a < b and _is_ws(p[a]):
            a += 1
        while b > a and _is_ws(p[b - 1]):
            b -= 1
        if a == b:
            return 0
        self.c_lines += 1
        i = a
        while i < b:
            while i < b and _is_ws(p[i]):
                i += 1
            if i >= b:
                break
            if nf == 3:
                nf = 4
                break
            fs[nf] = i
            while i < b and not _is_ws(p[i]):
                i += 1
            fe[nf] = i
            nf += 1
        if nf != 3:
            self.c_fields += 1
            self._error("bad_field_count", line, line_n)
            return 0
        if _parse_number(p + fs[1], fe[1] - fs[1], &value, &v_int, &v_ival) != NUM_OK:
            self.c_value += 1
            self._error("bad_value", line, line_n)
            return 0
        if _parse_number(p + fs[2], fe[2] - fs[2], &tsd, &t_int, &t_ival) != NUM_OK \
                or not isfinite(tsd) or not (-TS_LIMIT < tsd < TS_LIMIT):
            self.c_ts += 1
            self._error("bad_timestamp", line, line_n)
            return 0
        if isnan(value):
            self.c_nan += 1
            return 0
        h = _hash(p + fs[0], fe[0] - fs[0])
        sid = self.registry.lookup(p + fs[0], fe[0] - fs[0], h)
        if sid < 0:
            sid = self.registry.resolve_new(PyBytes_FromStringAndSize(<const char*>(p + fs[0]), fe[0] - fs[0]))
            if sid == -2:
                self.c_utf8 += 1
                self._error("bad_utf8", line, line_n)
                return 0
            if sid == -3:
                self.c_tags += 1
                self._error("bad_tags", line, line_n)
                return 0
        if t_int:
            ts = now if t_ival == -1 else t_ival
        else:
            ts = now if tsd == -1.0 else <int64_t>tsd
        sids[k[0]] = sid
        tss[k[0]] = ts
        vals[k[0]] = value
        k[0] += 1
        self.c_points += 1
        return 0

    def feed(self, data, int64_t now):
        cdef const unsigned char[::1] mv = bytes(data) if not isinstance(data, bytes) else data
        cdef Py_ssize_t n = mv.shape[0]
        cdef const unsigned char* p = &mv[0] if n else <const unsigned char*>b""
        cdef Py_ssize_t lines = 1, i = 0, start = 0, k = 0
        cdef const unsigned char* q
        cdef const unsigned char* nl
        # upper bound on output rows: newlines (+1 for the partial line completed first)
        q = p
        while True:
            nl = <const unsigned char*>memchr(q, 10, n - (q - p)) if n - (q - p) > 0 else NULL
            if nl == NULL:
                break
            lines += 1
            q = nl + 1
        cdef cnp.ndarray[int64_t, ndim=1] a_sid = np.empty(lines, np.int64)
        cdef cnp.ndarray[int64_t, ndim=1] a_ts = np.empty(lines, np.int64)
        cdef cnp.ndarray[double, ndim=1] a_val = np.empty(lines, np.float64)
        cdef int64_t* sids = <int64_t*>a_sid.data
        cdef int64_t* tss = <int64_t*>a_ts.data
        cdef double* vals = <double*>a_val.data
        cdef bytes joined
        self._zero()
        try:
            while start < n:
                nl = <const unsigned char*>memchr(p + start, 10, n - start)
                if nl == NULL:
                    break
                i = nl - p
                if self._skipping:
                    self._skipping = False
                    self._partial = bytearray()
                elif len(self._partial):
                    if len(self._partial) + (i - start) > self.max_line_length:
                        self.c_long += 1
                        joined = bytes(self._partial) + bytes(mv[start:min(i, start + 400)])
                        self._error("line_too_long", <const unsigned char*>joined, len(joined))
                    else:
                        self._partial += mv[start:i]
                        joined = bytes(self._partial)
                        self._line(<const unsigned char*>joined, len(joined), now, sids, tss, vals, &k)
                    self._partial = bytearray()
                elif i - start > self.max_line_length:
                    self.c_long += 1
                    self._error("line_too_long", p + start, i - start)
                else:
                    self._line(p + start, i - start, now, sids, tss, vals, &k)
                start = i + 1
            if start < n and not self._skipping:
                if len(self._partial) + (n - start) > self.max_line_length:
                    self.c_long += 1
                    self._partial += mv[start:n]
                    self._error("line_too_long", <const unsigned char*>(<char*>self._partial), len(self._partial))
                    self._partial = bytearray()
                    self._skipping = True
                else:
                    self._partial += mv[start:n]
        finally:
            self._fold()
        return PointBatch(a_sid[:k].copy(), a_ts[:k].copy(), a_val[:k].copy())

    def finish(self, int64_t now):
        """Parse a last line that had no newline (a UDP datagram's last line)."""
        cdef cnp.ndarray[int64_t, ndim=1] a_sid = np.empty(1, np.int64)
        cdef cnp.ndarray[int64_t, ndim=1] a_ts = np.empty(1, np.int64)
        cdef cnp.ndarray[double, ndim=1] a_val = np.empty(1, np.float64)
        cdef Py_ssize_t k = 0
        cdef bytes line
        if self._skipping or not len(self._partial):
            self.reset()
            return PointBatch(a_sid[:0], a_ts[:0], a_val[:0])
        line = bytes(self._partial)
        self._partial = bytearray()
        self._zero()
        try:
            self._line(<const unsigned char*>line, len(line), now, <int64_t*>a_sid.data, <int64_t*>a_ts.data, <double*>a_val.data, &k)
        finally:
            self._fold()
        return PointBatch(a_sid[:k], a_ts[:k], a_val[:k])
