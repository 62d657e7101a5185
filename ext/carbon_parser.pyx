# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Compiled carbon plaintext parser and series registry (twin: tsstore/ingest/carbon_parser.py,
which documents the behaviour; the tests hold the two to the same results).

Hot path: no Python object per line. Lines are cut with memchr and scanned with pointers.
C settles a line only when the outcome is certain: three fields separated by ASCII
whitespace, value and timestamp in a plain decimal form that tss_number converts exactly, and
a first field the registry knows as a wire spelling (C open addressing, keyed by the raw bytes). A first
field never seen before that is plain ASCII and untagged is registered with one small call.
Every other line (errors, NaN/inf, other number spellings, non-ASCII or tagged names seen
for the first time) goes through _slow_line, which calls the twin's classify_line, so both
implementations answer the same by construction. The C helpers are in ext/carbon_parser.h;
the constants and Python-level helpers come from the twin and tsstore.ingest.points.

Lines are handled BATCH at a time in four passes (scan and hash, probe the name slots, fetch
the name records, settle in order), with prefetches between the passes so the cache misses of
the registry overlap.
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
    NAME_WIRE = 1   # a name record's flags: the name is also a line's first field that resolves to it
    ARENA_BLOCK = 1 << 20
    MAX_KEY = 0x7FFFFFFF
    MAX_SIDS = 0xFFFFFFFE  # a name slot holds sid + 1 in 32 bits


cdef void* _grown(void* p, size_t size) except NULL:
    """realloc, raising MemoryError where it fails (p is then still valid)."""
    cdef void* q = realloc(p, size)
    if q == NULL:
        raise MemoryError()
    return q


cdef struct Entry:  # a wire spelling that is not itself a name resolving to it (32 bytes)
    uint64_t hash
    const unsigned char* key
    int64_t sid
    uint32_t klen
    uint32_t unused


