# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Compiled metric tree table (twin, with the rules: tsstore/index/path_table.py).

A node is a row of four columns (parent int32, component int32, flags uint8, depth uint16),
kept in numpy arrays that double when full, so the index can read them as arrays without a
copy (a reader keeps the array it was given; growing makes a new one). Two open-addressing
hash indexes hold only int32 ids and compare through the columns: (parent, component) ->
node, and component text -> component id (texts in one byte arena with offsets). About 17
bytes per node and 16 per distinct component plus its text, against ~200 for dicts of tuples.

add_joined() parses and inserts without the GIL (the bulk load at start runs beside the
event loop); it takes the GIL back only to grow a column. The caller serialises writers and
readers (tsstore.index.paths holds one lock).
"""
import numpy as np
cimport numpy as cnp
from libc.stdint cimport int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t, INT32_MAX
from libc.stdlib cimport free, malloc, realloc
from libc.string cimport memcmp, memcpy

cnp.import_array()

from tsstore.index.path_table import BRANCH as _BRANCH, LEAF as _LEAF, MAX_DEPTH as _MAX_DEPTH, PathTableError

cdef uint8_t LEAF = _LEAF
cdef uint8_t BRANCH = _BRANCH
cdef Py_ssize_t MAX_DEPTH = _MAX_DEPTH

cdef extern from "Python.h":
    const char* PyUnicode_AsUTF8AndSize(object, Py_ssize_t*) except NULL
    object PyUnicode_DecodeUTF8(const char*, Py_ssize_t, const char*)


cdef inline uint64_t _hash_text(const char* p, Py_ssize_t n) noexcept nogil:
    """FNV-1a: components are short, and this runs once per component of a name."""
    cdef uint64_t h = 14695981039346656037ULL
    cdef Py_ssize_t i
    for i in range(n):
        h = (h ^ <uint8_t>p[i]) * 1099511628211ULL
    return h ^ (h >> 29)


cdef inline uint64_t _hash_pair(int32_t parent, int32_t comp) noexcept nogil:
    """splitmix64's finaliser over (parent, component)."""
    cdef uint64_t x = (<uint64_t><uint32_t>parent << 32) | <uint32_t>comp
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL
    return x ^ (x >> 31)


cdef int32_t* _empty_slots(Py_ssize_t size) except NULL nogil:
    """An open-addressing table of `size` (a power of two) int32 ids, every slot empty (-1)."""
    cdef int32_t* slots = <int32_t*>malloc(size * sizeof(int32_t))
    cdef Py_ssize_t i
    if slots == NULL:
        with gil:
            raise MemoryError()
    for i in range(size):
        slots[i] = -1
    return slots


cdef inline void _place(int32_t* slots, Py_ssize_t mask, uint64_t h, int32_t id_) noexcept nogil:
    """Put an id in the first empty slot from its hash on (linear probing)."""
    cdef Py_ssize_t j = h & mask
    while slots[j] != -1:
        j = (j + 1) & mask
    slots[j] = id_


