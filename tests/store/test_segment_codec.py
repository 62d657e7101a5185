"""Segment codec, compiled and numpy twin: what goes in comes out bit for bit, both write the
same bytes, corruption is an error, and typical series compress well."""
import threading

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from tsstore import _ext
from tsstore.store import segment_codec
from tsstore.store.segment_codec import CodecError

IMPLS = _ext.implementations(segment_codec, "tsstore.store._segment_codec")
STEP = 10
WINDOW = 1_700_000_000 // (STEP * 4096) * (STEP * 4096)


def test_compiled_module_is_built():
    assert len(IMPLS) == 2, "tsstore.store._segment_codec is not built: run python3 setup.py build_ext --inplace"


def assert_twins_roundtrip(ts, values):
    """Both twins write the same bytes, and each reads them back bit for bit."""
    blobs = [m.encode(ts, values, WINDOW, STEP) for m in IMPLS]
    assert all(b == blobs[0] for b in blobs)
    for m in IMPLS:
        got_ts, got_values = m.decode(blobs[0], WINDOW, STEP)
        assert got_ts.tolist() == ts.tolist()
        # Compare bits so NaN payloads and -0.0 count too.
        assert got_values.view(np.uint64).tolist() == values.view(np.uint64).tolist()


@pytest.fixture(params=IMPLS, ids=[m.__name__.rsplit(".", 1)[-1] for m in IMPLS])
def codec(request):
    return request.param


@given(
    slots=st.lists(st.integers(0, 4095), unique=True, max_size=300).map(sorted),
    columns=st.sampled_from([1, 5]),
    data=st.data(),
)
@settings(deadline=None)
def test_roundtrip_is_bit_exact_and_twins_write_the_same_bytes(slots, columns, data):
    ts = WINDOW + np.array(slots, np.int64) * STEP
    floats = st.floats(allow_nan=True, allow_infinity=True, width=64)
    values = np.array(data.draw(st.lists(floats, min_size=len(ts) * columns, max_size=len(ts) * columns)), np.float64).reshape(len(ts), columns)
    assert_twins_roundtrip(ts, values)


@given(st.lists(st.lists(st.integers(0, 20000), unique=True, max_size=40).map(sorted), min_size=1, max_size=6))
@settings(deadline=None)
def test_batch_cuts_at_windows_like_single_encodes(groups):
    ts = np.array([WINDOW + s * STEP for g in groups for s in g], np.int64)
    values = np.arange(len(ts), dtype=np.float64).reshape(-1, 1)
    starts = np.concatenate([[0], np.cumsum([len(g) for g in groups])]).astype(np.int64)
    steps = np.full(len(groups), STEP, np.int64)
    outs = [m.encode_batch(ts, values, starts, steps, 4096) for m in IMPLS]
    for groups_of, windows, blobs in outs:
        assert groups_of.tolist() == outs[0][0].tolist() and windows.tolist() == outs[0][1].tolist()
        assert blobs == outs[0][2]
    pieces = list(zip(*outs[0]))
    for g, window, blob in pieces:
        got_ts, _ = IMPLS[0].decode(blob, window, STEP)
        assert set(got_ts.tolist()) <= set(ts[starts[g] : starts[g + 1]].tolist())
        assert all(window <= t < window + 4096 * STEP for t in got_ts.tolist())
    assert sum(len(IMPLS[0].decode(b, w, STEP)[0]) for _, w, b in pieces) == len(ts)


def test_steady_gauge_compresses_well(codec):
    ts = WINDOW + np.arange(4096, dtype=np.int64) * STEP
    values = np.round(50 + 10 * np.sin(np.arange(4096) / 200), 1).reshape(-1, 1)
    blob = codec.encode(ts, values, WINDOW, STEP)
    assert np.array_equal(codec.decode(blob, WINDOW, STEP)[1], values)
    assert len(blob) / len(ts) < 3.0, f"{len(blob) / len(ts):.2f} bytes per point"


def test_counter_compresses_well(codec):
    ts = WINDOW + np.arange(4096, dtype=np.int64) * STEP
    values = np.cumsum(np.full(4096, 100.0)).reshape(-1, 1)
    assert len(codec.encode(ts, values, WINDOW, STEP)) / len(ts) < 1.0


def test_slot_outside_window_is_refused(codec):
    with pytest.raises(CodecError, match="outside window"):
        codec.encode(np.array([WINDOW - STEP]), np.zeros((1, 1)), WINDOW, STEP)


@pytest.mark.parametrize("n", [1, 200])  # raw and zstd-compressed segments
def test_corrupt_blob_is_an_error(codec, n):
    ts = WINDOW + np.arange(n, dtype=np.int64) * STEP
    blob = codec.encode(ts, np.ones((n, 1)), WINDOW, STEP)
    with pytest.raises(CodecError):
        codec.decode(blob[:-3] + b"xyz" if n > 1 else blob[:-1], WINDOW, STEP)


def test_decoding_on_many_threads_at_once(codec):
    """Stores decode on several threads; shared compression contexts corrupted this once."""
    ts = WINDOW + np.arange(500, dtype=np.int64) * STEP
    values = np.random.default_rng(1).random((500, 1))
    blob = codec.encode(ts, values, WINDOW, STEP)
    errors = []

    def work():
        try:
            for _ in range(200):
                assert np.array_equal(codec.decode(blob, WINDOW, STEP)[1], values)
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