cdef inline const unsigned char* _record_key(const unsigned char* rec, Py_ssize_t* n) noexcept nogil:
    """A name record, [flags byte][length, LEB128][bytes]: where its bytes start, and n."""
    cdef const unsigned char* p = rec + 1
    cdef Py_ssize_t length = 0
    cdef int shift = 0
    cdef unsigned char byte
    while True:
        byte = p[0]
        p += 1
        length |= <Py_ssize_t>(byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            break
    n[0] = length
    return p


cdef inline int64_t _sid_in(uint64_t slot) noexcept nogil:
    """The id a name slot holds (its low 32 bits are id + 1)."""
    return <int64_t>(<uint32_t>slot) - 1


cdef class SeriesRegistry:
    """Dense integer ids for series names, shared by all connections.

    Names: an open-addressing table of 8-byte slots, each the high 32 bits of the name's hash
    and the id, over a record per id in an arena of large blocks ([flags][length][bytes],
    freed with the registry), found through one pointer per id. A name is decoded from its
    record when asked for (name_of), not kept as a str. About 60 bytes per series at 1M
    names of 32 bytes (bench_series_memory): the record, the pointer, two slots at half load.

    Wire spellings, the first field of a line that resolved to a name: a name that is its own
    spelling carries NAME_WIRE in its record; any other spelling (a tagged name with its tags
    out of order, say) is an entry in a second, small table.
    """
    cdef uint64_t* slots       # names: (hash >> 32) << 32 | (sid + 1); 0: empty
    cdef Py_ssize_t cap        # a power of two, at most half used
    cdef Entry* wire           # other wire spellings; same probing
    cdef Py_ssize_t wire_cap, wire_used
    cdef uint64_t version      # bumped by every insert: lets a parser trust an earlier probe
    cdef unsigned char** name_at  # per id: its name record in the arena
    cdef Py_ssize_t n_names, names_cap
    cdef unsigned char** blocks  # arena blocks, freed in __dealloc__
    cdef Py_ssize_t n_blocks, blocks_cap
    cdef unsigned char* arena
    cdef Py_ssize_t arena_left

    def __cinit__(self):
        self.cap = 1 << 12
        self.slots = <uint64_t*>calloc(self.cap, sizeof(uint64_t))
        self.wire_cap = 1 << 4
        self.wire = <Entry*>calloc(self.wire_cap, sizeof(Entry))
        if self.slots == NULL or self.wire == NULL:
            raise MemoryError()
        self.wire_used = 0
        self.version = 0
        self.name_at = NULL
        self.n_names = self.names_cap = 0
        self.blocks = NULL
        self.n_blocks = self.blocks_cap = 0
        self.arena = NULL
        self.arena_left = 0

    def __dealloc__(self):
        cdef Py_ssize_t i
        free(self.slots)
        free(self.wire)
        free(self.name_at)
        for i in range(self.n_blocks):
            free(self.blocks[i])
        free(self.blocks)

    def __len__(self):
        return self.n_names

    cdef inline bint _is_name(self, uint64_t slot, const unsigned char* p, Py_ssize_t n) noexcept nogil:
        """Whether the id in this slot is the name p[:n]."""
        cdef Py_ssize_t klen
        cdef const unsigned char* key = _record_key(self.name_at[_sid_in(slot)], &klen)
        return klen == n and memcmp(key, p, n) == 0

    cdef inline int64_t lookup_name(self, const unsigned char* p, Py_ssize_t n, uint64_t h) noexcept nogil:
        """The id of the name p[:n], -1 when it is not registered."""
        cdef Py_ssize_t mask = self.cap - 1
        cdef Py_ssize_t i = <Py_ssize_t>(h & mask)
        cdef uint64_t tag = h >> 32, slot
        while True:
            slot = self.slots[i]
            if slot == 0:
                return -1
            if (slot >> 32) == tag and self._is_name(slot, p, n):
                return <int64_t>_sid_in(slot)
            i = (i + 1) & mask

    cdef inline int64_t lookup_other_wire(self, const unsigned char* p, Py_ssize_t n, uint64_t h) noexcept nogil:
        """The id a wire spelling that is not its own name resolves to, -1 when unknown."""
        cdef Py_ssize_t mask = self.wire_cap - 1
        cdef Py_ssize_t i = <Py_ssize_t>(h & mask)
        cdef Entry* e
        if self.wire_used == 0:
            return -1
        while True:
            e = &self.wire[i]
            if e.key == NULL:
                return -1
            if e.hash == h and e.klen == n and memcmp(e.key, p, n) == 0:
                return e.sid
            i = (i + 1) & mask

    cdef inline int64_t lookup_wire(self, const unsigned char* p, Py_ssize_t n, uint64_t h) noexcept nogil:
        """The id a line's first field p[:n] resolves to, -1 when not seen before."""
        cdef int64_t sid = self.lookup_name(p, n, h)
        if sid >= 0 and (self.name_at[sid][0] & NAME_WIRE):
            return sid
        return self.lookup_other_wire(p, n, h)

    def memory_bytes(self):
        """Bytes this registry allocated: name slots, wire table, record pointers, arena blocks
        (a record's own block for a very long name counted as a whole block: close enough)."""
        return (self.cap * sizeof(uint64_t) + self.wire_cap * sizeof(Entry) + self.names_cap * sizeof(unsigned char*)
                + self.n_blocks * ARENA_BLOCK + self.blocks_cap * sizeof(unsigned char*))

    cdef unsigned char* _arena_bytes(self, Py_ssize_t n) except NULL:
        """n bytes in the arena (a block of their own when large; the current block stays in use)."""
        cdef unsigned char* block
        cdef Py_ssize_t size
        if n > self.arena_left:
            if self.n_blocks == self.blocks_cap:
                self.blocks = <unsigned char**>_grown(self.blocks, (self.blocks_cap * 2 + 16) * sizeof(unsigned char*))
                self.blocks_cap = self.blocks_cap * 2 + 16
            size = ARENA_BLOCK if n <= ARENA_BLOCK // 16 else n
            block = <unsigned char*>malloc(size)
            if block == NULL:
                raise MemoryError()
            self.blocks[self.n_blocks] = block
            self.n_blocks += 1
            if size != ARENA_BLOCK:
                return block
            self.arena = block
            self.arena_left = size
        block = self.arena
        self.arena += n
        self.arena_left -= n
        return block

    cdef int _grow_names(self) except -1:
        """Twice the slots, each name placed again by its hash (recomputed: a slot keeps 32 bits of it)."""
        cdef Py_ssize_t cap = self.cap * 2, mask = cap - 1, i, j, klen
        cdef uint64_t* fresh = <uint64_t*>calloc(cap, sizeof(uint64_t))
        cdef uint64_t h
        cdef const unsigned char* key
        if fresh == NULL:
            raise MemoryError()
        for i in range(self.n_names):
            key = _record_key(self.name_at[i], &klen)
            h = tss_hash(key, klen, HASH_SEED)
            j = <Py_ssize_t>(h & mask)
            while fresh[j] != 0:
                j = (j + 1) & mask
            fresh[j] = (h >> 32) << 32 | <uint64_t>(i + 1)
        free(self.slots)
        self.slots = fresh
        self.cap = cap
        return 0

    cdef int64_t add_name(self, const unsigned char* p, Py_ssize_t n, uint64_t h, bint wire) except -1:
        """A new name (not registered yet, valid UTF-8): its id, the next one. wire: the name is
        also a line's first field that resolves to it."""
        cdef Py_ssize_t cap, header = 2, rest = n >> 7, i
        cdef int64_t sid = self.n_names
        cdef unsigned char* rec
        if n > MAX_KEY:
            raise ValueError(f"series name of {n} bytes is too long")
        if sid >= MAX_SIDS:
            raise OverflowError(f"the series registry holds {MAX_SIDS:,} names, its limit")
        if self.n_names == self.names_cap:
            cap = self.names_cap * 2 if self.names_cap else 4096
            self.name_at = <unsigned char**>_grown(self.name_at, cap * sizeof(unsigned char*))
            self.names_cap = cap
        if (sid + 1) * 2 > self.cap:
            self._grow_names()
        while rest:
            header += 1
            rest >>= 7
        rec = self._arena_bytes(header + n)
        rec[0] = NAME_WIRE if wire else 0
        rest = n
        i = 1
        while rest >= 0x80:
            rec[i] = <unsigned char>(rest & 0x7F) | 0x80
            rest >>= 7
            i += 1
        rec[i] = <unsigned char>rest
        memcpy(rec + header, p, n)
        self.name_at[sid] = rec
        i = <Py_ssize_t>(h & (self.cap - 1))
        while self.slots[i] != 0:
            i = (i + 1) & (self.cap - 1)
        self.slots[i] = (h >> 32) << 32 | <uint64_t>(sid + 1)
        self.n_names += 1
        self.version += 1
        return sid

    cdef int add_wire(self, const unsigned char* p, Py_ssize_t n, uint64_t h, int64_t sid) except -1:
        """The line's first field p[:n] resolves to sid: the name's flag when it is that name,
        else an entry in the wire table (once)."""
        cdef Py_ssize_t klen, mask, i, j
        cdef const unsigned char* key = _record_key(self.name_at[sid], &klen)
        cdef Entry* fresh
        cdef Entry* old
        cdef unsigned char* rec
        if klen == n and memcmp(key, p, n) == 0:
            self.name_at[sid][0] |= NAME_WIRE
            self.version += 1
            return 0
        if self.lookup_other_wire(p, n, h) >= 0:
            return 0
        if n > MAX_KEY:
            raise ValueError(f"series name of {n} bytes is too long")
        if (self.wire_used + 1) * 2 > self.wire_cap:
            fresh = <Entry*>calloc(self.wire_cap * 2, sizeof(Entry))
            if fresh == NULL:
                raise MemoryError()
            mask = self.wire_cap * 2 - 1
            for j in range(self.wire_cap):
                if self.wire[j].key != NULL:
                    i = <Py_ssize_t>(self.wire[j].hash & mask)
                    while fresh[i].key != NULL:
                        i = (i + 1) & mask
                    fresh[i] = self.wire[j]
            old, self.wire = self.wire, fresh
            self.wire_cap *= 2
            free(old)
        mask = self.wire_cap - 1
        i = <Py_ssize_t>(h & mask)
        while self.wire[i].key != NULL:
            i = (i + 1) & mask
        rec = self._arena_bytes(n if n else 1)
        memcpy(rec, p, n)
        self.wire[i].key = rec
        self.wire[i].klen = <uint32_t>n
        self.wire[i].hash = h
        self.wire[i].sid = sid
        self.wire_used += 1
        self.version += 1
        return 0

    def get(self, name):
        cdef const unsigned char[::1] mv = _byte_view(name)
        cdef Py_ssize_t n = mv.shape[0]
        cdef const unsigned char* p = &mv[0] if n else <const unsigned char*>b""
        return self.lookup_name(p, n, tss_hash(p, n, HASH_SEED))

    def id_of(self, name):
        cdef const unsigned char[::1] mv = _byte_view(name)
        cdef Py_ssize_t n = mv.shape[0]
        cdef const unsigned char* p = &mv[0] if n else <const unsigned char*>b""
        cdef uint64_t h = tss_hash(p, n, HASH_SEED)
        cdef int64_t sid = self.lookup_name(p, n, h)
        if sid >= 0:
            return sid
        if n > MAX_KEY:
            raise ValueError(f"series name of {n} bytes is too long")
        text = PyBytes_FromStringAndSize(<const char*>p, n).decode("utf-8")  # raises on bad UTF-8
        return self.add_name(p, n, h, resolves_to_itself(text))

    cdef inline str _decoded(self, Py_ssize_t sid):
        cdef Py_ssize_t n
        cdef const unsigned char* key = _record_key(self.name_at[sid], &n)
        return PyUnicode_DecodeUTF8(<const char*>key, n, NULL)

    def name_of(self, Py_ssize_t sid):
        if not 0 <= sid < self.n_names:
            raise IndexError(f"no series with id {sid}")
        return self._decoded(sid)

    def names_since(self, Py_ssize_t first_sid):
        return [self._decoded(i) for i in range(max(first_sid, 0), self.n_names)]

    def wire_id(self, str field):
        """Id of a line's first field (already split and decoded); -1 when its tags are invalid."""
        cdef bytes raw = field.encode("utf-8")
        cdef const unsigned char* p = <const unsigned char*>raw
        cdef Py_ssize_t n = len(raw)
        cdef uint64_t h = tss_hash(p, n, HASH_SEED)
        cdef int64_t sid = self.lookup_wire(p, n, h)
        if sid >= 0:
            return sid
        try:
            key = series_key(field)
        except _tags.InvalidTagError:
            return -1
        sid = self.id_of(key.encode("utf-8"))
        self.add_wire(p, n, h, sid)
        return sid

    cdef int64_t new_plain_wire(self, const unsigned char* p, Py_ssize_t n, uint64_t h) except -2:
        """wire_id for an ASCII first field without whitespace, ';' or '{': its own name."""
        cdef int64_t sid = self.lookup_name(p, n, h)
        if sid >= 0:
            self.add_wire(p, n, h, sid)
        else:
            sid = self.add_name(p, n, h, True)
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
    Py_ssize_t slot   # name slot of the probable name, -1 when the name is absent


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
        """Count and emit one scanned line. `probed`: b.slot is the name slot found in the current table."""
        cdef SeriesRegistry reg = self.registry
        cdef int64_t sid = -1
        cdef uint64_t slot
        if b.kind == LINE_FAST:
            if not probed:
                sid = reg.lookup_wire(b.f.name, b.f.name_len, b.h)
            elif b.slot >= 0:
                slot = reg.slots[b.slot]
                if reg._is_name(slot, b.f.name, b.f.name_len) and (reg.name_at[_sid_in(slot)][0] & NAME_WIRE):
                    sid = <int64_t>_sid_in(slot)
                else:  # two names with one 32-bit tag, or a name that is not its own spelling
                    sid = reg.lookup_wire(b.f.name, b.f.name_len, b.h)
            else:  # no such name: a spelling of another one, maybe
                sid = reg.lookup_other_wire(b.f.name, b.f.name_len, b.h)
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
        """Up to BATCH complete lines from q: scan them and prefetch their name slots, find each
        candidate slot and prefetch its record pointer, then the record, then settle the lines
        in order. Returns the start of the next line, NULL when none is complete."""
        cdef Pending batch[BATCH]
        cdef Pending* b
        cdef const unsigned char* nl
        cdef int count = 0, i
        cdef SeriesRegistry reg = self.registry
        cdef uint64_t* slots = reg.slots
        cdef Py_ssize_t mask = reg.cap - 1, j
        cdef uint64_t version = reg.version, tag
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
                    TSS_PREFETCH(&slots[b.h & mask])
            count += 1
            q = nl + 1
        if count == 0:
            return NULL
        # second pass: the slots have arrived; the first with the name's tag is the candidate
        for i in range(count):
            b = &batch[i]
            if b.kind != LINE_FAST:
                continue
            j = <Py_ssize_t>(b.h & mask)
            tag = b.h >> 32
            b.slot = -1
            while slots[j] != 0:
                if (slots[j] >> 32) == tag:
                    b.slot = j
                    TSS_PREFETCH(&reg.name_at[_sid_in(slots[j])])
                    break
                j = (j + 1) & mask
        # third pass: the record pointers have arrived; fetch the records
        for i in range(count):
            b = &batch[i]
            if b.kind == LINE_FAST and b.slot >= 0:
                TSS_PREFETCH(reg.name_at[_sid_in(slots[b.slot])])
        # fourth pass, in line order; a registry change (a new name) voids the early probes
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
