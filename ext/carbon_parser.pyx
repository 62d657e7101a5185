# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Compiled carbon plaintext parser and series registry (twin: tsstore/ingest/carbon_parser.py,
which documents the behaviour; the tests hold the two to the same results).

Hot path: no Python object per line. Lines are cut with memchr and scanned with pointers.
C settles a line only when the outcome is certain: three fields separated by ASCII
whitespace, value and timestamp in a plain decimal form that tss_number converts exactly, and
a first field found in the wire table (C open addressing, keyed by the raw bytes). A first
field never seen before that is plain ASCII and untagged is registered with one small call.
Every other line (errors, NaN/inf, other number spellings, non-ASCII or tagged names seen
for the first time) goes through _slow_line, which calls the twin's classify_line, so both
implementations answer the same by construction. The C helpers are in ext/carbon_parser.h;
the constants and Python-level helpers come from the twin and tsstore.ingest.points.

Lines are handled BATCH at a time in three passes (scan and hash, probe the table, settle in
order), with prefetches between the passes so the cache misses of the hash table overlap.
"""
import os
from collections import deque

import numpy as np
cimport numpy as cnp
from libc.stdint cimport int64_t, uint32_t, uint64_t
from libc.stdlib cimport free, malloc, realloc, calloc
from libc.string cimport memchr, memcmp, memcpy
from cpython.bytes cimport PyBytes_FromStringAndSize
from cpython.unicode cimport PyUnicode_DecodeUTF8

cnp.import_array()

from tsstore.index import tags as _tags
from tsstore.ingest.carbon_parser import DROP_REASONS, PointBatch, classify_line, error_text, resolves_to_itself
from tsstore.ingest.points import TS_LIMIT, series_key

cdef extern from "carbon_parser.h":
    const unsigned char* TSS_WS
    void TSS_PREFETCH(const void* p) nogil
    uint64_t tss_hash(const unsigned char* p, Py_ssize_t n, uint64_t seed) nogil
    const unsigned char* tss_number(const unsigned char* p, const unsigned char* end, double* out) nogil
    const unsigned char* tss_field_end(const unsigned char* s, const unsigned char* e) nogil

cdef uint64_t HASH_SEED = int.from_bytes(os.urandom(8), "little")
cdef double C_TS_LIMIT = TS_LIMIT

cdef enum:
    FLAG_WIRE = 1   # key is a line's first field that resolves to sid
    FLAG_NAME = 2   # key is the registered (canonical) name of sid
    ARENA_BLOCK = 1 << 20
    MAX_KEY = 0x7FFFFFFF


cdef void* _grown(void* p, size_t size) except NULL:
    """realloc, raising MemoryError where it fails (p is then still valid)."""
    cdef void* q = realloc(p, size)
    if q == NULL:
        raise MemoryError()
    return q


cdef struct Entry:  # 32 bytes: two per cache line
    uint64_t hash
    const unsigned char* key
    int64_t sid
    uint32_t klen
    uint32_t flags


cdef class SeriesRegistry:
    """Dense integer ids for series names, shared by all connections.

    One C hash table holds two kinds of keys (flags): registered names (id_of/get) and wire
    spellings, the first field of a line that resolved to a name (a tagged name with tags in
    any order, say). Keys live in an arena of large blocks, freed with the registry. A name
    is decoded from the arena when asked for (name_of), not kept as a str: 12 bytes per id
    instead of about 90.
    """
    cdef Entry* table
    cdef Py_ssize_t cap, used
    cdef uint64_t version      # bumped by every insert: lets a parser trust an earlier probe
    # per id: its name's bytes in the arena (no str per series: decoded when asked for)
    cdef const unsigned char** name_at
    cdef uint32_t* name_len
    cdef Py_ssize_t n_names, names_cap
    cdef unsigned char** blocks  # arena blocks holding the keys, freed in __dealloc__
    cdef Py_ssize_t n_blocks, blocks_cap
    cdef unsigned char* arena
    cdef Py_ssize_t arena_left

    def __cinit__(self):
        self.cap = 1 << 12
        self.used = 0
        self.version = 0
        self.table = <Entry*>calloc(self.cap, sizeof(Entry))
        if self.table == NULL:
            raise MemoryError()
        self.name_at = NULL
        self.name_len = NULL
        self.n_names = self.names_cap = 0
        self.blocks = NULL
        self.n_blocks = self.blocks_cap = 0
        self.arena = NULL
        self.arena_left = 0

    def __dealloc__(self):
        cdef Py_ssize_t i
        free(self.table)
        free(self.name_at)
        free(self.name_len)
        for i in range(self.n_blocks):
            free(self.blocks[i])
        free(self.blocks)

    def __len__(self):
        return self.n_names

    cdef inline int64_t lookup(self, const unsigned char* p, Py_ssize_t n, uint64_t h, int want) noexcept nogil:
        cdef Py_ssize_t mask = self.cap - 1
        cdef Py_ssize_t i = <Py_ssize_t>(h & mask)
        cdef Entry* e
        while True:
            e = &self.table[i]
            if e.key == NULL:
                return -1
            if e.hash == h and e.klen == n and (e.flags & want) and memcmp(e.key, p, n) == 0:
                return e.sid
            i = (i + 1) & mask

    cdef const unsigned char* _store_key(self, const unsigned char* p, Py_ssize_t n) except NULL:
        cdef unsigned char* block
        cdef Py_ssize_t size
        if n + 1 > self.arena_left:
            if self.n_blocks == self.blocks_cap:
                self.blocks = <unsigned char**>_grown(self.blocks, (self.blocks_cap * 2 + 16) * sizeof(unsigned char*))
                self.blocks_cap = self.blocks_cap * 2 + 16
            size = ARENA_BLOCK if n + 1 <= ARENA_BLOCK // 16 else n + 1
            block = <unsigned char*>malloc(size)
            if block == NULL:
                raise MemoryError()
            self.blocks[self.n_blocks] = block
            self.n_blocks += 1
            if size == ARENA_BLOCK:
                self.arena = block
                self.arena_left = size
            else:  # a big key gets a block of its own; the current block stays in use
                memcpy(block, p, n)
                return block
        block = self.arena
        memcpy(block, p, n)
        self.arena += n
        self.arena_left -= n
        return block

    cdef int _grow(self) except -1:
        cdef Entry* old = self.table
        cdef Py_ssize_t old_cap = self.cap, i, j, mask
        cdef Entry* fresh = <Entry*>calloc(old_cap * 2, sizeof(Entry))
        if fresh == NULL:
            raise MemoryError()
        mask = old_cap * 2 - 1
        for i in range(old_cap):
            if old[i].key != NULL:
                j = <Py_ssize_t>(old[i].hash & mask)
                while fresh[j].key != NULL:
                    j = (j + 1) & mask
                fresh[j] = old[i]
        self.table = fresh
        self.cap = old_cap * 2
        free(old)
        return 0

    cdef int64_t add_name(self, const unsigned char* p, Py_ssize_t n, uint64_t h, int flags) except -1:
        """A new name (not registered yet, valid UTF-8): its id, the next one."""
        cdef Py_ssize_t cap
        cdef int64_t sid = self.n_names
        if self.n_names == self.names_cap:
            cap = self.names_cap * 2 if self.names_cap else 4096
            self.name_at = <const unsigned char**>_grown(self.name_at, cap * sizeof(unsigned char*))
            self.name_len = <uint32_t*>_grown(self.name_len, cap * sizeof(uint32_t))
            self.names_cap = cap
        self.name_at[sid] = self.insert(p, n, h, sid, flags)
        self.name_len[sid] = <uint32_t>n
        self.n_names += 1
        return sid

    cdef const unsigned char* insert(self, const unsigned char* p, Py_ssize_t n, uint64_t h, int64_t sid, int flag) except NULL:
        """Map key -> sid under `flag`; an entry with the same key and sid just gains the flag.
        Returns where the key is kept."""
        cdef Py_ssize_t mask, i
        cdef Entry* e
        if n > MAX_KEY:
            raise ValueError(f"series name of {n} bytes is too long")
        if (self.used + 1) * 2 > self.cap:
            self._grow()
        mask = self.cap - 1
        i = <Py_ssize_t>(h & mask)
        while self.table[i].key != NULL:
            e = &self.table[i]
            if e.hash == h and e.klen == n and e.sid == sid and memcmp(e.key, p, n) == 0:
                e.flags |= flag
                self.version += 1
                return e.key
            i = (i + 1) & mask
        e = &self.table[i]
        e.key = self._store_key(p, n)
        e.klen = <uint32_t>n
        e.hash = h
        e.sid = sid
        e.flags = flag
        self.used += 1
        self.version += 1
        return e.key

    def get(self, name):
        cdef const unsigned char[::1] mv = _byte_view(name)
        cdef Py_ssize_t n = mv.shape[0]
        cdef const unsigned char* p = &mv[0] if n else <const unsigned char*>b""
        return self.lookup(p, n, tss_hash(p, n, HASH_SEED), FLAG_NAME)

    def id_of(self, name):
        cdef const unsigned char[::1] mv = _byte_view(name)
        cdef Py_ssize_t n = mv.shape[0]
        cdef const unsigned char* p = &mv[0] if n else <const unsigned char*>b""
        cdef uint64_t h = tss_hash(p, n, HASH_SEED)
        cdef int64_t sid = self.lookup(p, n, h, FLAG_NAME)
        if sid >= 0:
            return sid
        if n > MAX_KEY:
            raise ValueError(f"series name of {n} bytes is too long")
        text = PyBytes_FromStringAndSize(<const char*>p, n).decode("utf-8")  # raises on bad UTF-8
        return self.add_name(p, n, h, FLAG_NAME | (FLAG_WIRE if resolves_to_itself(text) else 0))

    def name_of(self, Py_ssize_t sid):
        if not 0 <= sid < self.n_names:
            raise IndexError(f"no series with id {sid}")
        return PyUnicode_DecodeUTF8(<const char*>self.name_at[sid], self.name_len[sid], NULL)

    def names_since(self, Py_ssize_t first_sid):
        return [PyUnicode_DecodeUTF8(<const char*>self.name_at[i], self.name_len[i], NULL)
                for i in range(max(first_sid, 0), self.n_names)]

    def wire_id(self, str field):
        """Id of a line's first field (already split and decoded); -1 when its tags are invalid."""
        cdef bytes raw = field.encode("utf-8")
        cdef const unsigned char* p = <const unsigned char*>raw
        cdef Py_ssize_t n = len(raw)
        cdef uint64_t h = tss_hash(p, n, HASH_SEED)
        cdef int64_t sid = self.lookup(p, n, h, FLAG_WIRE)
        if sid >= 0:
            return sid
        try:
            key = series_key(field)
        except _tags.InvalidTagError:
            return -1
        sid = self.id_of(key.encode("utf-8"))
        self.insert(p, n, h, sid, FLAG_WIRE)
        return sid

    cdef int64_t new_plain_wire(self, const unsigned char* p, Py_ssize_t n, uint64_t h) except -2:
        """wire_id for an ASCII first field without whitespace, ';' or '{': its own name."""
        cdef int64_t sid = self.lookup(p, n, h, FLAG_NAME)
        if sid >= 0:
            self.insert(p, n, h, sid, FLAG_WIRE)
        else:
            sid = self.add_name(p, n, h, FLAG_NAME | FLAG_WIRE)
        return sid


