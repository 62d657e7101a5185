"""The streaming rollup aggregator: the pure-Python twin, which defines the behaviour;
ext/rollup.pyx (tsstore.ingest._rollup) replaces RollupAggregator when built
(TSSTORE_NO_EXTENSIONS=1 keeps this one). Both return the Drained defined here.

One open slot per (series, level). Level 0 (finest) keeps the open slot's value, last write
wins. Coarser levels keep an accumulator (SUM, COUNT, MIN, MAX, LAST) of the *closed*
finest slots merged into their open slot, so a resent point never counts twice.

add() emits rows as slots close; drain_series() returns those of some series plus provisional
rows for their open slots that changed, and two kinds of work the pipeline does against the
store:
* rederive: a coarse slot to recompute from the next finer level (a late point landed in
  it, it closed while its accumulator was known to be incomplete, or it is open and may
  hold an earlier process's points: below);
* reseed: an open coarse slot whose accumulator must be rebuilt from level-0 slots in
  [slot, upto) (a late point landed inside it); then seed().
A reseed empties the accumulator when the drain asks for it; it then gathers the finest
slots closed after `upto`, and seed() adds what the store holds before `upto` (written by
that same flush). Until then provisional drains and reads skip the slot; if it closes first,
it is re-derived. A slot the finest level's retention no longer covers is not reseeded from
it: it waits for its close (RESEED_MARGIN).
A coarse slot that an earlier process may have filled (a series that existed before this
process, a slot starting before the process did: WAL replay, resends after a restart) is
never written from the accumulator, which saw only part of it: it is derived from the store
when it closes, and by a provisional drain once its series is quiet (DERIVE_WHEN_QUIET), the
finer slots being written first. Reads skip it in memory and find it in the store.

Reads see what the store has not taken yet: emitted rows stay, indexed by series, until
release_flushed() says the store holds every row drained so far, and recent() answers one
(series, level) from them and the open slot (a coarse open slot only when its accumulator
is complete). A drain's provisional rows are not kept: the open slot they copy is read from
the state, and its close emits a row again (kept, they were 3M rows a flush at 1M series,
written into the buffers and compacted out again: 40% of the drains' and releases' time).
The methods are atomic with respect to each other (HTTP threads call recent() while the event
loop adds): both twins take one lock per call.
"""
from __future__ import annotations

import functools
import sys
import threading
import time

import numpy as np

from tsstore import _ext
from tsstore.model import AGG_COLUMNS, LAST, written_slots

NONE = np.iinfo(np.int64).min
MAX_LEVELS = 127  # the compiled twin keeps a row's level in 7 bits
EMPTY = (0.0, 0.0, float("inf"), float("-inf"), float("nan"))
# An open coarse slot that may hold an earlier process's points is derived from the store
# (not written from memory) once its series sent nothing newer for this long, and at a final
# flush; one still filling waits for its close, which derives it anyway.
DERIVE_WHEN_QUIET = 120
# An open coarse slot is reseeded from level 0 only if it starts this long inside the
# finest level's retention (the reseed reads it right after the drain that asks for it).
RESEED_MARGIN = 60


def _merge(acc, v):
    s, c, lo, hi, _ = acc
    return (s + v, c + 1.0, min(lo, v), max(hi, v), v)


def _combined(older, newer):
    """Two accumulators of disjoint finest slots, `older` before `newer`, as one."""
    if newer[1] <= 0:
        return older
    if older[1] <= 0:
        return newer
    return (older[0] + newer[0], older[1] + newer[1], min(older[2], newer[2]), max(older[3], newer[3]), newer[4])


def _point(v):
    return (v, 1.0, v, v, v)


def _locked(method):
    @functools.wraps(method)
    def call(self, *args, **kwargs):
        with self._lock:
            return method(self, *args, **kwargs)
    return call


def newest_per_slot(ts: np.ndarray, values: np.ndarray):
    """Rows newest first -> (sorted unique slot timestamps, their newest values)."""
    ts, first = np.unique(ts, return_index=True)
    return ts, values[first]