cdef class PathTable:
    # node columns: numpy arrays of capacity _cap, and their data pointers
    cdef object _parent_arr, _comp_arr, _flags_arr, _depth_arr
    cdef int32_t* _parent
    cdef int32_t* _comp
    cdef uint8_t* _flags
    cdef uint16_t* _depth
    cdef Py_ssize_t _n, _cap
    # (parent, component) -> node: node ids, -1 empty; capacity a power of two >= 2 * _n
    cdef int32_t* _slots
    cdef Py_ssize_t _slot_mask
    # components: texts in one arena, start offsets (count + 1), text -> id slots
    cdef char* _arena
    cdef int64_t _arena_len, _arena_cap
    cdef int64_t* _offsets
    cdef Py_ssize_t _nc, _ccap
    cdef int32_t* _cslots
    cdef Py_ssize_t _cslot_mask
    # the walk of the last name added within one add call: its branches' '.' and nodes
    cdef const char* _prev
    cdef Py_ssize_t _prev_len, _prev_depth, _walk_cap
    cdef Py_ssize_t* _walk_ends
    cdef int32_t* _walk_nodes

    def __cinit__(self):
        self._n = 0
        self._cap = 0
        self._nc = 0
        self._ccap = 1024
        self._arena_len = 0
        self._arena_cap = 1 << 16
        self._arena = <char*>malloc(self._arena_cap)
        self._offsets = <int64_t*>malloc((self._ccap + 1) * sizeof(int64_t))
        self._slots = NULL
        self._cslots = NULL
        self._prev = NULL
        self._prev_len = self._prev_depth = self._walk_cap = 0
        self._walk_ends = NULL
        self._walk_nodes = NULL
        if self._arena == NULL or self._offsets == NULL:
            raise MemoryError()
        self._offsets[0] = 0
        self._slot_mask = -1
        self._cslot_mask = -1
        self._grow_nodes(1024)
        self._rehash_nodes(2048)
        self._rehash_components(2048)

    def __dealloc__(self):
        free(self._arena)
        free(self._offsets)
        free(self._slots)
        free(self._cslots)
        free(self._walk_ends)
        free(self._walk_nodes)

    # -- growing ---------------------------------------------------------------------
    cdef int _grow_nodes(self, Py_ssize_t cap) except -1:
        cdef Py_ssize_t n = self._n
        arrays = []
        for old, dtype in ((self._parent_arr, np.int32), (self._comp_arr, np.int32),
                           (self._flags_arr, np.uint8), (self._depth_arr, np.uint16)):
            new = np.zeros(cap, dtype)
            if old is not None and n:
                new[:n] = old[:n]
            arrays.append(new)
        self._parent_arr, self._comp_arr, self._flags_arr, self._depth_arr = arrays
        self._parent = <int32_t*>cnp.PyArray_DATA(self._parent_arr)
        self._comp = <int32_t*>cnp.PyArray_DATA(self._comp_arr)
        self._flags = <uint8_t*>cnp.PyArray_DATA(self._flags_arr)
        self._depth = <uint16_t*>cnp.PyArray_DATA(self._depth_arr)
        self._cap = cap
        return 0

    cdef int _rehash_nodes(self, Py_ssize_t size) except -1 nogil:
        cdef int32_t* slots = _empty_slots(size)
        cdef Py_ssize_t i, mask = size - 1
        for i in range(self._n):
            _place(slots, mask, _hash_pair(self._parent[i], self._comp[i]), <int32_t>i)
        free(self._slots)
        self._slots, self._slot_mask = slots, mask
        return 0

    cdef int _rehash_components(self, Py_ssize_t size) except -1 nogil:
        cdef int32_t* slots = _empty_slots(size)
        cdef Py_ssize_t i, mask = size - 1
        for i in range(self._nc):
            _place(slots, mask, _hash_text(self._arena + self._offsets[i], self._offsets[i + 1] - self._offsets[i]),
                   <int32_t>i)
        free(self._cslots)
        self._cslots, self._cslot_mask = slots, mask
        return 0

    # -- the two hash indexes ------------------------------------------------------------
    cdef int32_t _find_component(self, const char* p, Py_ssize_t n) noexcept nogil:
        cdef Py_ssize_t j = _hash_text(p, n) & self._cslot_mask
        cdef int32_t c
        while True:
            c = self._cslots[j]
            if c == -1:
                return -1
            if self._offsets[c + 1] - self._offsets[c] == n and memcmp(self._arena + self._offsets[c], p, n) == 0:
                return c
            j = (j + 1) & self._cslot_mask

    cdef int32_t _intern(self, const char* p, Py_ssize_t n) except -2 nogil:
        cdef int32_t c = self._find_component(p, n)
        cdef char* arena
        cdef int64_t* offsets
        if c >= 0:
            return c
        if self._nc >= 0x7fffffff:
            with gil:
                raise PathTableError("more than 2^31 distinct path components")
        if self._arena_len + n > self._arena_cap:
            while self._arena_len + n > self._arena_cap:
                self._arena_cap *= 2
            arena = <char*>realloc(self._arena, self._arena_cap)
            if arena == NULL:
                with gil:
                    raise MemoryError()
            self._arena = arena
        if self._nc + 1 > self._ccap:
            offsets = <int64_t*>realloc(self._offsets, (2 * self._ccap + 1) * sizeof(int64_t))
            if offsets == NULL:
                with gil:
                    raise MemoryError()
            self._offsets, self._ccap = offsets, 2 * self._ccap
        memcpy(self._arena + self._arena_len, p, n)
        self._arena_len += n
        c = <int32_t>self._nc
        self._nc += 1
        self._offsets[self._nc] = self._arena_len
        if 2 * self._nc > self._cslot_mask + 1:
            self._rehash_components(2 * (self._cslot_mask + 1))
        else:
            _place(self._cslots, self._cslot_mask, _hash_text(p, n), c)
        return c

    cdef int32_t _find_child(self, int32_t parent, int32_t comp) noexcept nogil:
        cdef Py_ssize_t j = _hash_pair(parent, comp) & self._slot_mask
        cdef int32_t node
        while True:
            node = self._slots[j]
            if node == -1:
                return -1
            if self._parent[node] == parent and self._comp[node] == comp:
                return node
            j = (j + 1) & self._slot_mask

    cdef int32_t _node(self, int32_t parent, int32_t comp, uint16_t depth) except -2 nogil:
        cdef int32_t node = self._find_child(parent, comp)
        if node >= 0:
            return node
        if self._n >= 0x7fffffff:
            with gil:
                raise PathTableError("more than 2^31 nodes")
        if self._n == self._cap:
            with gil:
                self._grow_nodes(2 * self._cap)
        node = <int32_t>self._n
        self._parent[node] = parent
        self._comp[node] = comp
        self._flags[node] = 0
        self._depth[node] = depth
        self._n += 1
        if 2 * self._n > self._slot_mask + 1:
            self._rehash_nodes(2 * (self._slot_mask + 1))
        else:
            _place(self._slots, self._slot_mask, _hash_pair(parent, comp), node)
        return node

    cdef int _add_name(self, const char* p, Py_ssize_t n) except -1 nogil:
        """One name's nodes. The branches it shares with the name added just before (a store
        lists names near sorted order) are taken from that name's walk, not looked up again."""
        cdef int32_t parent = -1, comp
        cdef Py_ssize_t start = 0, end, depth = 0, dots = 0, common = 0
        cdef Py_ssize_t* ends
        cdef int32_t* nodes
        for end in range(n):  # refused before any node is added
            dots += p[end] == 46  # '.'
        if dots >= MAX_DEPTH:
            with gil:
                raise PathTableError(f"{p[:min(n, 100)].decode('utf-8', 'replace')!r}...: more than {MAX_DEPTH} components")
        if dots + 1 > self._walk_cap:
            ends = <Py_ssize_t*>realloc(self._walk_ends, (dots + 1) * sizeof(Py_ssize_t))
            if ends == NULL:
                with gil:
                    raise MemoryError()
            self._walk_ends = ends
            nodes = <int32_t*>realloc(self._walk_nodes, (dots + 1) * sizeof(int32_t))
            if nodes == NULL:
                with gil:
                    raise MemoryError()
            self._walk_nodes, self._walk_cap = nodes, dots + 1
        if self._prev != NULL:
            while common < n and common < self._prev_len and p[common] == self._prev[common]:
                common += 1
            # a branch of the previous name whose '.' is inside the common prefix is this name's too
            while depth < self._prev_depth and self._walk_ends[depth] < common:
                depth += 1
            if depth:
                parent = self._walk_nodes[depth - 1]
                start = self._walk_ends[depth - 1] + 1
        while True:
            end = start
            while end < n and p[end] != 46:
                end += 1
            comp = self._intern(p + start, end - start)
            parent = self._node(parent, comp, <uint16_t>depth)
            if end == n:
                self._flags[parent] |= LEAF
                break
            self._flags[parent] |= BRANCH
            self._walk_ends[depth] = end
            self._walk_nodes[depth] = parent
            start = end + 1
            depth += 1
        self._prev, self._prev_len, self._prev_depth = p, n, depth
        return 0

    # -- public ------------------------------------------------------------------------
    @property
    def node_count(self):
        return self._n

    @property
    def component_count(self):
        return self._nc

    def add(self, names):
        cdef Py_ssize_t before = self._n, size
        cdef const char* p
        names = list(names)  # holds every name, so the previous name's bytes stay valid
        self._prev = NULL
        try:
            for name in names:
                p = PyUnicode_AsUTF8AndSize(name, &size)
                self._add_name(p, size)
        finally:
            self._prev = NULL
        return self._n - before

    def add_joined(self, str joined):
        cdef Py_ssize_t before = self._n, size, start = 0, end
        cdef const char* p = PyUnicode_AsUTF8AndSize(joined, &size)
        if size == 0:
            return 0
        self._prev = NULL
        try:
            with nogil:
                while True:
                    end = start
                    while end < size and p[end] != 10:  # '\n'
                        end += 1
                    self._add_name(p + start, end - start)
                    if end == size:
                        break
                    start = end + 1
        finally:
            self._prev = NULL
        return self._n - before

    def parents(self):
        return self._parent_arr[:self._n]

    def components(self):
        return self._comp_arr[:self._n]

    def reserve(self, Py_ssize_t nodes):
        cdef Py_ssize_t size = self._slot_mask + 1
        if nodes > self._cap:
            self._grow_nodes(nodes)
        while size < 2 * nodes:
            size *= 2
        if size != self._slot_mask + 1:
            with nogil:
                self._rehash_nodes(size)

    def clear_flags(self, nodes, int bits):
        cdef int32_t node
        for node in nodes:
            if not 0 <= node < self._n:
                raise IndexError(f"node {node} out of range")
            self._flags[node] &= ~bits & 0xFF

    def flags(self):
        return self._flags_arr[:self._n]

    def depths(self):
        return self._depth_arr[:self._n]

    def component_id(self, str text):
        cdef Py_ssize_t size
        cdef const char* p = PyUnicode_AsUTF8AndSize(text, &size)
        return self._find_component(p, size)

    def component_texts(self, ids):
        cdef list out = []
        cdef int64_t c
        for i in ids:
            c = i
            if not 0 <= c < self._nc:
                raise IndexError(f"component id {c} out of range")
            out.append(PyUnicode_DecodeUTF8(self._arena + self._offsets[c], self._offsets[c + 1] - self._offsets[c], NULL))
        return out

    def component_lines(self, ids):
        cdef cnp.ndarray[int64_t, ndim=1] wanted = np.ascontiguousarray(ids, np.int64)
        cdef Py_ssize_t k = wanted.shape[0], i, total = 0, pos = 0, chars = 0
        cdef int64_t c, j
        starts = np.empty(k, np.int64)
        cdef int64_t[::1] start_at = starts
        for i in range(k):
            c = wanted[i]
            if not 0 <= c < self._nc:
                raise IndexError(f"component id {c} out of range")
            total += self._offsets[c + 1] - self._offsets[c] + 1
        cdef char* buf = <char*>malloc(total + 1)
        if buf == NULL:
            raise MemoryError()
        try:
            for i in range(k):
                c = wanted[i]
                start_at[i] = chars
                for j in range(self._offsets[c], self._offsets[c + 1]):
                    buf[pos] = self._arena[j]
                    pos += 1
                    chars += (<uint8_t>self._arena[j] & 0xC0) != 0x80  # a UTF-8 lead byte starts a character
                buf[pos] = 10
                pos += 1
                chars += 1
            joined = PyUnicode_DecodeUTF8(buf, max(pos - 1, 0), NULL)
        finally:
            free(buf)
        return joined, starts

    def child(self, parent, comp):
        cdef int64_t pa = parent, co = comp
        if not (-1 <= pa < self._n and 0 <= co < self._nc):
            return -1
        return self._find_child(<int32_t>pa, <int32_t>co)

    def paths(self, nodes):
        cdef list out = []
        cdef int64_t node, length
        cdef int32_t at, c
        cdef char* buf = NULL
        cdef int64_t cap = 0, pos
        try:
            for item in nodes:
                node = item
                if not 0 <= node < self._n:
                    raise IndexError(f"node {node} out of range")
                length = -1
                at = <int32_t>node
                while at >= 0:
                    c = self._comp[at]
                    length += self._offsets[c + 1] - self._offsets[c] + 1
                    at = self._parent[at]
                if length + 1 > cap:
                    cap = 2 * length + 16
                    free(buf)
                    buf = <char*>malloc(cap)
                    if buf == NULL:
                        raise MemoryError()
                pos = length  # written from the end: the walk goes leaf to root
                at = <int32_t>node
                while at >= 0:
                    c = self._comp[at]
                    pos -= self._offsets[c + 1] - self._offsets[c]
                    memcpy(buf + pos, self._arena + self._offsets[c], self._offsets[c + 1] - self._offsets[c])
                    at = self._parent[at]
                    if at >= 0:
                        pos -= 1
                        buf[pos] = 46
                out.append(PyUnicode_DecodeUTF8(buf, length, NULL))
        finally:
            free(buf)
        return out

    def text_bytes(self):
        return self._arena_len

    def memory_bytes(self):
        """Bytes of the columns, hash slots and component arena this table allocated."""
        return (self._cap * (4 + 4 + 1 + 2) + (self._slot_mask + 1) * 4 + self._arena_cap
                + (self._ccap + 1) * 8 + (self._cslot_mask + 1) * 4)


