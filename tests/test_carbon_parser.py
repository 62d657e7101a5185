"""The carbon plaintext parser, compiled and pure-Python twin, case by case and on generated
streams (the two must agree byte for byte)."""
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from tsstore import _ext

IMPLS = _ext.both("carbon_parser")
NOW = 1_700_000_000


def test_compiled_module_is_built():
    assert len(IMPLS) == 2, "tsstore._carbon_parser is not built: run pip install -e ."


@pytest.fixture(params=IMPLS, ids=[m.__name__.rsplit(".", 1)[-1] for m in IMPLS])
def mod(request):
    return request.param


def parse(mod, *chunks, max_line_length=16384, finish=False):
    reg = mod.SeriesRegistry()
    p = mod.CarbonLineParser(reg, max_line_length)
    rows = []
    for chunk in chunks:
        b = p.feed(chunk, NOW)
        rows += [(reg.name_of(s), t, v) for s, t, v in zip(b.sids.tolist(), b.timestamps.tolist(), b.values.tolist())]
    if finish:
        b = p.finish(NOW)
        rows += [(reg.name_of(s), t, v) for s, t, v in zip(b.sids.tolist(), b.timestamps.tolist(), b.values.tolist())]
    return rows, p.stats, p


def test_plain_lines(mod):
    rows, stats, _ = parse(mod, b"a.b 1 100\nc.d 2.5 200\n")
    assert rows == [("a.b", 100, 1.0), ("c.d", 200, 2.5)]
    assert stats["lines"] == 2 and stats["points"] == 2


def test_lines_split_at_every_byte(mod):
    data = b"servers.web01.cpu 12.5 1700000000\nservers.web02.cpu -3e2 1700000010\r\n"
    want, _, _ = parse(mod, data)
    for cut in range(len(data) + 1):
        assert parse(mod, data[:cut], data[cut:])[0] == want, cut


def test_crlf_blank_lines_tabs_and_runs_of_spaces(mod):
    rows, stats, _ = parse(mod, b"\n\r\n  \n a.b\t\t1   100 \r\n")
    assert rows == [("a.b", 100, 1.0)]
    assert stats["lines"] == 1 and sum(stats[r] for r in mod.DROP_REASONS) == 0


@pytest.mark.parametrize("line, reason", [
    (b"a.b 1", "bad_field_count"),
    (b"a.b 1 2 3", "bad_field_count"),
    (b"a.b one 100", "bad_value"),
    (b"a.b 0x10 100", "bad_value"),
    (b"a.b 1 yesterday", "bad_timestamp"),
    (b"a.b 1 nan", "bad_timestamp"),
    (b"a.b 1 inf", "bad_timestamp"),
    (b"a.b 1 1e300", "bad_timestamp"),
    (b"\xffa.b 1 100", "bad_utf8"),
    (b"a.b;=x 1 100", "bad_tags"),
    (b"a.b;t=~x 1 100", "bad_tags"),
])
def test_bad_lines_are_counted_and_the_next_line_survives(mod, line, reason):
    rows, stats, p = parse(mod, line + b"\nok.line 7 100\n")
    assert rows == [("ok.line", 100, 7.0)]
    assert stats[reason] == 1
    assert p.recent_errors[-1][0] == reason


@pytest.mark.parametrize("text, value", [
    (b"1", 1.0), (b"-2", -2.0), (b"+3.25", 3.25), (b"1e3", 1000.0), (b"1E-2", 0.01), (b"1_000", 1000.0),
    (b"inf", math.inf), (b"-Infinity", -math.inf), (b".5", 0.5), (b"5.", 5.0), (b"0.1", 0.1),
    (b"123456789012345678901234567890", 1.2345678901234568e29), (b"3.141592653589793238", 3.141592653589793),
])
def test_values_parse_as_python_float(mod, text, value):
    rows, _, _ = parse(mod, b"v " + text + b" 100\n")
    assert rows == [("v", 100, value)]
    assert rows[0][2] == float(text)


def test_nan_value_is_dropped_silently(mod):
    rows, stats, _ = parse(mod, b"a nan 100\na NaN 100\n")
    assert rows == [] and stats["nan_values"] == 2
    assert sum(stats[r] for r in mod.DROP_REASONS) == 0