cdef const unsigned char[::1] _byte_view(obj) except *:
    """A contiguous byte view of any buffer (bytes, bytearray, memoryview of any format)."""
    try:
        return obj
    except (TypeError, ValueError):
        return memoryview(obj).tobytes()


cdef inline bint _plain_ascii_name(const unsigned char* p, Py_ssize_t n) noexcept nogil:
    """No byte >= 0x80, no ';' and no '{': the name is not tagged and decodes as ASCII."""
    cdef Py_ssize_t i
    for i in range(n):
        if p[i] >= 0x80 or p[i] == 59 or p[i] == 123:
            return False
    return True


cdef enum:  # results of the C line scanner
    LINE_BLANK = 0
    LINE_FAST = 1
    LINE_SLOW = 2
    LINE_LONG = 3
    BATCH = 32   # lines scanned ahead, so their hash-table reads overlap


cdef struct Fields:
    const unsigned char* name
    Py_ssize_t name_len
    double value
    int64_t ts


cdef struct Pending:  # one scanned line of a batch
    const unsigned char* s
    Py_ssize_t n
    int kind
    Fields f
    uint64_t h
    Py_ssize_t slot   # table index of the probable entry, -1 when the name is absent


cdef inline int _scan_line(const unsigned char* s, const unsigned char* e, Fields* f) noexcept nogil:
    """Split a line into 3 ASCII-whitespace fields and convert the numbers when plain."""
    cdef double ts
    while s < e and TSS_WS[s[0]]:
        s += 1
    if s == e:
        return LINE_BLANK
    f.name = s
    s = tss_field_end(s, e)
    f.name_len = s - f.name
    while s < e and TSS_WS[s[0]]:
        s += 1
    s = tss_number(s, e, &f.value)
    if s == NULL or s == e or not TSS_WS[s[0]]:
        return LINE_SLOW
    while s < e and TSS_WS[s[0]]:
        s += 1
    s = tss_number(s, e, &ts)
    if s == NULL:
        return LINE_SLOW
    while s < e and TSS_WS[s[0]]:
        s += 1
    if s != e or not (-C_TS_LIMIT < ts < C_TS_LIMIT):
        return LINE_SLOW
    f.ts = <int64_t>ts
    return LINE_FAST