def group_by(keys, Py_ssize_t key_count):
    """A counting sort (twin, with the contract: tsstore/index/path_table.py group_by)."""
    cdef cnp.ndarray[int64_t, ndim=1] k = np.ascontiguousarray(keys, np.int64)
    cdef Py_ssize_t n = k.shape[0], i
    cdef int64_t key
    if n > INT32_MAX:
        raise ValueError(f"group_by: {n} keys, past the 2**31 positions it groups")
    offsets = np.zeros(key_count + 1, np.int32)  # positions are int32 (order): so are their bounds
    order = np.empty(n, np.int32)
    cdef int32_t[::1] off = offsets
    cdef int32_t[::1] out = order
    cdef int64_t* fill
    for i in range(n):
        key = k[i]
        if not 0 <= key < key_count:
            raise ValueError(f"group_by: keys must be in [0, {key_count})")
        off[key + 1] += 1
    for i in range(key_count):
        off[i + 1] += off[i]
    fill = <int64_t*>malloc(max(key_count, 1) * sizeof(int64_t))
    if fill == NULL:
        raise MemoryError()
    with nogil:
        for i in range(key_count):
            fill[i] = off[i]
        for i in range(n):
            out[fill[k[i]]] = <int32_t>i
            fill[k[i]] += 1
    free(fill)
    return order, offsets