class Drained:
    """What one drain() returns, as numpy arrays:
    writes: w_sid, w_level, w_ts and w_values (n x 5: SUM, COUNT, MIN, MAX, LAST), in the order
    written (a later row of a slot wins); rederive_{level,sid,ts}: closed coarse slots to
    recompute from the next finer level, sorted; reseed_{sid,level,ts,upto}: open coarse slots
    to rebuild from the level-0 slots in [ts, upto), then seed()."""

    def __init__(self, w_sid, w_level, w_ts, w_values, rederive, reseed):
        """rederive: rows (level, sid, ts); reseed: rows (sid, level, ts, upto)."""
        rederive = np.asarray(rederive, np.int64).reshape(-1, 3)
        reseed = np.asarray(reseed, np.int64).reshape(-1, 4)
        self.w_sid, self.w_level, self.w_ts, self.w_values = w_sid, w_level, w_ts, w_values
        self.rederive_level, self.rederive_sid, self.rederive_ts = (rederive[:, i].copy() for i in range(3))
        self.reseed_sid, self.reseed_level, self.reseed_ts, self.reseed_upto = (reseed[:, i].copy() for i in range(4))


    def only(self, series_kept) -> "Drained":
        """This drain without the rows of the series series_kept (a mask function of sids)
        leaves out: deleted series' rows are neither written nor re-derived."""
        w = series_kept(self.w_sid)
        rederive = series_kept(self.rederive_sid)
        reseed = series_kept(self.reseed_sid)
        if w.all() and rederive.all() and reseed.all():  # the usual flush: nothing deleted, nothing copied
            return self
        return Drained(self.w_sid[w], self.w_level[w], self.w_ts[w], self.w_values[w],
                       np.stack([self.rederive_level, self.rederive_sid, self.rederive_ts], axis=1)[rederive],
                       np.stack([self.reseed_sid, self.reseed_level, self.reseed_ts, self.reseed_upto], axis=1)[reseed])

    def rederiving(self, shared) -> "Drained":
        """This drain with the coarse rows of the series `shared` (a mask function of sids)
        picks turned into re-derivations: another process writes those series too, so their
        coarse slots come from the finest data of both in the store, not from this process's
        part of it (tsstore.ingest.series_rollups: note_shared)."""
        moved = (self.w_level > 0) & shared(self.w_sid)
        if not moved.any():
            return self
        kept = ~moved
        rederive = np.unique(np.concatenate([
            np.stack([self.rederive_level, self.rederive_sid, self.rederive_ts], axis=1),
            np.stack([self.w_level[moved], self.w_sid[moved], self.w_ts[moved]], axis=1).astype(np.int64)]), axis=0)
        return Drained(self.w_sid[kept], self.w_level[kept], self.w_ts[kept], self.w_values[kept], rederive,
                       np.stack([self.reseed_sid, self.reseed_level, self.reseed_ts, self.reseed_upto], axis=1))


class _Series:
    __slots__ = ("steps", "rets", "maxret", "is_new", "sums", "open", "val0", "acc", "dirty", "reseed", "derive",
                 "seeding")

    def __init__(self, steps, rets, is_new, sums):
        n = len(steps)
        self.steps, self.rets, self.maxret, self.is_new, self.sums = list(steps), list(rets), max(rets), is_new, sums
        self.open = [NONE] * n
        self.val0 = 0.0
        self.acc = [EMPTY] * n
        self.dirty = [False] * n
        self.reseed = [False] * n
        self.derive = [False] * n  # the open coarse slot may hold stored data: derive it from the store
        self.seeding = [False] * n  # a reseed is out: the accumulator holds only the slots closed since


