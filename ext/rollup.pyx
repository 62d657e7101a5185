# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Compiled streaming rollup aggregator (twin, with the full description: tsstore/ingest/rollup.py).

State lives in flat C arrays indexed by series id (and level), so add() runs without
Python objects per point. Rows go to growable C buffers, each row linked to the series'
previous one (head per series, prev per row), so recent() walks only its series' rows, and
drain_series() takes a series' rows without a scan of the others; they stay, marked TAKEN,
until release_flushed(). The provisional rows a drain writes for open slots are returned and
dropped at once (see the twin). Every public method runs under one lock (see the twin).

A row held for reads costs 29 bytes: series (int32), level, slot, LAST, the link (int32) and
the index of its SUM, COUNT, MIN and MAX in a side buffer, -1 for a finest slot's row, whose
other columns follow from LAST (v, 1, v, v, v). Rows are most of the ingest memory between
two flushes (a row per finest slot written), so they do not carry columns they can derive.
"""
import threading
import time

import numpy as np
cimport numpy as cnp
from libc.stdint cimport int32_t, int64_t, uint8_t, INT32_MAX, uint32_t, uint64_t, UINT32_MAX
from libc.stdlib cimport calloc, free, realloc
from libc.string cimport memmove
from libc.math cimport INFINITY, NAN

cnp.import_array()

from tsstore.ingest.rollup import Drained, newest_per_slot
from tsstore.ingest.rollup import NONE as _NONE
from tsstore.ingest.rollup import DERIVE_WHEN_QUIET as _DERIVE_WHEN_QUIET, RESEED_MARGIN as _RESEED_MARGIN

cdef int64_t NONE = _NONE  # no open slot
cdef int64_t RESEED_MARGIN = _RESEED_MARGIN
cdef int64_t DERIVE_WHEN_QUIET = _DERIVE_WHEN_QUIET
DEF NCOL = 5  # a coarse slot's columns: SUM, COUNT, MIN, MAX, LAST
DEF NACC = 4  # an accumulator's doubles: SUM, MIN, MAX, LAST (its COUNT, of finest slots, in cnt)
DEF TAKEN = 0x80  # a row's level byte: drained, kept for reads until release_flushed()
DEF LEVEL_BITS = 0x7F
DEF MIN_ROWS = 4096
# a series' flags: its open finest slot changed since drained; created by this process; sums
DEF S_DIRTY0 = 1
DEF S_NEW = 2
DEF S_SUMS = 4
# a (series, coarse level)'s flags: changed since drained; re-seed from the store; may hold stored
# data; a reseed is out (the accumulator holds only the finest slots closed since)
DEF L_DIRTY = 1
DEF L_RESEED = 2
DEF L_DERIVE = 4
DEF L_SEEDING = 8


cdef inline int64_t _floor(int64_t ts, int64_t step) nogil:
    cdef int64_t q = ts // step
    if (ts % step != 0) and ((ts < 0) != (step < 0)):
        q -= 1
    return q * step


cdef inline void _set_flag(uint8_t* flags, uint8_t flag, bint on) noexcept nogil:
    flags[0] = (flags[0] | flag) if on else (flags[0] & ~flag)


cdef class RollupAggregator:
    cdef public int max_levels
    cdef public dict stats
    cdef Py_ssize_t cap  # series slots allocated
    cdef Py_ssize_t lv_n, lv_cap  # (series, coarse level) rows used and allocated
    # rollup schemas (steps and retentions of each level), a handful shared by every series:
    # sch_steps/sch_rets[schema * max_levels + level]
    cdef int64_t* sch_steps
    cdef int64_t* sch_rets
    cdef int64_t* sch_maxret
    cdef Py_ssize_t n_sch, sch_cap, last_sch
    cdef dict _schema_ids  # (steps, retentions) bytes -> schema
    # per series (30 bytes), the finest level's open slot included
    cdef uint8_t* nlev
    cdef int32_t* schema
    cdef int32_t* lbase  # its coarse level k is row lbase + k of the per-level arrays
    cdef int64_t* open0
    cdef uint8_t* sflags  # S_DIRTY0, S_NEW, S_SUMS (aggregates by sum: see written_slots in tsstore.model)
    cdef double* val0
    cdef int32_t* head  # the series' newest row in the buffers, -1: none
    # per (series, coarse level): the rows lbase[sid] + 1 .. lbase[sid] + nlev[sid] - 1 (37 bytes).
    # Its open slot is not kept: it is the one holding the open finest slot (_open_at).
    cdef uint8_t* lflags  # L_DIRTY, L_RESEED, L_DERIVE (the open coarse slot may hold stored data: see the twin)
    cdef double* acc  # x NACC
    cdef uint32_t* cnt
    # output rows
    cdef int32_t* w_sid
    cdef uint8_t* w_level  # its level, with TAKEN once a drain returned it
    cdef int64_t* w_ts
    cdef double* w_last
    cdef int32_t* w_prev  # the same series' previous row, -1: none
    cdef int32_t* w_agg  # its SUM, COUNT, MIN, MAX at agg + 4 * w_agg; -1: a finest slot's (v, 1, v, v, v)
    cdef Py_ssize_t w_n, w_cap
    cdef Py_ssize_t w_taken  # rows marked TAKEN
    cdef double* agg
    cdef Py_ssize_t agg_n, agg_cap
    cdef object _lock
    cdef int64_t* rd  # level, sid, ts
    cdef Py_ssize_t rd_n, rd_cap
    cdef int64_t c_points, c_too_old, c_late, c_old
    cdef public int64_t stored_before
    cdef int64_t last_now  # add()'s latest `now`: what the drains judge the finest retention by

    def __cinit__(self, int max_levels=8, stored_before=None):
        if not 1 <= max_levels <= LEVEL_BITS:
            raise ValueError(f"rollup aggregator: max_levels {max_levels}, 1 to {LEVEL_BITS} supported")
        self.max_levels = max_levels
        self.cap = 0

    def __init__(self, int max_levels=8, stored_before=None):
        self.stored_before = int(time.time()) if stored_before is None else int(stored_before)
        self.stats = {"points": 0, "too_old": 0, "late": 0, "old_rollup": 0}
        self._lock = threading.RLock()
        self._schema_ids = {}

    def __dealloc__(self):
        free(self.head); free(self.w_prev); free(self.lbase); free(self.w_sid); free(self.w_level); free(self.w_ts)
        free(self.w_last); free(self.w_agg); free(self.agg)
        free(self.nlev); free(self.schema); free(self.open0); free(self.sflags); free(self.val0)
        free(self.sch_steps); free(self.sch_rets); free(self.sch_maxret)
        free(self.lflags); free(self.acc); free(self.cnt)
        free(self.rd)

    cdef void* _re(self, void* p, size_t size) except NULL:
        cdef void* q = realloc(p, size if size else 1)
        if q == NULL:
            raise MemoryError()
        return q

    cdef int _grow(self, Py_ssize_t need) except -1:
        """Per-series arrays for ids up to `need`."""
        cdef Py_ssize_t new_cap = self.cap if self.cap else 1024
        cdef Py_ssize_t i
        while new_cap <= need:
            new_cap *= 2
        self.nlev = <uint8_t*>self._re(self.nlev, new_cap)
        self.schema = <int32_t*>self._re(self.schema, new_cap * sizeof(int32_t))
        self.lbase = <int32_t*>self._re(self.lbase, new_cap * sizeof(int32_t))
        self.open0 = <int64_t*>self._re(self.open0, new_cap * sizeof(int64_t))
        self.sflags = <uint8_t*>self._re(self.sflags, new_cap)
        self.val0 = <double*>self._re(self.val0, new_cap * sizeof(double))
        self.head = <int32_t*>self._re(self.head, new_cap * sizeof(int32_t))
        for i in range(self.cap, new_cap):
            self.nlev[i] = 0
            self.head[i] = -1
        self.cap = new_cap
        return 0

    cdef int _grow_levels(self, Py_ssize_t more) except -1:
        """Room for `more` (series, level) rows: each series has as many as it has coarse levels."""
        cdef Py_ssize_t new_cap = self.lv_cap if self.lv_cap else 4096
        if self.lv_n + more <= self.lv_cap:
            return 0
        while new_cap < self.lv_n + more:
            new_cap *= 2
        self.lflags = <uint8_t*>self._re(self.lflags, new_cap)
        self.acc = <double*>self._re(self.acc, new_cap * NACC * sizeof(double))
        self.cnt = <uint32_t*>self._re(self.cnt, new_cap * sizeof(uint32_t))
        self.lv_cap = new_cap
        return 0

    def set_series(self, int64_t sid, steps, retentions, bint is_new, bint sums=False):
        with self._lock:
            self._set_series(sid, steps, retentions, is_new, sums)

    def set_series_many(self, sids, steps, retentions, is_new, sums):
        cdef const int64_t[:] sid_v = np.ascontiguousarray(sids, np.int64)
        cdef const int64_t[:, :] step_v = np.ascontiguousarray(steps, np.int64)
        cdef const int64_t[:, :] ret_v = np.ascontiguousarray(retentions, np.int64)
        cdef const uint8_t[:] new_v = np.ascontiguousarray(is_new, np.uint8)
        cdef const uint8_t[:] sum_v = np.ascontiguousarray(sums, np.uint8)
        cdef Py_ssize_t i, n = sid_v.shape[0], width = step_v.shape[1]
        cdef int levels
        if step_v.shape[0] != n or ret_v.shape[0] != n or ret_v.shape[1] != width or new_v.shape[0] != n or sum_v.shape[0] != n:
            raise ValueError("set_series_many: sids, steps, retentions, is_new and sums describe different series counts")
        with self._lock:
            for i in range(n):
                levels = 0
                while levels < width and step_v[i, levels] != 0:
                    levels += 1
                self._set_levels(sid_v[i], &step_v[i, 0], &ret_v[i, 0], levels, new_v[i], sum_v[i])

    cdef _set_series(self, int64_t sid, steps, retentions, bint is_new, bint sums):
        cdef int64_t[:] step_v = np.asarray([int(s) for s in steps], np.int64)
        cdef int64_t[:] ret_v = np.asarray([int(r) for r in retentions], np.int64)
        if len(step_v) != len(ret_v):
            raise ValueError(f"series {sid}: {len(step_v)} steps but {len(ret_v)} retentions")
        if len(step_v) == 0:
            raise ValueError(f"series {sid}: 0 rollup levels, 1 to {self.max_levels} supported")
        self._set_levels(sid, &step_v[0], &ret_v[0], len(step_v), is_new, sums)

    cdef int32_t _schema_id(self, const int64_t* steps, const int64_t* retentions, int n) except -1:
        """The schema with these levels (added when new); the last one given is checked first:
        series come in runs of one schema."""
        cdef int k
        cdef Py_ssize_t m = self.max_levels, last = self.last_sch
        cdef bint same = last < self.n_sch
        if same:
            for k in range(m):
                if (self.sch_steps[last * m + k] != (steps[k] if k < n else 0)
                        or self.sch_rets[last * m + k] != (retentions[k] if k < n else 0)):
                    same = False
                    break
        if same:
            return <int32_t>last
        key = (<const char*>steps)[:n * sizeof(int64_t)] + (<const char*>retentions)[:n * sizeof(int64_t)]
        found = self._schema_ids.get(key)
        if found is not None:
            self.last_sch = found
            return <int32_t>found
        if self.n_sch == INT32_MAX:
            raise ValueError("rollup aggregator: too many distinct rollup schemas")
        if self.n_sch == self.sch_cap:
            self.sch_cap = self.sch_cap * 2 if self.sch_cap else 8
            self.sch_steps = <int64_t*>self._re(self.sch_steps, self.sch_cap * m * sizeof(int64_t))
            self.sch_rets = <int64_t*>self._re(self.sch_rets, self.sch_cap * m * sizeof(int64_t))
            self.sch_maxret = <int64_t*>self._re(self.sch_maxret, self.sch_cap * sizeof(int64_t))
        cdef Py_ssize_t i = self.n_sch
        self.sch_maxret[i] = 0
        for k in range(m):
            self.sch_steps[i * m + k] = steps[k] if k < n else 0
            self.sch_rets[i * m + k] = retentions[k] if k < n else 0
            if k < n and retentions[k] > self.sch_maxret[i]:
                self.sch_maxret[i] = retentions[k]
        self._schema_ids[key] = i
        self.n_sch += 1
        self.last_sch = i
        return <int32_t>i

    cdef int _set_levels(self, int64_t sid, const int64_t* steps, const int64_t* retentions, int n,
                         bint is_new, bint sums) except -1:
        cdef int k
        if not 1 <= n <= self.max_levels:
            raise ValueError(f"series {sid}: {n} rollup levels, 1 to {self.max_levels} supported")
        if sid >= self.cap:
            self._grow(sid)
        if n > self.nlev[sid]:  # a new series (or more levels than before): rows of its own
            if self.lv_n + n > INT32_MAX:
                raise OverflowError(f"rollup aggregator: {self.lv_n} (series, coarse level) rows, "
                                    f"past the 2**31 it indexes")
            self._grow_levels(n - 1)
            self.lbase[sid] = <int32_t>(self.lv_n - 1)
            self.lv_n += n - 1
        cdef int64_t base = self.lbase[sid]
        self.schema[sid] = self._schema_id(steps, retentions, n)
        self.nlev[sid] = <uint8_t>n
        self.sflags[sid] = (S_NEW if is_new else 0) | (S_SUMS if sums else 0)
        self.val0[sid] = 0.0
        self.open0[sid] = NONE
        for k in range(1, n):
            self.lflags[base + k] = 0
            self._empty(base + k)
        return 0

    cdef inline void _empty(self, int64_t i) nogil:
        cdef double* a = self.acc + i * NACC
        a[0] = 0.0
        a[1] = INFINITY
        a[2] = -INFINITY
        a[3] = NAN
        self.cnt[i] = 0

    cdef inline void _merge(self, int64_t i, double v) nogil:
        cdef double* a = self.acc + i * NACC
        a[0] += v
        if self.cnt[i] != UINT32_MAX:
            self.cnt[i] += 1
        if v < a[1]:
            a[1] = v
        if v > a[2]:
            a[2] = v
        a[3] = v

    cdef inline void _with_open(self, int64_t i, double v0, double* out) nogil:
        """out (NCOL): coarse row i's accumulator with the open finest slot's value v0 merged in."""
        cdef double* a = self.acc + i * NACC
        out[0] = a[0] + v0
        out[1] = <double>self.cnt[i] + 1.0
        out[2] = v0 if v0 < a[1] else a[1]
        out[3] = v0 if v0 > a[2] else a[2]
        out[4] = v0

    cdef int _write(self, int64_t sid, int64_t level, int64_t ts, double s, double c, double lo, double hi, double last) except -1:
        cdef double* a
        if sid > INT32_MAX:
            raise OverflowError(f"rollup aggregator: series id {sid} past the 2**31 series it holds rows of")
        if self.w_n == self.w_cap:
            if self.w_cap >= INT32_MAX // 2:
                raise MemoryError(f"rollup aggregator: {self.w_n} rows held for reads; "
                                  "the flush cannot keep up: see the store's errors")
            self._resize_rows(self.w_cap * 2 if self.w_cap else MIN_ROWS)
        cdef Py_ssize_t r = self.w_n
        self.w_sid[r] = <int32_t>sid
        self.w_level[r] = <uint8_t>level
        self.w_ts[r] = ts
        self.w_last[r] = last
        if level == 0 and s == last and c == 1.0 and lo == last and hi == last:
            self.w_agg[r] = -1
        else:
            if self.agg_n == self.agg_cap:
                self.agg_cap = self.agg_cap * 2 if self.agg_cap else 1024
                self.agg = <double*>self._re(self.agg, self.agg_cap * 4 * sizeof(double))
            a = self.agg + 4 * self.agg_n
            a[0] = s
            a[1] = c
            a[2] = lo
            a[3] = hi
            self.w_agg[r] = <int32_t>self.agg_n
            self.agg_n += 1
        self.w_prev[r] = <int32_t>self.head[sid]
        self.head[sid] = r
        self.w_n += 1
        return 0

    cdef int _resize_rows(self, Py_ssize_t cap) except -1:
        self.w_sid = <int32_t*>self._re(self.w_sid, cap * sizeof(int32_t))
        self.w_level = <uint8_t*>self._re(self.w_level, cap)
        self.w_ts = <int64_t*>self._re(self.w_ts, cap * sizeof(int64_t))
        self.w_last = <double*>self._re(self.w_last, cap * sizeof(double))
        self.w_prev = <int32_t*>self._re(self.w_prev, cap * sizeof(int32_t))
        self.w_agg = <int32_t*>self._re(self.w_agg, cap * sizeof(int32_t))
        self.w_cap = cap
        return 0

    cdef int _rederive(self, int64_t level, int64_t sid, int64_t ts) except -1:
        if self.rd_n == self.rd_cap:
            self.rd_cap = self.rd_cap * 2 if self.rd_cap else 1024
            self.rd = <int64_t*>self._re(self.rd, self.rd_cap * 3 * sizeof(int64_t))
        cdef int64_t* r = self.rd + self.rd_n * 3
        r[0] = level
        r[1] = sid
        r[2] = ts
        self.rd_n += 1
        return 0

    cdef inline int64_t _open_at(self, int64_t sid, int k) noexcept nogil:
        """Level k's open slot: the one holding the open finest slot (every point that moves
        the finest slot on moves the coarse ones with it: _open_finest), NONE when none is open."""
        cdef int64_t o0 = self.open0[sid]
        if o0 == NONE or k == 0:
            return o0
        return _floor(o0, self.sch_steps[self.schema[sid] * self.max_levels + k])

    cdef int _open_coarse(self, int64_t sid, int64_t i, int64_t slot) except -1:
        self._empty(i)
        self.lflags[i] &= ~(L_RESEED | L_SEEDING)
        _set_flag(&self.lflags[i], L_DERIVE, (not (self.sflags[sid] & S_NEW)) and slot < self.stored_before)
        return 0

    cdef int _close_coarse(self, int64_t sid, int k, int64_t i, int64_t slot) except -1:
        cdef double* a = self.acc + i * NACC
        if self.lflags[i] & (L_RESEED | L_DERIVE | L_SEEDING):
            self._rederive(k, sid, slot)
            self.lflags[i] &= ~(L_RESEED | L_DERIVE | L_SEEDING)
        elif self.cnt[i] > 0:
            self._write(sid, k, slot, a[0], <double>self.cnt[i], a[1], a[2], a[3])
        return 0

    cdef int _close_finest(self, int64_t sid) except -1:
        """Emit the open finest slot and merge it into the coarse slots holding it."""
        cdef int64_t base = self.lbase[sid]
        cdef double v = self.val0[sid]
        cdef int k
        self._write(sid, 0, self.open0[sid], v, 1.0, v, v, v)
        for k in range(1, self.nlev[sid]):
            self._merge(base + k, v)
            self.lflags[base + k] |= L_DIRTY
        return 0

    cdef int _open_finest(self, int64_t sid, int64_t s0) except -1:
        """Open a finest slot, and the coarse slots holding it (closing the ones it left)."""
        cdef int64_t base = self.lbase[sid], ck, was
        cdef const int64_t* steps = self.sch_steps + self.schema[sid] * self.max_levels
        cdef int k
        for k in range(1, self.nlev[sid]):
            ck = _floor(s0, steps[k])
            was = self._open_at(sid, k)
            if was != ck:
                if was != NONE:
                    self._close_coarse(sid, k, base + k, was)
                self._open_coarse(sid, base + k, ck)
        self.open0[sid] = s0
        return 0

    def add(self, sids, timestamps, values, int64_t now):
        with self._lock:
            self._add(sids, timestamps, values, now)

    cdef _add(self, sids, timestamps, values, int64_t now):
        cdef const int64_t[::1] S = np.ascontiguousarray(sids, np.int64)
        cdef const int64_t[::1] T = np.ascontiguousarray(timestamps, np.int64)
        cdef const double[::1] V = np.ascontiguousarray(values, np.float64)
        cdef Py_ssize_t n = S.shape[0], i
        cdef int64_t sid, ts, base, s0, sk, step0
        cdef double v
        cdef int k, j, nl
        cdef double n_fin
        cdef const int64_t* steps
        cdef const int64_t* rets
        if now > self.last_now:
            self.last_now = now
        for i in range(n):
            sid = S[i]
            ts = T[i]
            v = V[i]
            if sid < 0 or sid >= self.cap or self.nlev[sid] == 0:
                raise KeyError(f"series id {sid} was never configured with set_series()")
            nl = <int>self.nlev[sid]
            base = self.lbase[sid]
            steps = self.sch_steps + self.schema[sid] * self.max_levels
            rets = self.sch_rets + self.schema[sid] * self.max_levels
            self.c_points += 1
            if ts < now - self.sch_maxret[self.schema[sid]]:
                self.c_too_old += 1
                continue
            if ts < now - rets[0]:
                j = 1
                while j < nl and ts < now - rets[j]:
                    j += 1
                # a full slot, shown as written (the twin's written_slots)
                n_fin = <double>(steps[j] // steps[0])
                self._write(sid, j, _floor(ts, steps[j]), v if (self.sflags[sid] & S_SUMS) else v * n_fin, n_fin, v, v, v)
                for k in range(j + 1, nl):
                    sk = _floor(ts, steps[k])
                    self._rederive(k, sid, sk)
                    if sk == self._open_at(sid, k):  # its accumulator misses that point (see the twin)
                        self.lflags[base + k] |= L_DERIVE
                self.c_old += 1
                continue
            step0 = steps[0]
            s0 = _floor(ts, step0)
            if self.open0[sid] == NONE or s0 > self.open0[sid]:
                if self.open0[sid] != NONE:
                    self._close_finest(sid)
                self._open_finest(sid, s0)
                self.val0[sid] = v
                self.sflags[sid] |= S_DIRTY0
            elif s0 == self.open0[sid]:
                self.val0[sid] = v
                self.sflags[sid] |= S_DIRTY0
            else:
                self.c_late += 1
                self._write(sid, 0, s0, v, 1.0, v, v, v)
                for k in range(1, nl):
                    sk = _floor(s0, steps[k])
                    if sk == self._open_at(sid, k):  # its accumulator may hold an older value of that slot
                        self.lflags[base + k] |= L_RESEED | L_DIRTY
                    else:
                        self._rederive(k, sid, sk)
        self._fold()

    cdef void _fold(self):
        st = self.stats
        st["points"] += self.c_points
        st["too_old"] += self.c_too_old
        st["late"] += self.c_late
        st["old_rollup"] += self.c_old
        self.c_points = self.c_too_old = self.c_late = self.c_old = 0

    def seed(self, int64_t sid, int level, int64_t slot, double sum_, double count, double min_, double max_, double last):
        with self._lock:
            self._seed(sid, level, slot, sum_, count, min_, max_, last)

    cdef _seed(self, int64_t sid, int level, int64_t slot, double sum_, double count, double min_, double max_, double last):
        cdef int64_t i
        cdef double* a
        if not (0 <= sid < self.cap and 0 <= level < self.nlev[sid]):
            return
        if level == 0:  # the finest slot has no accumulator: only marked changed, as the twin does
            if self.open0[sid] == slot:
                self.sflags[sid] |= S_DIRTY0
            return
        cdef uint64_t stored_count
        i = self.lbase[sid] + level
        if self._open_at(sid, level) == slot and (self.lflags[i] & (L_SEEDING | L_RESEED | L_DERIVE)) == L_SEEDING:
            # the stored part (older) added to what the accumulator gathered since the drain
            a = self.acc + i * NACC
            if count > 0:
                # a count of finest slots, from the store (whole numbers): kept in 32 bits
                stored_count = <uint64_t>(count + 0.5) if count < UINT32_MAX else UINT32_MAX
                if self.cnt[i] == 0:
                    a[3] = last
                a[0] += sum_
                self.cnt[i] = <uint32_t>min(stored_count + self.cnt[i], <uint64_t>UINT32_MAX)
                if min_ < a[1]:
                    a[1] = min_
                if max_ > a[2]:
                    a[2] = max_
            self.lflags[i] = (self.lflags[i] & ~L_SEEDING) | L_DIRTY

    def state_bytes(self):
        """Bytes of the per-series and per-(series, coarse level) state, as allocated (each
        array's element size, so the sum follows the declarations above)."""
        per_series = (sizeof(self.nlev[0]) + sizeof(self.schema[0]) + sizeof(self.lbase[0]) + sizeof(self.open0[0])
                      + sizeof(self.sflags[0]) + sizeof(self.val0[0]) + sizeof(self.head[0]))
        per_level = sizeof(self.lflags[0]) + NACC * sizeof(self.acc[0]) + sizeof(self.cnt[0])
        per_schema = 2 * self.max_levels * sizeof(self.sch_steps[0]) + sizeof(self.sch_maxret[0])
        return self.cap * per_series + self.lv_cap * per_level + self.sch_cap * per_schema

    def rows_bytes(self):
        """Bytes of the buffers of rows held for reads, as allocated."""
        per_row = (sizeof(self.w_sid[0]) + sizeof(self.w_level[0]) + sizeof(self.w_ts[0]) + sizeof(self.w_last[0])
                   + sizeof(self.w_prev[0]) + sizeof(self.w_agg[0]))
        return self.w_cap * per_row + self.agg_cap * 4 * sizeof(self.agg[0]) + self.rd_cap * 3 * sizeof(self.rd[0])

    @property
    def rows_held(self):
        """Rows kept for reads (taken or not)."""
        return self.w_n

    @property
    def rows_taken(self):
        """Of them, the rows drained since the last release_flushed()."""
        return self.w_taken

    def drain(self, bint coarse_provisional=True, bint final=False):
        """Every series' rows (drain_series over all of them, in id order)."""
        with self._lock:
            return self._drain_series(np.arange(self.cap, dtype=np.int64), coarse_provisional, final)

    def drain_series(self, sids, bint coarse_provisional=True, bint final=False):
        """See the twin."""
        with self._lock:
            return self._drain_series(np.ascontiguousarray(sids, np.int64), coarse_provisional, final)

    cdef _drain_series(self, const int64_t[::1] S, bint coarse_provisional, bint final):
        cdef int64_t sid, base, i, o0, ok, r
        cdef int k
        cdef bint changed0, rebuild
        cdef double v0
        cdef double merged[NCOL]
        cdef Py_ssize_t j, m, first, count = 0, cap = 0
        cdef int32_t* rows = NULL  # the rows taken, each series' oldest first
        cdef int32_t swap
        cdef uint8_t* in_part = <uint8_t*>calloc(self.cap if self.cap else 1, 1)
        # the provisional rows this drain writes go after these: returned, then dropped
        cdef Py_ssize_t rows_before = self.w_n, agg_before = self.agg_n
        if in_part == NULL:
            raise MemoryError()
        reseed_rows = []
        try:
            for j in range(S.shape[0]):
                sid = S[j]
                if sid < 0 or sid >= self.cap or self.nlev[sid] == 0:
                    continue
                in_part[sid] = 1
                base = self.lbase[sid]
                o0 = self.open0[sid]
                if o0 != NONE:
                    v0 = self.val0[sid]
                    changed0 = (self.sflags[sid] & S_DIRTY0)
                    if changed0:
                        self._write(sid, 0, o0, v0, 1.0, v0, v0, v0)
                        self.sflags[sid] &= ~S_DIRTY0
                    for k in range(1, self.nlev[sid]):
                        i = base + k
                        ok = self._open_at(sid, k)
                        if ok == NONE:
                            continue
                        if self.lflags[i] & L_DERIVE:
                            # an earlier process may hold any of its finest slots: derived in the store
                            # once the series is quiet (see the twin)
                            if (coarse_provisional and (final or o0 < self.last_now - DERIVE_WHEN_QUIET)
                                    and ((self.lflags[i] & L_DIRTY) or changed0)):
                                self._rederive(k, sid, ok)
                                self.lflags[i] &= ~L_DIRTY
                            elif changed0:
                                self.lflags[i] |= L_DIRTY
                            continue
                        # seeding here means the last reseed's answer never came: ask again
                        rebuild = (self.lflags[i] & (L_RESEED | L_SEEDING)) != 0
                        if rebuild and ok >= self.last_now - self.sch_rets[self.schema[sid] * self.max_levels] + RESEED_MARGIN:
                            reseed_rows.append((sid, k, ok, o0))
                            self._empty(i)  # from now on: the finest slots closed after o0
                            self.lflags[i] = (self.lflags[i] & ~L_RESEED) | L_SEEDING
                        if not coarse_provisional or rebuild:
                            if changed0:
                                self.lflags[i] |= L_DIRTY
                        elif (self.lflags[i] & L_DIRTY) or changed0:
                            # the open finest slot always lies in the open coarse slots
                            self._with_open(i, v0, merged)
                            self._write(sid, k, ok, merged[0], merged[1], merged[2], merged[3], merged[4])
                            self.lflags[i] &= ~L_DIRTY
                # its rows not taken yet: the newest ones (a drain takes all of a series' rows)
                first = count
                r = self.head[sid]
                while r >= 0 and not (self.w_level[r] & TAKEN):
                    if count == cap:
                        cap = cap * 2 if cap else 4096
                        rows = <int32_t*>self._re(rows, cap * sizeof(int32_t))
                    rows[count] = <int32_t>r
                    count += 1
                    self.w_level[r] |= TAKEN
                    self.w_taken += 1
                    r = self.w_prev[r]
                m = count - 1
                while first < m:  # oldest first: where rows repeat a slot, the later one wins
                    swap = rows[first]
                    rows[first] = rows[m]
                    rows[m] = swap
                    first += 1
                    m -= 1
            columns = self._row_columns(rows, count)
            self._drop_rows_since(S, rows_before, agg_before)
            return Drained(*columns, self._take_rederive(in_part), reseed_rows)
        finally:
            free(rows)
            free(in_part)

    cdef void _drop_rows_since(self, const int64_t[::1] S, Py_ssize_t rows_before, Py_ssize_t agg_before) noexcept:
        """Drop the rows written since rows_before: a drain's provisional rows, all of the
        series S, all taken; each series' newest rows (its chain starts with them)."""
        cdef Py_ssize_t j
        cdef int64_t sid, r
        if self.w_n == rows_before:
            return
        for j in range(S.shape[0]):
            sid = S[j]
            if 0 <= sid < self.cap:
                r = self.head[sid]
                while r >= rows_before:
                    r = self.w_prev[r]
                self.head[sid] = r
        self.w_taken -= self.w_n - rows_before
        self.w_n = rows_before
        self.agg_n = agg_before

    cdef tuple _row_columns(self, const int32_t* rows, Py_ssize_t n):
        """sid, level, ts and the 5 value columns of the rows at `rows`."""
        cdef cnp.ndarray out_sid = np.empty(n, np.int64)
        cdef cnp.ndarray out_level = np.empty(n, np.int64)
        cdef cnp.ndarray out_ts = np.empty(n, np.int64)
        cdef cnp.ndarray vals = np.empty((n, NCOL), np.float64)
        cdef int64_t* sid_p = <int64_t*>out_sid.data
        cdef int64_t* level_p = <int64_t*>out_level.data
        cdef int64_t* ts_p = <int64_t*>out_ts.data
        cdef double* val_p = <double*>vals.data
        cdef Py_ssize_t j, r
        with nogil:
            for j in range(n):
                r = rows[j]
                sid_p[j] = self.w_sid[r]
                level_p[j] = self.w_level[r] & LEVEL_BITS
                ts_p[j] = self.w_ts[r]
                self._columns(r, val_p + j * NCOL)
        return out_sid, out_level, out_ts, vals

    cdef _take_rederive(self, const uint8_t* in_part):
        """The pending re-derivations of the series marked in_part, sorted by (level, sid, ts);
        the others stay."""
        cdef Py_ssize_t j, kept = 0, n = 0
        cdef int64_t* row
        cdef cnp.ndarray out = np.empty((self.rd_n, 3), np.int64)
        cdef int64_t* out_p = <int64_t*>out.data
        for j in range(self.rd_n):
            row = self.rd + 3 * j
            if in_part[row[1]]:
                out_p[3 * n] = row[0]
                out_p[3 * n + 1] = row[1]
                out_p[3 * n + 2] = row[2]
                n += 1
            else:
                memmove(self.rd + 3 * kept, row, 3 * sizeof(int64_t))
                kept += 1
        self.rd_n = kept
        return np.unique(out[:n], axis=0) if n else out[:0]  # sorted by (level, sid, ts), as the twin

    cdef inline void _columns(self, Py_ssize_t r, double* out) noexcept nogil:
        """Row r's SUM, COUNT, MIN, MAX, LAST."""
        cdef double* a
        cdef double v = self.w_last[r]
        if self.w_agg[r] < 0:
            out[0] = v
            out[1] = 1.0
            out[2] = v
            out[3] = v
        else:
            a = self.agg + 4 * <Py_ssize_t>self.w_agg[r]
            out[0] = a[0]
            out[1] = a[1]
            out[2] = a[2]
            out[3] = a[3]
        out[4] = v

    def release_flushed(self):
        """The store holds every row drained so far: drop them, relink the rest, and give
        back the buffers' memory when they are mostly empty (a burst's rows need not stay
        resident after its flush)."""
        cdef Py_ssize_t i, j, keep = 0, agg_keep = 0
        cdef int64_t sid
        with self._lock:
            for i in range(self.cap):
                self.head[i] = -1
            for j in range(self.w_n):
                if self.w_level[j] & TAKEN:
                    continue
                sid = self.w_sid[j]
                self.w_sid[keep] = <int32_t>sid
                self.w_level[keep] = self.w_level[j]
                self.w_ts[keep] = self.w_ts[j]
                self.w_last[keep] = self.w_last[j]
                if self.w_agg[j] >= 0:  # side entries follow their rows' order: moved down in place
                    memmove(self.agg + 4 * agg_keep, self.agg + 4 * <Py_ssize_t>self.w_agg[j], 4 * sizeof(double))
                    self.w_agg[keep] = <int32_t>agg_keep
                    agg_keep += 1
                else:
                    self.w_agg[keep] = -1
                self.w_prev[keep] = <int32_t>self.head[sid]
                self.head[sid] = keep
                keep += 1
            self.w_n = keep
            self.w_taken = 0
            self.agg_n = agg_keep
            if self.w_cap > MIN_ROWS and self.w_n < self.w_cap // 4:
                self._resize_rows(max(MIN_ROWS, 2 * self.w_n))
            if self.agg_cap > MIN_ROWS and self.agg_n < self.agg_cap // 4:
                self.agg_cap = max(MIN_ROWS, 2 * self.agg_n)
                self.agg = <double*>self._re(self.agg, self.agg_cap * 4 * sizeof(double))

    def recent(self, int64_t sid, int level, int64_t start, int64_t end):
        """See the twin."""
        cdef int64_t r, ts, slot, i
        cdef Py_ssize_t n = 0, cols = 1 if level == 0 else NCOL
        cdef double v0
        cdef int64_t[::1] T
        cdef double[:, ::1] V
        with self._lock:
            if sid < 0 or sid >= self.cap or self.nlev[sid] == 0 or not 0 <= level < self.nlev[sid]:
                return None
            i = self.lbase[sid] + level
            r = self.head[sid]
            while r >= 0:
                if (self.w_level[r] & LEVEL_BITS) == level:
                    n += 1
                r = self.w_prev[r]
            out_ts = np.empty(n + 1, np.int64)
            out_vals = np.empty((n + 1, cols), np.float64)
            T = out_ts
            V = out_vals
            n = 0
            slot = self._open_at(sid, level)
            if slot != NONE and start <= slot < end:  # newest first: the open slot
                v0 = self.val0[sid]
                if level == 0:
                    T[0] = slot
                    V[0, 0] = v0
                    n = 1
                elif not (self.lflags[i] & (L_DERIVE | L_RESEED | L_SEEDING)):  # else its accumulator saw only part of it
                    T[0] = slot
                    self._with_open(i, v0, &V[0, 0])
                    n = 1
            r = self.head[sid]
            while r >= 0:
                ts = self.w_ts[r]
                if (self.w_level[r] & LEVEL_BITS) == level and start <= ts < end:
                    T[n] = ts
                    if level == 0:
                        V[n, 0] = self.w_last[r]
                    else:
                        self._columns(r, &V[n, 0])
                    n += 1
                r = self.w_prev[r]
        return newest_per_slot(out_ts[:n], out_vals[:n])
