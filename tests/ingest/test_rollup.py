"""The rollup aggregator, compiled and pure-Python twin, against a brute-force reference.

The reference is what DESIGN.md promises: the finest rollup keeps one value per slot (last
write wins); every coarse slot equals the merge (SUM, COUNT, MIN, MAX, LAST) of the finest
slots in its span, whatever the order, duplicates and drain points of the stream.
"""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from tsstore import _ext
from tsstore.ingest import rollup

IMPLS = _ext.implementations(rollup, "tsstore.ingest._rollup")
NOW = 1_000_000
B = (NOW - 600) // 60 * 60  # a whole minute, ten minutes back


def test_compiled_module_is_built():
    assert len(IMPLS) == 2, "tsstore.ingest._rollup is not built: run python3 setup.py build_ext --inplace"
    assert rollup.COMPILED == (not _ext.extensions_disabled())
    assert (rollup.RollupAggregator is IMPLS[1].RollupAggregator) == rollup.COMPILED


def _ids(impls):
    return [m.__name__.rsplit(".", 1)[-1] for m in impls]


@pytest.fixture(params=IMPLS, ids=_ids(IMPLS))
def impl(request):
    return request.param


class SimulatedStore:
    """Last write wins per (sid, level, slot); executes the drained work as the pipeline does."""

    def __init__(self, agg, steps_of):
        self.agg, self.steps_of, self.slots = agg, steps_of, {}

    def _range(self, sid, level, lo, hi):
        return sorted((ts, v) for (s, l, ts), v in self.slots.items() if s == sid and l == level and lo <= ts < hi)

    @staticmethod
    def _merge(rows, raw):
        if not rows:
            return None
        vals = [v for _, v in rows]
        if raw:
            xs = [v[0] for v in vals]
            return (sum(xs), float(len(xs)), min(xs), max(xs), xs[-1])
        return (sum(v[0] for v in vals), sum(v[1] for v in vals), min(v[2] for v in vals), max(v[3] for v in vals), vals[-1][4])

    def apply(self, d, sids=None):
        """d's work; `sids`: the series of a drain_series() part, drained again after a reseed."""
        levels = set(d.w_level.tolist()) | set(d.rederive_level.tolist()) | {0}
        for level in range(max(levels) + 1):
            for sid, lev, ts, vals in zip(d.w_sid.tolist(), d.w_level.tolist(), d.w_ts.tolist(), d.w_values.tolist()):
                if lev == level:
                    self.slots[(sid, lev, ts)] = tuple(vals) if lev else (vals[3],)
            for lev, sid, ts in zip(d.rederive_level.tolist(), d.rederive_sid.tolist(), d.rederive_ts.tolist()):
                if lev == level:
                    steps = self.steps_of[sid]
                    agg = self._merge(self._range(sid, lev - 1, ts, ts + steps[lev]), raw=lev == 1)
                    if agg:
                        self.slots[(sid, lev, ts)] = agg
        if len(d.reseed_sid):
            for sid, lev, ts, upto in zip(d.reseed_sid.tolist(), d.reseed_level.tolist(), d.reseed_ts.tolist(), d.reseed_upto.tolist()):
                agg = self._merge(self._range(sid, 0, ts, upto), raw=True) or (0.0, 0.0, float("inf"), float("-inf"), float("nan"))
                self.agg.seed(sid, lev, ts, *agg)
            self.apply(self.agg.drain() if sids is None else self.agg.drain_series(sids), sids)

    def apply_in_parts(self, agg, coarse):
        """A flush as the flusher runs it: a series at a time, in an order other than their
        ids (the flusher's is the store keys')."""
        for sid in sorted(self.steps_of, reverse=True):
            self.apply(agg.drain_series([sid], coarse), [sid])


