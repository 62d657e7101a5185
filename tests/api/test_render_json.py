"""The render datapoints writer: compiled and twin write the same bytes, and what they write
parses back to the values (repr formatting, null, 1e9999)."""
import json

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from tsstore import _ext
from tsstore.api import render_json

IMPLS = _ext.implementations(render_json, "tsstore.api._render_json")


def test_compiled_module_is_built():
    assert len(IMPLS) == 2, "tsstore.api._render_json is not built: run python3 setup.py build_ext --inplace"


@given(st.lists(st.floats(allow_nan=True, allow_infinity=True, width=64), max_size=60), st.booleans(), st.booleans())
@settings(deadline=None)
def test_twins_agree_and_round_trip(values, inf_as_null, skip_null):
    arr = np.array(values, np.float64)
    outs = [m.datapoints_json(arr, 1_700_000_000, 10, inf_as_null, skip_null) for m in IMPLS]
    assert all(o == outs[0] for o in outs)
    parsed = json.loads(outs[0])
    expected = [(v, 1_700_000_000 + i * 10) for i, v in enumerate(values) if not (skip_null and v != v)]
    assert [t for _, t in parsed] == [t for _, t in expected]
    for (got, _), (want, _) in zip(parsed, expected):
        if want != want or (inf_as_null and want in (float("inf"), float("-inf"))):
            assert got is None
        else:
            assert got == want


@given(st.lists(st.integers(-10**15 + 1, 10**15 - 1), min_size=1, max_size=40), st.integers(1, 6))
@settings(deadline=None)
def test_short_decimals_are_spelled_as_python_repr(numerators, places):
    """Gauges with a few decimals take the compiled writer's fast path; it must still print
    exactly what Python's repr prints (what graphite-web's JSON holds)."""
    values = np.array([n / 10**places for n in numerators], np.float64)
    expected = "[" + ", ".join(f"[{float(v)!r}, {i}]" for i, v in enumerate(values.tolist())) + "]"
    for m in IMPLS:
        assert m.datapoints_json(values, 0, 1).decode() == expected


@pytest.mark.parametrize("value, text", [(1.0, b"1.0"), (0.1, b"0.1"), (1e-05, b"1e-05"), (-0.0, b"-0.0"), (0.29, b"0.29"),
                                         (-12.5, b"-12.5"), (0.0001, b"0.0001"), (99999999999.9999, b"99999999999.9999"),
                                         (0.30000000000000004, b"0.30000000000000004"), (123456789012.345, b"123456789012.345"),
                                         (3.0, b"3.0"), (1e16, b"1e+16"), (float("inf"), b"1e9999")])
def test_python_repr_spelling(value, text):
    for m in IMPLS:
        assert m.datapoints_json(np.array([value]), 0, 1) == b"[[" + text + b", 0]]"


def test_the_public_writer_is_the_compiled_one_unless_extensions_are_off():
    assert render_json.COMPILED is (not _ext.extensions_disabled())
    assert (render_json.datapoints_json is IMPLS[-1].datapoints_json) is render_json.COMPILED