class RollupAggregator:
    def __init__(self, max_levels: int = 8, stored_before: int | None = None):
        """stored_before: coarse slots of known series starting before this time may hold
        finer slots an earlier process stored (default: now, when this process starts)."""
        if not 1 <= max_levels <= MAX_LEVELS:
            raise ValueError(f"rollup aggregator: max_levels {max_levels}, 1 to {MAX_LEVELS} supported")
        self.max_levels = max_levels
        self.stored_before = int(time.time()) if stored_before is None else int(stored_before)
        self._series: dict[int, _Series] = {}
        self._rows: list = []  # (sid, level, ts, 5 values) emitted since the store last took a flush
        self._taken: set[int] = set()  # the rows drain_series() returned
        self._rows_of: dict[int, list[int]] = {}  # sid -> its rows, oldest first
        self._lock = threading.RLock()
        self._rederive: set = set()
        self._now = 0  # add()'s latest `now`: what the drains judge the finest retention by
        self.stats = {"points": 0, "too_old": 0, "late": 0, "old_rollup": 0}

    def _emit(self, sid: int, level: int, ts: int, values) -> None:
        self._rows_of.setdefault(sid, []).append(len(self._rows))
        self._rows.append((sid, level, ts, values))

    @_locked
    def set_series(self, sid: int, steps, retentions, is_new: bool, sums: bool = False) -> None:
        """sums: the series aggregates by sum (a point written straight into a coarse slot is
        that slot's sum; for the other methods it stands for every finest slot in it)."""
        if not 1 <= len(steps) <= self.max_levels:
            raise ValueError(f"series {sid}: {len(steps)} rollup levels, 1 to {self.max_levels} supported")
        if len(steps) != len(retentions):
            raise ValueError(f"series {sid}: {len(steps)} steps but {len(retentions)} retentions")
        self._series[int(sid)] = _Series([int(s) for s in steps], [int(r) for r in retentions], bool(is_new), bool(sums))

    @_locked
    def set_series_many(self, sids, steps, retentions, is_new, sums) -> None:
        """set_series of many series at once: steps and retentions are (series x levels)
        arrays, 0 past a series' levels; is_new and sums one per series."""
        sids, steps, retentions = np.asarray(sids), np.asarray(steps), np.asarray(retentions)
        if not len(sids) == len(steps) == len(retentions) == len(is_new) == len(sums) or steps.shape != retentions.shape:
            raise ValueError("set_series_many: sids, steps, retentions, is_new and sums describe different series counts")
        for i, (sid, new, summed) in enumerate(zip(sids.tolist(), np.asarray(is_new).tolist(), np.asarray(sums).tolist())):
            levels = int(np.count_nonzero(steps[i]))
            self.set_series(sid, steps[i, :levels].tolist(), retentions[i, :levels].tolist(), new, summed)

    def _open_coarse(self, sid: int, s: _Series, k: int, slot: int) -> None:
        s.open[k] = slot
        s.acc[k] = EMPTY
        s.reseed[k] = s.seeding[k] = False
        s.derive[k] = not s.is_new and slot < self.stored_before

    def _close_coarse(self, sid: int, s: _Series, k: int) -> None:
        if s.reseed[k] or s.derive[k] or s.seeding[k]:
            self._rederive.add((k, sid, s.open[k]))  # its accumulator was incomplete
            s.reseed[k] = s.derive[k] = s.seeding[k] = False
        elif s.acc[k][1] > 0:
            self._emit(sid, k, s.open[k], s.acc[k])

    @_locked
    def add(self, sids, timestamps, values, now: int) -> None:
        self._now = max(self._now, int(now))
        for sid, ts, v in zip(np.asarray(sids).tolist(), np.asarray(timestamps).tolist(), np.asarray(values).tolist()):
            s = self._series[sid]
            self.stats["points"] += 1
            if ts < now - s.maxret:
                self.stats["too_old"] += 1
                continue
            if ts < now - s.rets[0]:
                j = next(k for k in range(1, len(s.steps)) if ts >= now - s.rets[k])
                # older than the finest retention: written as whisper writes it, shown as it is
                direct = written_slots([v], s.steps[j] // s.steps[0], "sum" if s.sums else "average")[0]
                self._emit(sid, j, ts // s.steps[j] * s.steps[j], tuple(direct.tolist()))
                for k in range(j + 1, len(s.steps)):
                    sk = ts // s.steps[k] * s.steps[k]
                    self._rederive.add((k, sid, sk))
                    if sk == s.open[k]:  # its accumulator misses that point: the store decides it from now on
                        s.derive[k] = True
                self.stats["old_rollup"] += 1
                continue
            step0 = s.steps[0]
            s0 = ts // step0 * step0
            if s.open[0] == NONE or s0 > s.open[0]:
                if s.open[0] != NONE:
                    self._close_finest(sid, s)
                self._open_finest(sid, s, s0)
                s.val0, s.dirty[0] = v, True
            elif s0 == s.open[0]:
                s.val0, s.dirty[0] = v, True
            else:
                self.stats["late"] += 1
                self._emit(sid, 0, s0, _point(v))
                for k in range(1, len(s.steps)):
                    sk = s0 // s.steps[k] * s.steps[k]
                    if sk == s.open[k]:  # its accumulator may hold an older value of that slot
                        s.reseed[k] = s.dirty[k] = True
                    else:
                        self._rederive.add((k, sid, sk))

    def _close_finest(self, sid: int, s: _Series) -> None:
        """Emit the open finest slot and merge it into the coarse slots holding it."""
        c0, v = s.open[0], s.val0
        self._emit(sid, 0, c0, _point(v))
        for k in range(1, len(s.steps)):
            s.acc[k] = _merge(s.acc[k], v)
            s.dirty[k] = True

    def _open_finest(self, sid: int, s: _Series, s0: int) -> None:
        """Open a finest slot, and the coarse slots holding it (closing the ones it left)."""
        s.open[0] = s0
        for k in range(1, len(s.steps)):
            ck = s0 // s.steps[k] * s.steps[k]
            if s.open[k] != ck:
                if s.open[k] != NONE:
                    self._close_coarse(sid, s, k)
                self._open_coarse(sid, s, k, ck)

    @_locked
    def seed(self, sid: int, level: int, slot: int, sum_, count, min_, max_, last) -> None:
        """The stored part of a reseed that a drain asked for: added to what the accumulator
        gathered since. Dropped when the slot closed or needs another reseed meanwhile."""
        s = self._series[int(sid)]
        if level == 0:
            if s.open[0] == slot:
                s.dirty[0] = True
        elif s.open[level] == slot and s.seeding[level] and not (s.reseed[level] or s.derive[level]):
            stored = (float(sum_), float(count), float(min_), float(max_), float(last))
            s.acc[level] = _combined(stored, s.acc[level])
            s.seeding[level] = False
            s.dirty[level] = True

    def state_bytes(self) -> int:
        """Bytes of the per-series state (the twin's is an estimate: its objects' sizes)."""
        return sys.getsizeof(self._series) + sum(sys.getsizeof(s) + sys.getsizeof(s.open) + sys.getsizeof(s.acc) for s in self._series.values())

    def rows_bytes(self) -> int:
        """Bytes of the rows held for reads (the twin's is an estimate)."""
        return sys.getsizeof(self._rows) + sum(sys.getsizeof(row) for row in self._rows) + sys.getsizeof(self._rows_of)

    @property
    def rows_held(self) -> int:
        """Rows kept for reads (taken or not)."""
        return len(self._rows)

    @property
    def rows_taken(self) -> int:
        """Of them, the rows drained since the last release_flushed()."""
        return len(self._taken)

    @_locked
    def drain(self, coarse_provisional: bool = True, final: bool = False) -> Drained:
        """Every series' rows (drain_series over all of them, in id order)."""
        return self.drain_series(sorted(self._series), coarse_provisional, final)

    @_locked
    def drain_series(self, sids, coarse_provisional: bool = True, final: bool = False) -> Drained:
        """The rows of the series `sids` (in that order) not drained since the store last
        took a flush (release_flushed), with provisional rows for their open slots that
        changed, and their pending re-derivations: a flush takes its series in parts this
        way. A series' rows come oldest first (where they repeat a slot, the later one wins).
        coarse_provisional=False keeps open coarse slots pending (marked changed) instead of
        writing them: the store is written less often, and the slots are written when they
        close or at a later provisional drain. final: the process stops; open slots that may
        hold an earlier process's points are derived now, quiet or not."""
        reseed, taken_rows, part = [], [], set()
        provisional = len(self._rows)  # the rows emitted from here on: returned, then dropped
        for sid in np.asarray(sids, np.int64).tolist():
            s = self._series.get(sid)
            if s is None:
                continue
            part.add(sid)
            if s.open[0] != NONE:
                changed0 = s.dirty[0]
                if changed0:
                    self._emit(sid, 0, s.open[0], _point(s.val0))
                    s.dirty[0] = False
                for k in range(1, len(s.steps)):
                    if s.open[k] == NONE:
                        continue
                    if s.derive[k]:
                        # an earlier process may hold any of its finest slots: only the store can
                        # tell, so its provisional value is derived there (again when it closes),
                        # once the series went quiet (a slot still filling waits for its close)
                        quiet = final or s.open[0] < self._now - DERIVE_WHEN_QUIET
                        if coarse_provisional and quiet and (s.dirty[k] or changed0):
                            self._rederive.add((k, sid, s.open[k]))
                            s.dirty[k] = False
                        else:
                            s.dirty[k] = s.dirty[k] or changed0
                        continue
                    # seeding here means the last reseed's answer never came: ask again
                    rebuild = s.reseed[k] or s.seeding[k]
                    if rebuild and s.open[k] >= self._now - s.rets[0] + RESEED_MARGIN:
                        reseed.append((sid, k, s.open[k], s.open[0]))
                        s.acc[k] = EMPTY  # from now on: the finest slots closed after open[0]
                        s.reseed[k], s.seeding[k] = False, True
                    if not coarse_provisional or rebuild:
                        s.dirty[k] = s.dirty[k] or changed0
                    elif s.dirty[k] or changed0:
                        # the open finest slot always lies in the open coarse slots
                        self._emit(sid, k, s.open[k], _merge(s.acc[k], s.val0))
                        s.dirty[k] = False
            mine = [i for i in self._rows_of.get(sid, ()) if i not in self._taken]
            self._taken.update(mine)
            taken_rows += mine
        writes = [self._rows[i] for i in taken_rows]
        self._drop_rows_since(provisional, part)
        rederive = sorted(r for r in self._rederive if r[1] in part)
        self._rederive.difference_update(rederive)
        return Drained(np.array([w[0] for w in writes], np.int64), np.array([w[1] for w in writes], np.int64),
                       np.array([w[2] for w in writes], np.int64),
                       np.array([w[3] for w in writes], np.float64).reshape(len(writes), AGG_COLUMNS), rederive, reseed)

    def _drop_rows_since(self, first: int, sids) -> None:
        """Drop the rows emitted since `first`: a drain's provisional rows, of the series
        `sids`, all taken."""
        end = len(self._rows)
        if end == first:
            return
        del self._rows[first:]
        self._taken.difference_update(range(first, end))
        for sid in sids:
            mine = self._rows_of.get(sid)
            while mine and mine[-1] >= first:
                mine.pop()

    @_locked
    def release_flushed(self) -> None:
        """The store holds every row drained so far: reads no longer need them."""
        keep = [row for i, row in enumerate(self._rows) if i not in self._taken]
        self._rows, self._taken, self._rows_of = [], set(), {}
        for row in keep:
            self._emit(*row)

    @_locked
    def recent(self, sid: int, level: int, start: int, end: int):
        """(ts, values) of one series' level with start <= ts < end that the store may not
        have yet: sorted unique slots, the newest value of each; values has the level's
        columns (LAST alone for level 0). None for a series this aggregator does not hold."""
        s = self._series.get(int(sid))
        if s is None or not 0 <= level < len(s.steps):
            return None
        rows = [self._rows[i] for i in reversed(self._rows_of.get(int(sid), ()))]
        rows = [r for r in rows if r[1] == level and start <= r[2] < end]
        slot = s.open[level]
        if slot != NONE and start <= slot < end:
            if level == 0:
                rows.insert(0, (sid, 0, slot, _point(s.val0)))
            elif not (s.derive[level] or s.reseed[level] or s.seeding[level]):  # else its accumulator saw only part of it
                rows.insert(0, (sid, level, slot, _merge(s.acc[level], s.val0)))
        ts = np.array([r[2] for r in rows], np.int64)
        values = np.array([r[3] for r in rows], np.float64).reshape(len(rows), AGG_COLUMNS)
        return newest_per_slot(ts, values[:, LAST : LAST + 1] if level == 0 else values)


# Last: the compiled module imports Drained from this one.
compiled = _ext.switch(globals(), "tsstore.ingest._rollup", ("RollupAggregator",))