@pytest.mark.parametrize("text, ts", [(b"-1", NOW), (b"100.9", 100), (b"-5.5", -5), (b"1.7e9", 1_700_000_000), (b"-1.0", NOW)])
def test_timestamps(mod, text, ts):
    assert parse(mod, b"a 1 " + text + b"\n")[0] == [("a", ts, 1.0)]


def test_line_too_long_is_dropped_across_feeds_without_buffering(mod):
    long = b"x" * 50
    rows, stats, p = parse(mod, b"a 1 1\n" + long[:20], long[20:], long + b" 1 1\nb 2 2\n", max_line_length=32)
    assert rows == [("a", 1, 1.0), ("b", 2, 2.0)]
    assert stats["line_too_long"] == 1


def test_line_of_exactly_the_limit_is_accepted(mod):
    line = b"n" * 26 + b" 1 100"  # 32 bytes
    assert parse(mod, line + b"\n", max_line_length=32)[0] == [("n" * 26, 100, 1.0)]


def test_tagged_names_are_canonical_and_share_an_id(mod):
    rows, _, p = parse(mod, b"disk.used;rack=a1;dc=dc1 1 100\ndisk.used;dc=dc1;rack=a1 2 110\n")
    assert rows == [("disk.used;dc=dc1;rack=a1", 100, 1.0), ("disk.used;dc=dc1;rack=a1", 110, 2.0)]
    assert p.registry.names_since(0) == ["disk.used;dc=dc1;rack=a1"]


def test_registry_is_shared_between_connections(mod):
    reg = mod.SeriesRegistry()
    a, b = mod.CarbonLineParser(reg), mod.CarbonLineParser(reg)
    x = a.feed(b"same.name 1 1\n", NOW)
    y = b.feed(b"same.name 2 2\nother 3 3\n", NOW)
    assert x.sids.tolist() == [0] and y.sids.tolist() == [0, 1]
    assert len(reg) == 2 and reg.names_since(1) == ["other"] and reg.get(b"other") == 1 and reg.get(b"none") == -1


def test_finish_parses_a_last_line_without_newline(mod):
    assert parse(mod, b"a 1 1\nb 2 2", finish=True)[0] == [("a", 1, 1.0), ("b", 2, 2.0)]


def test_reset_drops_the_partial_line(mod):
    reg = mod.SeriesRegistry()
    p = mod.CarbonLineParser(reg)
    p.feed(b"half.line 1", NOW)
    p.reset()
    assert len(p.feed(b"00 1\nwhole 1 1\n", NOW)) == 1


_token = st.sampled_from([b"a.b", b"x", b"1", b"-1", b"2.5", b"1e3", b"nan", b"inf", b"-inf", b"1_0", b"0x1", b"",
                          b"\xff", b"t;k=v", b"t;=v", b"9" * 20, b"1.", b".", b"-", b"+1", b"1e", b"12345.678901234567"])
_sep = st.sampled_from([b" ", b"\t", b"  ", b" \t "])
_line = st.lists(_token, min_size=0, max_size=5).flatmap(
    lambda toks: st.lists(_sep, min_size=len(toks), max_size=len(toks)).map(lambda seps: b"".join(t + s for t, s in zip(toks, seps))))
_ending = st.sampled_from([b"\n", b"\r\n", b"\n\n"])


@given(st.lists(st.tuples(_line, _ending), max_size=40), st.lists(st.integers(0, 400), max_size=8), st.sampled_from([16, 64, 16384]))
@settings(deadline=None)
def test_compiled_and_twin_agree_on_generated_streams(lines, cuts, max_len):
    data = b"".join(l + e for l, e in lines)
    points = sorted({min(c, len(data)) for c in cuts})
    chunks = [data[a:b] for a, b in zip([0, *points], [*points, len(data)])]
    results = []
    for mod in IMPLS:
        rows, stats, p = parse(mod, *chunks, max_line_length=max_len, finish=True)
        results.append((rows, stats, p.registry.names_since(0), list(p.recent_errors)))
    assert all(r == results[0] for r in results)
