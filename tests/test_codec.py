"""Segment codec: what goes in comes out, bit for bit, and corruption is an error."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from tsstore import codec

STEP = 10
WINDOW = 1_700_000_000 // (STEP * 4096) * (STEP * 4096)


def _roundtrip(ts, values):
    blob = codec.encode(ts, values, WINDOW, STEP)
    got_ts, got_values = codec.decode(blob, WINDOW, STEP)
    return blob, got_ts, got_values


@given(
    slots=st.lists(st.integers(0, 4095), unique=True, max_size=300).map(sorted),
    columns=st.sampled_from([1, 5]),
    data=st.data(),
)
@settings(deadline=None)
def test_roundtrip_is_bit_exact(slots, columns, data):
    ts = WINDOW + np.array(slots, np.int64) * STEP
    floats = st.floats(allow_nan=True, allow_infinity=True, width=64)
    values = np.array(data.draw(st.lists(floats, min_size=len(ts) * columns, max_size=len(ts) * columns)), np.float64).reshape(len(ts), columns)
    _, got_ts, got_values = _roundtrip(ts, values)
    assert got_ts.tolist() == ts.tolist()
    # Compare bits so NaN payloads and -0.0 count too.
    assert got_values.view(np.uint64).tolist() == values.view(np.uint64).tolist()


def test_steady_gauge_compresses_well():
    ts = WINDOW + np.arange(4096, dtype=np.int64) * STEP
    values = np.round(50 + 10 * np.sin(np.arange(4096) / 200), 1).reshape(-1, 1)
    blob, _, got = _roundtrip(ts, values)
    assert np.array_equal(got, values)
    assert len(blob) / len(ts) < 3.0, f"{len(blob) / len(ts):.2f} bytes per point"


def test_counter_compresses_well():
    ts = WINDOW + np.arange(4096, dtype=np.int64) * STEP
    values = np.cumsum(np.full(4096, 100.0)).reshape(-1, 1)
    blob, _, _ = _roundtrip(ts, values)
    assert len(blob) / len(ts) < 1.0


def test_slot_outside_window_is_refused():
    with pytest.raises(codec.CodecError, match="outside window"):
        codec.encode(np.array([WINDOW - STEP]), np.zeros((1, 1)), WINDOW, STEP)


def test_corrupt_blob_is_an_error():
    blob = codec.encode(np.array([WINDOW]), np.ones((1, 1)), WINDOW, STEP)
    with pytest.raises(codec.CodecError):
        codec.decode(blob[:-3] + b"xyz", WINDOW, STEP)