def reference(points, steps):
    """{(sid, level, slot): value tuple} from first principles."""
    finest = {}
    for sid, ts, v in points:
        finest[(sid, ts // steps[sid][0] * steps[sid][0])] = v
    out = {(sid, 0, ts): (v,) for (sid, ts), v in finest.items()}
    for sid in {s for s, _ in finest}:
        for level, step in enumerate(steps[sid][1:], start=1):
            spans = {}
            for (s, ts), v in sorted(finest.items()):
                if s == sid:
                    spans.setdefault(ts // step * step, []).append(v)
            for slot, vs in spans.items():
                out[(sid, level, slot)] = (sum(vs), float(len(vs)), min(vs), max(vs), vs[-1])
    return out


def run_stream(module, batches, steps, drains, is_new=True, store=None, final_coarse=True, now=NOW):
    """drains[i % len]: 0 no drain after batch i, 1 a full drain, 2 a drain without coarse
    provisionals, 3 a drain in parts (drain_series). The last drain is a stopping process's
    (final), or with final_coarse=False one that leaves the open coarse slots unwritten."""
    agg = module.RollupAggregator()
    for sid, st_ in steps.items():
        agg.set_series(sid, st_, [s * 100_000 for s in st_], is_new)
    store = store or SimulatedStore(agg, steps)
    store.agg = agg
    for i, batch in enumerate(batches):
        if batch:
            sids, ts, vals = zip(*batch)
            agg.add(np.array(sids, np.int64), np.array(ts, np.int64), np.array(vals, np.float64), now)
        mode = drains[i % len(drains)]
        if mode == 3:
            store.apply_in_parts(agg, True)
        elif mode:
            store.apply(agg.drain(mode == 1))
    store.apply(agg.drain(True, final=True) if final_coarse else agg.drain(False))
    return agg, store


STEP_SETS = [(10, 60, 600), (60, 300, 3600), (1, 10), (10,)]


@st.composite
def streams(draw):
    nseries = draw(st.integers(1, 3))
    steps = {sid: draw(st.sampled_from(STEP_SETS)) for sid in range(nseries)}
    base = NOW - 20_000
    point = st.tuples(
        st.integers(0, nseries - 1),
        st.integers(base, base + 7200),
        st.integers(-50, 50).map(float),  # integers: sums are exact in any order
    )
    pts = draw(st.lists(point, min_size=1, max_size=120))
    if draw(st.booleans()):
        pts.sort(key=lambda p: p[1])  # mostly in-order streams, as senders send them
    if draw(st.booleans()) and pts:
        pts += draw(st.lists(st.sampled_from(pts), max_size=20))  # resends
    cuts = sorted(draw(st.lists(st.integers(0, len(pts)), max_size=6)))
    batches, prev = [], 0
    for c in cuts + [len(pts)]:
        batches.append(pts[prev:c])
        prev = c
    drains = draw(st.lists(st.sampled_from([0, 1, 2, 3]), min_size=1, max_size=5))
    return steps, batches, drains, pts


@given(streams())
@settings(deadline=None)
def test_store_equals_reference_and_twins_agree(stream):
    steps, batches, drains, pts = stream
    results = []
    for module in IMPLS:
        _, store = run_stream(module, batches, steps, drains)
        assert store.slots.keys() == reference(pts, steps).keys()
        for key, want in reference(pts, steps).items():
            assert store.slots[key] == pytest.approx(want), f"{module.__name__} slot {key}"
        results.append(store.slots)
    assert all(r == results[0] for r in results)


@given(streams(), st.integers(0, 140), st.integers(0, 10), st.booleans())
@settings(deadline=None)
def test_a_restart_mid_stream_leaves_the_store_as_one_process_would(stream, cut, resent, live):
    """A process stops cleanly after part of the stream; a new one, which finds the series
    known (an earlier process may hold any of their coarse slots), gets the rest, and the
    last `resent` points of the first part again (a WAL replay overlaps what was stored).
    Every slot ends as the reference has it, including the coarse slots open at the restart
    that no later point closes (once left unwritten). live: the stream's newest points are
    recent (series still sending), else hours old (quiet series)."""
    steps, batches, drains, pts = stream
    now = max(ts for _, ts, _ in pts) + 30 if live else NOW
    cut = min(cut, len(pts))
    second = pts[max(0, cut - resent):]
    want = reference(pts[:cut] + second, steps)
    for module in IMPLS:
        _, store = run_stream(module, [pts[:cut]], steps, drains, now=now)
        _, store = run_stream(module, [second[: len(second) // 2], second[len(second) // 2:]], steps, drains,
                              is_new=False, store=store, now=now)
        assert store.slots.keys() == want.keys(), module.__name__
        for key, value in want.items():
            assert store.slots[key] == pytest.approx(value), f"{module.__name__} slot {key}"


@given(streams())
@settings(deadline=None)
def test_compiled_and_twin_drain_identical_rows(stream):
    steps, batches, drains, _ = stream
    outputs = []
    for module in IMPLS:
        agg = module.RollupAggregator()
        for sid, st_ in steps.items():
            agg.set_series(sid, st_, [s * 100_000 for s in st_], sid % 2 == 0, sums=sid % 3 == 0)
        rows = []
        for batch in batches:
            if batch:
                sids, ts, vals = zip(*batch)
                agg.add(np.array(sids), np.array(ts), np.array(vals), NOW)
            coarse = bool(batch) and len(batch) % 2 == 0
            if len(batch) % 3 == 0:
                parts = [agg.drain(coarse)]
            else:  # in parts, the highest ids first
                order = sorted(steps, reverse=True)
                parts = [agg.drain_series(order[:1], coarse), agg.drain_series(order[1:], coarse)]
            for d in parts:
                rows.append([getattr(d, f).tolist() for f in (
                    "w_sid", "w_level", "w_ts", "w_values", "rederive_sid", "rederive_level", "rederive_ts",
                    "reseed_sid", "reseed_level", "reseed_ts", "reseed_upto")])
            if len(batch) % 2:
                agg.release_flushed()
        outputs.append((rows, dict(agg.stats)))
    assert all(o == outputs[0] for o in outputs)


@given(st.lists(st.tuples(st.sampled_from(STEP_SETS), st.booleans(), st.booleans()), min_size=1, max_size=6))
@settings(deadline=None)
def test_set_series_many_sets_what_set_series_does(series):
    """The batch call of configure() against one set_series per series, in both twins."""
    width = max(len(s) for s, _, _ in series)
    steps = np.zeros((len(series), width), np.int64)
    for i, (st_, _, _) in enumerate(series):
        steps[i, : len(st_)] = st_
    pts = [(sid, NOW - 7200 + 37 * j, float(j)) for j in range(60) for sid in range(len(series))]
    outputs = []
    for module in IMPLS:
        for batch in (False, True):
            agg = module.RollupAggregator()
            if batch:
                agg.set_series_many(np.arange(len(series)), steps, steps * 1000,
                                    [new for _, new, _ in series], [sums for _, _, sums in series])
            else:
                for sid, (st_, new, sums) in enumerate(series):
                    agg.set_series(sid, st_, [s * 1000 for s in st_], new, sums=sums)
            sids, ts, vals = zip(*pts)
            agg.add(np.array(sids), np.array(ts), np.array(vals), NOW)
            d = agg.drain(True)
            outputs.append([getattr(d, f).tolist() for f in ("w_sid", "w_level", "w_ts", "w_values", "rederive_sid")])
    assert all(o == outputs[0] for o in outputs)


def test_set_series_many_refuses_mismatched_arrays(impl):
    agg = impl.RollupAggregator()
    with pytest.raises(ValueError):
        agg.set_series_many(np.arange(2), np.array([[10, 60]]), np.array([[100, 600]]), [True], [False])


def merged_view(agg, store, sid, level, lo=0, hi=2**62):
    """What a read sees: the store's slots with what the aggregator still holds on top."""
    view = {ts: v for (s, l, ts), v in store.slots.items() if s == sid and l == level and lo <= ts < hi}
    got = agg.recent(sid, level, lo, hi)
    assert got is not None
    ts, values = got
    assert list(ts) == sorted(set(ts.tolist())), "recent() slots are sorted and unique"
    view.update({int(t): tuple(v) for t, v in zip(ts.tolist(), values.tolist())})
    return view


@given(streams(), st.lists(st.booleans(), min_size=1, max_size=5))
@settings(deadline=None)
def test_reads_see_every_point_before_and_after_flushes(stream, releases):
    """After every batch, whatever was drained, stored and released: the finest slots a read
    sees (store + recent()) equal the reference of the points so far; for in-order streams
    of new series the coarse slots do too (a late point's coarse slots wait for the drain)."""
    steps, batches, drains, _ = stream
    flat = [p for batch in batches for p in batch]
    in_order = all(a[1] <= b[1] for a, b in zip(flat, flat[1:]))
    for module in IMPLS:
        agg = module.RollupAggregator()
        for sid, st_ in steps.items():
            agg.set_series(sid, st_, [s * 100_000 for s in st_], True)
        store, sent = SimulatedStore(agg, steps), []
        for i, batch in enumerate(batches):
            if batch:
                sids, ts, vals = zip(*batch)
                agg.add(np.array(sids, np.int64), np.array(ts, np.int64), np.array(vals, np.float64), NOW)
                sent += batch
            mode = drains[i % len(drains)]
            if mode:
                if mode == 3:
                    store.apply_in_parts(agg, True)
                else:
                    store.apply(agg.drain(mode == 1))
                if releases[i % len(releases)]:
                    agg.release_flushed()
            want = reference(sent, steps)
            for sid, st_ in steps.items():
                for level in range(len(st_) if in_order else 1):
                    expect = {ts: v for (s, l, ts), v in want.items() if s == sid and l == level}
                    got = merged_view(agg, store, sid, level)
                    assert got.keys() == expect.keys(), f"{module.__name__} sid {sid} level {level} batch {i}"
                    for key, v in expect.items():
                        assert got[key] == pytest.approx(v), f"{module.__name__} sid {sid} level {level} slot {key}"


def test_points_applied_between_parts_wait_for_the_next_flush_and_stay_readable(impl):
    """A flush drains its series in parts while points go on being applied: a series whose
    part was taken keeps its newer rows (readable, not released) for the next drain; a
    series whose part comes later has them in its part."""
    agg = impl.RollupAggregator()
    for sid in (0, 1):
        agg.set_series(sid, (10,), (100_000,), True)
    agg.add(np.array([0, 0, 1, 1]), np.array([B, B + 10, B, B + 10]), np.array([1.0, 2.0, 3.0, 4.0]), NOW)
    first = agg.drain_series([0], True)
    assert first.w_sid.tolist() == [0, 0] and first.w_ts.tolist() == [B, B + 10]
    agg.add(np.array([0, 1]), np.array([B + 20, B + 20]), np.array([5.0, 6.0]), NOW)
    second = agg.drain_series([1], True)
    assert second.w_ts.tolist() == [B, B + 10, B + 20] and second.w_values[:, 4].tolist() == [3.0, 4.0, 6.0]
    agg.release_flushed()
    ts, values = agg.recent(0, 0, 0, NOW)
    assert ts.tolist() == [B + 10, B + 20] and values.tolist() == [[2.0], [5.0]]  # not drained yet, and the open slot
    assert agg.recent(1, 0, 0, NOW)[0].tolist() == [B + 20]  # drained and released: only the open slot
    nxt = agg.drain()
    assert (nxt.w_sid.tolist(), nxt.w_ts.tolist()) == ([0, 0], [B + 10, B + 20])


def test_recent_answers_a_range_and_unknown_series(impl):
    agg = impl.RollupAggregator()
    agg.set_series(0, (10, 60), (100_000, 1_000_000), True)
    agg.add(np.array([0, 0, 0]), np.array([B, B + 10, B + 20]), np.array([1.0, 2.0, 3.0]), NOW)
    ts, values = agg.recent(0, 0, B + 10, B + 30)
    assert ts.tolist() == [B + 10, B + 20] and values.tolist() == [[2.0], [3.0]]
    ts, values = agg.recent(0, 1, B, B + 60)  # the open minute: SUM, COUNT, MIN, MAX, LAST
    assert ts.tolist() == [B] and values.tolist() == [[6.0, 3.0, 1.0, 3.0, 3.0]]
    assert agg.recent(1, 0, 0, NOW) is None
    assert agg.recent(0, 2, 0, NOW) is None
    agg.drain()
    agg.release_flushed()  # the store has the closed slots now; the open one stays readable
    ts, values = agg.recent(0, 0, 0, NOW)
    assert ts.tolist() == [B + 20] and values.tolist() == [[3.0]]


def test_recent_leaves_out_a_coarse_slot_an_earlier_process_may_hold(impl):
    agg = impl.RollupAggregator(stored_before=NOW)
    agg.set_series(0, (10, 60), (100_000, 1_000_000), False)  # known series: its minute may be stored
    agg.add(np.array([0]), np.array([B]), np.array([5.0]), NOW)
    assert agg.recent(0, 0, 0, NOW)[0].tolist() == [B]
    assert agg.recent(0, 1, 0, NOW)[0].tolist() == []


def test_restart_reseeds_the_open_coarse_slot(impl):
    """After a restart the first coarse slot is rebuilt from the store, not from memory."""
    steps = {0: (10, 60)}
    first = [[(0, B + i * 10, float(i)) for i in range(3)]]  # slots -600,-590,-580
    # the first process never wrote the open minute (coarse provisionals skipped), then died
    agg, store = run_stream(impl, first, steps, [2], final_coarse=False)
    assert (0, 1, B) not in store.slots
    # A new process: same store, the rest of the minute arrives.
    rest = [[(0, B + i * 10, float(i)) for i in range(3, 7)]]
    _, store = run_stream(impl, rest, steps, [True], is_new=False, store=store)
    want = reference([(0, B + i * 10, float(i)) for i in range(7)], steps)
    assert store.slots[(0, 1, B)] == pytest.approx(want[(0, 1, B)])  # all six of the minute
    assert store.slots[(0, 1, B)][1] == 6.0


def test_replay_after_a_restart_reseeds_every_coarse_slot_it_reopens(impl):
    """After a restart, WAL replay or a resend can reopen several coarse slots the first
    process completed and stored; each must be rebuilt from the store, not overwritten by
    the few points seen again (a second reopened minute was once left partial)."""
    steps = {0: (10, 60)}
    three_minutes = [(0, B + i * 10, float(i)) for i in range(18)]
    _, store = run_stream(impl, [three_minutes], steps, [True])
    want = reference(three_minutes, steps)
    # a new process sees one point of minute 0 and one of minute 1 again, then minute 2 goes on
    again = [[(0, B + 10, 1.0), (0, B + 70, 7.0)], [(0, B + 190, 19.0)]]
    _, store = run_stream(impl, again, steps, [True], is_new=False, store=store)
    for minute in (B, B + 60, B + 120):
        assert store.slots[(0, 1, minute)] == pytest.approx(want[(0, 1, minute)]), minute


def test_a_reseed_keeps_the_finest_slots_that_close_while_the_store_is_read(impl):
    """A reseed's answer comes after the flush's writes and read; the stream goes on meanwhile.
    The finest slots closed in between must stay in the coarse slot (the store read ends
    where the drain stood), and none may count twice."""
    steps = {0: (10, 60)}
    agg = impl.RollupAggregator()
    agg.set_series(0, steps[0], (1_000_000, 10_000_000), True)
    store = SimulatedStore(agg, steps)
    sent = [(0, B + i * 10, float(i + 1)) for i in range(3)] + [(0, B + 10, 9.0)]  # a late point in the open minute
    for sid, ts, v in sent:
        agg.add(np.array([sid]), np.array([ts]), np.array([v]), NOW)
    d = agg.drain()
    assert d.reseed_ts.tolist() == [B] and d.reseed_upto.tolist() == [B + 20]
    for sid, lev, ts, vals in zip(d.w_sid.tolist(), d.w_level.tolist(), d.w_ts.tolist(), d.w_values.tolist()):
        store.slots[(sid, lev, ts)] = tuple(vals) if lev else (vals[3],)
    more = [(0, B + 30, 4.0), (0, B + 40, 5.0)]  # closes B+20 and B+30 before the answer comes
    for sid, ts, v in more:
        agg.add(np.array([sid]), np.array([ts]), np.array([v]), NOW)
    stored = store._merge(store._range(0, 0, B, B + 20), raw=True)
    agg.seed(0, 1, B, *stored)
    rest = [(0, B + 50, 6.0), (0, B + 60, 7.0)]  # the minute closes
    for sid, ts, v in rest:
        agg.add(np.array([sid]), np.array([ts]), np.array([v]), NOW)
    store.apply(agg.drain())
    want = reference(sent + more + rest, steps)
    assert store.slots[(0, 1, B)] == pytest.approx(want[(0, 1, B)])  # (1 + 9 + 3 + 4 + 5 + 6, 6 slots, ...)


def test_a_slot_the_finest_retention_no_longer_covers_is_derived_not_reseeded(impl):
    """A late point in an open coarse slot that starts before the finest level's retention:
    level 0 cannot rebuild it, so it waits for its close and is derived from the level below."""
    steps = {0: (10, 60, 3600)}
    agg = impl.RollupAggregator()
    agg.set_series(0, steps[0], (1800, 100_000, 1_000_000), True)  # 10 s slots kept for 30 min
    hour = (NOW - 1000) // 3600 * 3600  # the open hour began more than 30 min ago
    assert hour < NOW - 1800
    for ts in (NOW - 60, NOW - 50, NOW - 60):  # the last one is late: it lands in a closed 10 s slot
        agg.add(np.array([0]), np.array([ts]), np.array([1.0]), NOW)
    d = agg.drain()
    assert d.reseed_level.tolist() == [1]  # the minute is rebuilt from level 0; the hour is not
    assert agg.recent(0, 2, 0, NOW + 3600)[0].tolist() == []  # nor answered from its partial accumulator
    agg.add(np.array([0]), np.array([hour + 3600]), np.array([1.0]), NOW)  # the hour closes
    d = agg.drain()
    derived = set(zip(d.rederive_level.tolist(), d.rederive_sid.tolist(), d.rederive_ts.tolist()))
    assert (2, 0, hour) in derived
    assert 2 not in d.w_level[d.w_ts == hour].tolist()  # not written from the accumulator


def test_an_open_coarse_slot_an_earlier_process_filled_is_derived_once_its_series_is_quiet(impl):
    """A restarted process resends one point of a minute the earlier process stored whole. The
    minute stays open (no later point of that series comes): while the series may still be
    sending it waits, and once the series is quiet a provisional drain derives it from the
    store, the resent value replacing the stored one."""
    steps = {0: (10, 60), 1: (10, 60)}
    minute = [(0, B + i * 10, float(i)) for i in range(6)]
    _, store = run_stream(impl, [minute], steps, [True], now=B + 90)
    agg = impl.RollupAggregator()  # a new process: every series known, every slot before it stored
    for sid, st_ in steps.items():
        agg.set_series(sid, st_, [s * 100_000 for s in st_], False)
    store.agg = agg
    agg.add(np.array([0]), np.array([B + 10]), np.array([9.0]), B + 90)
    d = agg.drain()
    assert d.rederive_sid.tolist() == []  # its series was heard from 80 s ago: it may go on
    store.apply(d)
    agg.add(np.array([1]), np.array([B + 200]), np.array([1.0]), B + 200)  # time goes on
    d = agg.drain()
    assert (1, 0, B) in set(zip(d.rederive_level.tolist(), d.rederive_sid.tolist(), d.rederive_ts.tolist()))
    store.apply(d)
    want = reference(minute + [(0, B + 10, 9.0)], steps)
    assert store.slots[(0, 1, B)] == pytest.approx(want[(0, 1, B)])


def test_resent_points_count_once(impl):
    steps = {0: (10, 60)}
    pts = [(0, B + i * 10, 1.0) for i in range(6)]
    _, store = run_stream(impl, [pts, pts, pts[:3]], steps, [True])
    assert store.slots[(0, 1, B)] == (6.0, 6.0, 1.0, 1.0, 1.0)


def test_late_point_rederives_closed_coarse_slot(impl):
    steps = {0: (10, 60)}
    pts = [(0, B + i * 10, 1.0) for i in range(12)]  # two minutes
    agg, store = run_stream(impl, [pts], steps, [True])
    agg.add(np.array([0]), np.array([B + 20]), np.array([5.0]), NOW)  # into the first minute
    d = agg.drain()
    assert d.rederive_level.tolist() == [1] and d.rederive_ts.tolist() == [B]
    store.apply(d)
    assert store.slots[(0, 1, B)] == (10.0, 6.0, 1.0, 5.0, 1.0)
    assert agg.stats["late"] == 1


def test_points_older_than_finest_retention_land_in_a_coarser_level(impl):
    agg = impl.RollupAggregator()
    agg.set_series(0, [10, 60, 600], [3600, 86400, 864000], True)
    agg.add(np.array([0, 0]), np.array([NOW - 7200, NOW - 10**7]), np.array([3.0, 4.0]), NOW)
    d = agg.drain()
    assert list(zip(d.w_level.tolist(), d.w_ts.tolist())) == [(1, (NOW - 7200) // 60 * 60)]
    # a full minute (six finest slots) of 3.0: shown as written, whatever the xFilesFactor
    assert d.w_values.tolist() == [[18.0, 6.0, 3.0, 3.0, 3.0]]
    assert list(zip(d.rederive_level.tolist(), d.rederive_ts.tolist())) == [(2, (NOW - 7200) // 600 * 600)]
    assert agg.stats["old_rollup"] == 1 and agg.stats["too_old"] == 1


def test_old_point_of_a_sum_series_is_the_slot_sum(impl):
    agg = impl.RollupAggregator()
    agg.set_series(0, [10, 60], [3600, 86400], True, sums=True)
    agg.add(np.array([0]), np.array([NOW - 7200]), np.array([3.0]), NOW)
    assert agg.drain().w_values.tolist() == [[3.0, 6.0, 3.0, 3.0, 3.0]]


def test_unconfigured_series_is_an_error(impl):
    agg = impl.RollupAggregator()
    with pytest.raises(KeyError):
        agg.add(np.array([3]), np.array([NOW]), np.array([1.0]), NOW)


@pytest.mark.parametrize("max_levels", [0, rollup.MAX_LEVELS + 1])
def test_an_aggregator_of_unsupported_level_count_is_refused(impl, max_levels):
    with pytest.raises(ValueError, match=f"max_levels {max_levels}, 1 to {rollup.MAX_LEVELS} supported"):
        impl.RollupAggregator(max_levels=max_levels)
    assert impl.RollupAggregator(max_levels=rollup.MAX_LEVELS).max_levels == rollup.MAX_LEVELS


def test_too_many_levels_is_refused(impl):
    agg = impl.RollupAggregator(max_levels=2)
    with pytest.raises(ValueError, match="rollup levels"):
        agg.set_series(0, [1, 10, 100], [10, 100, 1000], True)


def test_rows_of_special_values_drain_and_read_the_same_in_both_twins():
    """Finest-slot rows are held in a compact form by the compiled aggregator (LAST only,
    the other columns derived): NaN, infinities and -0.0 must drain and read back as the
    twin gives them, bit for bit, before and after a release."""
    specials = [float("nan"), float("inf"), float("-inf"), -0.0, 5e-324, 1e308, 2.5]
    answers = []
    for module in IMPLS:
        agg = module.RollupAggregator()
        agg.set_series(0, [10, 60], [10**6, 10**7], True)
        ts = np.arange(len(specials), dtype=np.int64) * 10 + 600_000
        agg.add(np.zeros(len(specials), np.int64), ts, np.array(specials), NOW)
        held = agg.recent(0, 0, 0, 10**7)
        d = agg.drain(True)
        after_drain = agg.recent(0, 1, 0, 10**7)
        agg.add(np.array([0]), np.array([600_000 + 10 * len(specials)]), np.array([-0.0]), NOW)
        agg.release_flushed()
        kept = agg.recent(0, 0, 0, 10**7)
        answers.append([np.asarray(x).view(np.uint64).tolist() if np.asarray(x).dtype == np.float64 else np.asarray(x).tolist()
                        for x in (d.w_sid, d.w_level, d.w_ts, d.w_values, *held, *after_drain, *kept)])
    assert all(a == answers[0] for a in answers)


def test_many_distinct_schemas_keep_their_own_steps_and_retentions():
    """The compiled aggregator keeps steps and retentions once per distinct schema (a table
    that grows, looked up by the last one given first): 40 series with 20 schemas, in runs
    that share steps but not retentions and revisit earlier schemas, cut points older than
    their own retentions and roll up by their own steps, as the twin does."""
    schemas = [((10, 60 * (1 + i % 5)), (3_000 + 250 * i, 8_000 + 300 * i)) for i in range(20)]
    # runs of four with one step set and four retentions, then the next; 40 series revisit them
    series = [schemas[(5 * sid + sid // 4) % len(schemas)] for sid in range(40)]
    pts = [(sid, NOW - 13_000 + 97 * j + sid, float(j)) for j in range(140) for sid in range(40)]
    outputs = []
    for module in IMPLS:
        agg = module.RollupAggregator()
        for sid, (steps, rets) in enumerate(series):
            agg.set_series(sid, steps, rets, True)
        sids, ts, vals = zip(*pts)
        agg.add(np.array(sids), np.array(ts), np.array(vals), NOW)
        d = agg.drain(True)
        outputs.append(([getattr(d, f).tolist() for f in ("w_sid", "w_level", "w_ts", "w_values", "rederive_sid")],
                        dict(agg.stats)))
    assert all(o == outputs[0] for o in outputs)
    rows, stats = outputs[0]
    assert stats["too_old"] > 0 and stats["old_rollup"] > 0  # each series' own retentions cut them
    for sid, level, ts in zip(rows[0], rows[1], rows[2]):
        assert ts % series[sid][0][level] == 0, f"series {sid} level {level}: slot {ts} off its step"


def test_a_drain_holds_no_provisional_rows_and_reads_still_see_the_open_slots(impl):
    """A drain's provisional rows (copies of the open slots) are returned, not held: the
    state has the open slots, and a slot that closes before the flush lands emits its row
    again. (At 1M series they were 3M rows held per flush, about 150 MB.)"""
    agg = impl.RollupAggregator()
    agg.set_series(0, (10, 60), (100_000, 1_000_000), True)
    agg.add(np.array([0, 0]), np.array([B, B + 10]), np.array([1.0, 2.0]), NOW)
    assert agg.rows_held == 1  # slot B closed
    drained = agg.drain()
    assert sorted(zip(drained.w_level.tolist(), drained.w_ts.tolist())) == [(0, B), (0, B + 10), (1, B)]
    assert (agg.rows_held, agg.rows_taken) == (1, 1)  # only the closed slot's row, until the store has it
    # the flush has not landed: the open slots are read from the state
    ts, values = agg.recent(0, 0, 0, NOW)
    assert ts.tolist() == [B, B + 10] and values.tolist() == [[1.0], [2.0]]
    ts, values = agg.recent(0, 1, 0, NOW)
    assert ts.tolist() == [B] and values.tolist() == [[3.0, 2.0, 1.0, 2.0, 2.0]]
    agg.add(np.array([0]), np.array([B + 20]), np.array([5.0]), NOW)  # B + 10 closes before the flush lands
    agg.release_flushed()
    ts, values = agg.recent(0, 0, 0, NOW)
    assert ts.tolist() == [B + 10, B + 20] and values.tolist() == [[2.0], [5.0]]
    assert agg.rows_held == 1  # B + 10's row, emitted at its close
    again = agg.drain()
    assert sorted(zip(again.w_level.tolist(), again.w_ts.tolist())) == [(0, B + 10), (0, B + 20), (1, B)]
    assert again.w_values[again.w_level == 1].tolist() == [[8.0, 3.0, 1.0, 5.0, 5.0]]