@given(
    slots=st.lists(st.integers(0, 65535), unique=True, max_size=200).map(sorted),
    places=st.integers(0, 8),
    data=st.data(),
)
@settings(deadline=None)
def test_decimal_columns_roundtrip_and_twins_agree(slots, places, data):
    """Gauges with a few decimals and integer counters take the compact integer path; what
    comes back must still be the same doubles, and both twins must pick the same encoding."""
    ts = WINDOW + np.array(slots, np.int64) * STEP
    ints = data.draw(st.lists(st.integers(-(10**12), 10**12), min_size=len(ts), max_size=len(ts)))
    decimals = np.array(ints, np.float64) / 10**places
    counter = np.cumsum(np.abs(np.array(ints, np.float64)))
    values = np.stack([decimals, counter], axis=1) if len(ts) else np.empty((0, 2))
    assert_twins_roundtrip(ts, values)


def _version1_blob(ts, values):
    """A segment as version 1 wrote it (u16 slot deltas, XOR-shuffled columns): stores written
    before version 2 must stay readable."""
    import struct
    idx = (ts - WINDOW) // STEP
    deltas = np.diff(idx, prepend=0).astype(np.uint16)
    parts = [struct.pack("<BBI", 1, values.shape[1], len(ts)), deltas.tobytes()]
    for c in range(values.shape[1]):
        bits = values[:, c].copy().view(np.uint64)
        x = bits.copy()
        x[1:] ^= bits[:-1]
        parts.append(x.view(np.uint8).reshape(-1, 8).T.tobytes())
    return b"".join(parts)


def test_version_1_segments_still_decode(codec):
    ts = WINDOW + np.array([0, 1, 7, 4095], np.int64) * STEP
    values = np.array([[1.5, 2.0], [np.nan, -0.0], [1e300, 3.25], [0.1, 7.0]])
    got_ts, got = codec.decode(_version1_blob(ts, values), WINDOW, STEP)
    assert got_ts.tolist() == ts.tolist()
    assert got.view(np.uint64).tolist() == values.view(np.uint64).tolist()


@given(st.binary(max_size=64), st.integers(0, 40), st.integers(1, 5))
@settings(deadline=None)
def test_garbage_after_a_header_is_an_error_not_a_crash(body, n, columns):
    import struct
    blob = struct.pack("<BBI", 2, columns, n) + body
    for m in IMPLS:
        try:
            ts, values = m.decode(blob, WINDOW, STEP)
        except CodecError:
            continue
        assert len(ts) == n and values.shape == (n, columns)
        assert all(WINDOW <= t < WINDOW + 65536 * STEP for t in ts.tolist())


def test_a_flush_sized_gauge_segment_is_small_without_zstd(codec):
    """Flushes write ~30 slots per series, too few for zstd: the integer path keeps them small."""
    ts = WINDOW + np.arange(30, dtype=np.int64) * STEP
    gauge = np.round(50 + np.cumsum(np.random.default_rng(3).uniform(-1, 1, 30)), 2)
    blob = codec.encode(ts, gauge.reshape(-1, 1), WINDOW, STEP)
    assert blob[:4] != b"\x28\xb5\x2f\xfd"
    assert len(blob) / 30 < 2.5, f"{len(blob) / 30:.2f} bytes per point"


@given(st.lists(st.tuples(st.lists(st.integers(0, 4095), unique=True, max_size=50).map(sorted),
                          st.sampled_from([10, 60]), st.integers(0, 3)), max_size=8),
       st.sampled_from([1, 5]))
@settings(deadline=None)
def test_decode_batch_gives_what_decoding_one_by_one_gives(pieces, columns):
    """Pieces of different steps, windows and sizes (empty included), some compressed: both
    twins answer the concatenation of the single decodes, bit for bit, with the boundaries."""
    rng = np.random.default_rng(len(pieces))
    blobs, windows, steps, want_ts, want_values = [], [], [], [], []
    for slots, step, window_no in pieces:
        window = WINDOW // (step * 4096) * (step * 4096) + window_no * step * 4096
        ts = window + np.array(slots, np.int64) * step
        values = np.round(rng.normal(size=(len(ts), columns)), 2 if window_no % 2 else 12)
        blobs.append(IMPLS[0].encode(ts, values, window, step))
        windows.append(window)
        steps.append(step)
        want_ts.append(ts)
        want_values.append(values)
    for m in IMPLS:
        ts, values, starts = m.decode_batch(blobs, np.array(windows, np.int64), np.array(steps, np.int64))
        assert starts.tolist() == np.concatenate([[0], np.cumsum([len(t) for t in want_ts])]).tolist()
        assert ts.tolist() == np.concatenate([np.empty(0, np.int64), *want_ts]).tolist()
        if want_ts and starts[-1]:
            assert values.shape == (starts[-1], columns)
            assert values.view(np.uint64).tolist() == np.concatenate(want_values).view(np.uint64).tolist()


def test_decode_batch_refuses_mixed_columns_and_mismatched_arguments(codec):
    one = codec.encode(np.array([WINDOW]), np.array([[1.0]]), WINDOW, STEP)
    five = codec.encode(np.array([WINDOW]), np.ones((1, 5)), WINDOW, STEP)
    with pytest.raises(CodecError, match="columns"):
        codec.decode_batch([one, five], np.array([WINDOW, WINDOW]), np.array([STEP, STEP]))
    with pytest.raises(ValueError, match="2 blobs, 1 windows"):
        codec.decode_batch([one, one], np.array([WINDOW]), np.array([STEP, STEP]))
    with pytest.raises(CodecError):
        codec.decode_batch([one, one[:-1]], np.array([WINDOW, WINDOW]), np.array([STEP, STEP]))