cdef class CarbonLineParser:
    """One per connection: keeps the partial last line (at most max_line_length bytes)."""
    cdef readonly SeriesRegistry registry
    cdef readonly Py_ssize_t max_line_length
    cdef public dict stats
    cdef public object recent_errors
    # the partial last line of the previous feed
    cdef unsigned char* partial
    cdef Py_ssize_t partial_len, partial_cap
    cdef bint skipping
    # output rows of the current feed
    cdef int64_t* out_sid
    cdef int64_t* out_ts
    cdef double* out_val
    cdef Py_ssize_t out_len, out_cap
    # counters of the fast path in the current feed, folded into stats at its end (the rare
    # outcomes, drops and NaN, count in stats straight away)
    cdef int64_t n_lines, n_points

    def __cinit__(self):
        self.partial = NULL
        self.out_sid = self.out_ts = NULL
        self.out_val = NULL

    def __init__(self, SeriesRegistry registry, Py_ssize_t max_line_length=16384):
        if max_line_length < 1:
            raise ValueError("max_line_length must be at least 1")
        self.registry = registry
        self.max_line_length = max_line_length
        self.stats = {"lines": 0, "points": 0, "nan_values": 0}
        for reason in DROP_REASONS:
            self.stats[reason] = 0
        self.recent_errors = deque(maxlen=32)
        self.partial_len = self.partial_cap = 0
        self.skipping = False
        self.out_len = self.out_cap = 0

    def __dealloc__(self):
        free(self.partial)
        free(self.out_sid)
        free(self.out_ts)
        free(self.out_val)

    def reset(self):
        """Forget the partial line (a TCP connection closed: carbon discards it)."""
        self.partial_len = 0
        self.skipping = False

    # ---- output rows -------------------------------------------------------------------

    cdef int _grow_out(self) except -1:
        cdef Py_ssize_t cap = self.out_cap * 2 if self.out_cap else 4096
        self.out_sid = <int64_t*>_grown(self.out_sid, cap * sizeof(int64_t))
        self.out_ts = <int64_t*>_grown(self.out_ts, cap * sizeof(int64_t))
        self.out_val = <double*>_grown(self.out_val, cap * sizeof(double))
        self.out_cap = cap
        return 0

    cdef inline int _emit(self, int64_t sid, int64_t ts, double value, int64_t now) except -1:
        if self.out_len == self.out_cap:
            self._grow_out()
        self.out_sid[self.out_len] = sid
        self.out_ts[self.out_len] = now if ts == -1 else ts
        self.out_val[self.out_len] = value
        self.out_len += 1
        self.n_points += 1
        return 0

    cdef object _take_batch(self):
        cdef Py_ssize_t k = self.out_len
        cdef cnp.ndarray sids = np.empty(k, np.int64)
        cdef cnp.ndarray tss = np.empty(k, np.int64)
        cdef cnp.ndarray vals = np.empty(k, np.float64)
        if k:
            memcpy(cnp.PyArray_DATA(sids), self.out_sid, k * sizeof(int64_t))
            memcpy(cnp.PyArray_DATA(tss), self.out_ts, k * sizeof(int64_t))
            memcpy(cnp.PyArray_DATA(vals), self.out_val, k * sizeof(double))
        self.out_len = 0
        if self.out_cap > (1 << 20):  # do not keep a huge scratch after one huge feed
            free(self.out_sid)
            free(self.out_ts)
            free(self.out_val)
            self.out_sid = self.out_ts = NULL
            self.out_val = NULL
            self.out_cap = 0
        return PointBatch(sids, tss, vals)

    cdef void _begin(self) noexcept:
        self.out_len = 0
        self.n_lines = self.n_points = 0

    cdef void _fold(self):
        if self.n_lines:
            self.stats["lines"] += self.n_lines
        if self.n_points:
            self.stats["points"] += self.n_points

    # ---- lines ---------------------------------------------------------------------------

    cdef int _too_long(self, const unsigned char* head, Py_ssize_t head_len,
                       const unsigned char* rest, Py_ssize_t rest_len) except -1:
        """Count an over-long line; its text is the first max_line_length + 1 bytes."""
        cdef Py_ssize_t keep = self.max_line_length + 1
        cdef bytes text
        if head_len > keep:
            head_len = keep
        if rest_len > keep - head_len:
            rest_len = keep - head_len
        text = PyBytes_FromStringAndSize(<const char*>head, head_len) + \
            PyBytes_FromStringAndSize(<const char*>rest, rest_len)
        self.n_lines += 1
        return self._drop("line_too_long", text)

    cdef int _drop(self, str reason, bytes raw) except -1:
        self.stats[reason] += 1
        self.recent_errors.append((reason, error_text(raw)))
        return 0

    cdef int _slow_line(self, bytes raw, int64_t now) except -1:
        """Every line the C scanner does not settle, by the twin's classify_line."""
        outcome = classify_line(raw)
        if outcome is None:
            return 0  # blank line
        self.n_lines += 1
        if outcome == "nan_values":
            self.stats["nan_values"] += 1
            return 0
        if isinstance(outcome, str):
            return self._drop(outcome, raw)
        field, ts, value = outcome
        sid = self.registry.wire_id(field)
        if sid < 0:
            return self._drop("bad_tags", raw)
        return self._emit(sid, int(ts), value, now)  # _emit makes -1 now, as points.stamp

    cdef inline int _settle(self, Pending* b, int64_t now, bint probed) except -1:
        """Count and emit one scanned line. `probed`: b.slot was found in the current table."""
        cdef SeriesRegistry reg = self.registry
        cdef int64_t sid = -1
        cdef Entry* e
        if b.kind == LINE_FAST:
            if not probed:
                sid = reg.lookup(b.f.name, b.f.name_len, b.h, FLAG_WIRE)
            elif b.slot >= 0:
                e = &reg.table[b.slot]
                if memcmp(e.key, b.f.name, b.f.name_len) == 0:
                    sid = e.sid
                else:  # two names with one 64-bit hash: probe the whole chain
                    sid = reg.lookup(b.f.name, b.f.name_len, b.h, FLAG_WIRE)
            if sid < 0 and _plain_ascii_name(b.f.name, b.f.name_len):
                sid = reg.new_plain_wire(b.f.name, b.f.name_len, b.h)
            if sid >= 0:
                self.n_lines += 1
                return self._emit(sid, b.f.ts, b.f.value, now)
            return self._slow_line(PyBytes_FromStringAndSize(<const char*>b.s, b.n), now)
        if b.kind == LINE_SLOW:
            return self._slow_line(PyBytes_FromStringAndSize(<const char*>b.s, b.n), now)
        if b.kind == LINE_LONG:
            return self._too_long(b.s, b.n, NULL, 0)
        return 0  # blank

    cdef int _line(self, const unsigned char* s, Py_ssize_t n, int64_t now) except -1:
        """One line on its own (the one completed from the partial, or finish())."""
        cdef Pending b
        b.s = s
        b.n = n
        b.kind = _scan_line(s, s + n, &b.f)
        if b.kind == LINE_FAST:
            b.h = tss_hash(b.f.name, b.f.name_len, HASH_SEED)
        return self._settle(&b, now, False)

    cdef const unsigned char* _batch(self, const unsigned char* q, const unsigned char* end,
                                     int64_t now) except? NULL:
        """Up to BATCH complete lines from q: scan them and prefetch their table entries, then
        settle them in order. Returns the start of the next line, NULL when none is complete."""
        cdef Pending batch[BATCH]
        cdef Pending* b
        cdef const unsigned char* nl
        cdef int count = 0, i
        cdef SeriesRegistry reg = self.registry
        cdef Entry* table = reg.table
        cdef Py_ssize_t mask = reg.cap - 1, j
        cdef uint64_t version = reg.version
        cdef Entry* e
        while count < BATCH and q < end:
            nl = <const unsigned char*>memchr(q, 10, end - q)
            if nl == NULL:
                break
            b = &batch[count]
            b.s = q
            b.n = nl - q
            if b.n > self.max_line_length:
                b.kind = LINE_LONG
            else:
                b.kind = _scan_line(q, nl, &b.f)
                if b.kind == LINE_FAST:
                    b.h = tss_hash(b.f.name, b.f.name_len, HASH_SEED)
                    TSS_PREFETCH(&table[b.h & mask])
            count += 1
            q = nl + 1
        if count == 0:
            return NULL
        # second pass: the entries have arrived; find the candidate and prefetch its key
        for i in range(count):
            b = &batch[i]
            if b.kind != LINE_FAST:
                continue
            j = <Py_ssize_t>(b.h & mask)
            b.slot = -1
            while table[j].key != NULL:
                e = &table[j]
                if e.hash == b.h and e.klen == b.f.name_len and (e.flags & FLAG_WIRE):
                    b.slot = j
                    TSS_PREFETCH(e.key)
                    break
                j = (j + 1) & mask
        # third pass, in line order; a registry change (a new name) voids the early probes
        for i in range(count):
            self._settle(&batch[i], now, reg.version == version)
        return q

    cdef int _keep_partial(self, const unsigned char* p, Py_ssize_t n) except -1:
        cdef Py_ssize_t need = self.partial_len + n
        cdef Py_ssize_t cap
        if need > self.partial_cap:
            cap = self.partial_cap * 2 if self.partial_cap else 256
            if cap < need:
                cap = need
            if cap > self.max_line_length:
                cap = self.max_line_length
            self.partial = <unsigned char*>_grown(self.partial, cap)
            self.partial_cap = cap
        memcpy(self.partial + self.partial_len, p, n)
        self.partial_len = need
        return 0

    cdef int _run(self, const unsigned char* p, Py_ssize_t n, int64_t now) except -1:
        cdef const unsigned char* q = p
        cdef const unsigned char* end = p + n
        cdef const unsigned char* nl
        cdef Py_ssize_t maxlen = self.max_line_length, ln
        if n == 0:
            return 0
        if self.skipping:
            nl = <const unsigned char*>memchr(q, 10, end - q)
            if nl == NULL:
                return 0
            self.skipping = False
            q = nl + 1
        if self.partial_len and q < end:
            nl = <const unsigned char*>memchr(q, 10, end - q)
            if nl != NULL:
                ln = self.partial_len + (nl - q)
                if ln > maxlen:
                    self._too_long(self.partial, self.partial_len, q, nl - q)
                else:
                    self._keep_partial(q, nl - q)
                    self._line(self.partial, ln, now)
                self.partial_len = 0
                q = nl + 1
        while q < end:
            nl = self._batch(q, end, now)
            if nl == NULL:
                break
            q = nl
        if q < end:
            if self.partial_len + (end - q) > maxlen:
                self._too_long(self.partial, self.partial_len, q, end - q)
                self.partial_len = 0
                self.skipping = True
            else:
                self._keep_partial(q, end - q)
        return 0

    def feed(self, data, int64_t now):
        """Points of the complete lines in `data` (bytes-like); the last partial line is kept."""
        cdef const unsigned char[::1] mv = _byte_view(data)
        cdef Py_ssize_t n = mv.shape[0]
        self._begin()
        try:
            if n:
                self._run(&mv[0], n, now)
        finally:
            self._fold()
        return self._take_batch()

    def finish(self, int64_t now):
        """Parse a last line that had no newline (a UDP datagram's last line)."""
        cdef bytes line = PyBytes_FromStringAndSize(<const char*>self.partial, self.partial_len) \
            if self.partial_len and not self.skipping else None
        self.reset()
        self._begin()
        try:
            if line is not None:
                self._line(<const unsigned char*>line, len(line), now)
        finally:
            self._fold()
        return self._take_batch()
