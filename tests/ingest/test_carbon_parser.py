"""The carbon plaintext parser: every case runs against the compiled module and its pure-Python
twin, and generated streams must give both the same points, counters, errors and names."""
import math
import random

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from tsstore import _ext
from tsstore.ingest import carbon_parser

IMPLS = _ext.implementations(carbon_parser, "tsstore.ingest._carbon_parser")
NOW = 1_700_000_000


def test_compiled_module_is_built():
    names = sorted(m.__name__ for m in IMPLS)
    assert names == ["tsstore.ingest._carbon_parser", "tsstore.ingest.carbon_parser.python_twin"], (
        "tsstore.ingest._carbon_parser is not built: run python3 setup.py build_ext --inplace")
    # the public names are the compiled ones unless TSSTORE_NO_EXTENSIONS asks for the twin
    assert carbon_parser.COMPILED == (not _ext.extensions_disabled())
    assert (carbon_parser.CarbonLineParser is IMPLS[-1].CarbonLineParser) == carbon_parser.COMPILED


@pytest.fixture(params=IMPLS, ids=[m.__name__.rsplit(".", 1)[-1] for m in IMPLS])
def mod(request):
    return request.param


def rows_of(registry, batch):
    return [(registry.name_of(s), t, v) for s, t, v in zip(batch.sids.tolist(), batch.timestamps.tolist(), batch.values.tolist())]


def run(mod, *chunks, max_line_length=16384, finish=False, now=NOW, registry=None):
    """(rows as (name, timestamp, value), stats, parser) after feeding the chunks in order."""
    reg = registry if registry is not None else mod.SeriesRegistry()
    parser = mod.CarbonLineParser(reg, max_line_length)
    rows = []
    for chunk in chunks:
        rows += rows_of(reg, parser.feed(chunk, now))
    if finish:
        rows += rows_of(reg, parser.finish(now))
    return rows, parser.stats, parser


def drops(mod, stats):
    return {r: stats[r] for r in carbon_parser.DROP_REASONS if stats[r]}


def test_plain_lines(mod):
    rows, stats, _ = run(mod, b"servers.web042.cpu.user 12.5 1732400000\nc.d 2 200\n")
    assert rows == [("servers.web042.cpu.user", 1732400000, 12.5), ("c.d", 200, 2.0)]
    assert stats["lines"] == 2 and stats["points"] == 2 and drops(mod, stats) == {}


MIXED = (b"servers.web01.cpu 12.5 1700000000\r\n"
         b"\n"
         b"  \t \r\n"
         b"bad line\n"
         b"servers.web02.cpu\t-3e2\t\t1700000010\n"
         b"disk.used;rack=a1;dc=x 7 1700000020\n"
         b"m\xc3\xa9trique 1 -1\n"
         b"nan.value nan 1700000030\n"
         b"\xff\xfe 1 1\n"
         b"last.one 4.25 1700000040\n")
MIXED_ROWS = [("servers.web01.cpu", 1700000000, 12.5), ("servers.web02.cpu", 1700000010, -300.0),
              ("disk.used;dc=x;rack=a1", 1700000020, 7.0), ("métrique", NOW, 1.0), ("last.one", 1700000040, 4.25)]


def test_mixed_stream(mod):
    rows, stats, _ = run(mod, MIXED)
    assert rows == MIXED_ROWS
    assert stats["lines"] == 8 and stats["points"] == 5 and stats["nan_values"] == 1
    assert drops(mod, stats) == {"bad_field_count": 1, "bad_utf8": 1}


def test_lines_split_at_every_byte_offset(mod):
    for cut in range(len(MIXED) + 1):
        rows, stats, _ = run(mod, MIXED[:cut], MIXED[cut:])
        assert rows == MIXED_ROWS, cut
        assert stats["lines"] == 8 and stats["points"] == 5, cut


def test_lines_split_at_every_pair_of_offsets(mod):
    data = b"a.b 1 10\r\nc;y=2;x=1 2.5 20\n\xc3\xa9 3 30\n"
    want = [("a.b", 10, 1.0), ("c;x=1;y=2", 20, 2.5), ("é", 30, 3.0)]
    for i in range(len(data) + 1):
        for j in range(i, len(data) + 1):
            assert run(mod, data[:i], data[i:j], data[j:])[0] == want, (i, j)


def test_one_byte_per_feed(mod):
    rows, stats, _ = run(mod, *[MIXED[i:i + 1] for i in range(len(MIXED))])
    assert rows == MIXED_ROWS and stats["lines"] == 8


def test_whitespace_forms(mod):
    data = (b"a 1 1\r\n"            # CRLF
            b"\tb\t2\t2\t\n"         # tabs around and between
            b"c    3  \t  3\n"        # runs of spaces
            b"d\x0b4\x0c4\n"         # vertical tab and form feed separate too
            b"e\x1c5\x1f5\n"         # so do \x1c-\x1f (Python's str.split)
            b"f\xc2\xa06\xc2\xa06\n"  # and Unicode whitespace (NBSP), as carbon splits decoded text
            b"\r\n \n\t\n\n")         # blank lines: not counted at all
    rows, stats, _ = run(mod, data)
    assert rows == [("a", 1, 1.0), ("b", 2, 2.0), ("c", 3, 3.0), ("d", 4, 4.0), ("e", 5, 5.0), ("f", 6, 6.0)]
    assert stats["lines"] == 6 and drops(mod, stats) == {}


def test_whitespace_only_line_of_unicode_spaces_is_blank(mod):
    rows, stats, _ = run(mod, b"\xc2\xa0\xe3\x80\x80\n")
    assert rows == [] and stats["lines"] == 0


@pytest.mark.parametrize("line, reason", [
    (b"a.b", "bad_field_count"),
    (b"a.b 1", "bad_field_count"),
    (b"a.b 1 2 3", "bad_field_count"),
    (b"a\xc2\xa0b 1 2", "bad_field_count"),  # NBSP splits the name: 4 fields
    (b"a.b one 100", "bad_value"),
    (b"a.b 0x10 100", "bad_value"),  # float() rejects hex
    (b"a.b 1e 100", "bad_value"),
    (b"a.b . 100", "bad_value"),
    (b"a.b 1__0 100", "bad_value"),
    (b"a.b one two", "bad_value"),  # the value is checked first
    (b"a.b 1 yesterday", "bad_timestamp"),
    (b"a.b 1 nan", "bad_timestamp"),
    (b"a.b 1 inf", "bad_timestamp"),
    (b"a.b 1 -Infinity", "bad_timestamp"),
    (b"a.b 1 1e300", "bad_timestamp"),
    (b"a.b 1 4611686018427387904", "bad_timestamp"),  # 2**62 s: beyond what we store
    (b"a.b nan yesterday", "bad_timestamp"),  # as carbon: float(timestamp) fails before the NaN test
    (b"\xffa.b 1 100", "bad_utf8"),
    (b"a.b 1 1\xff", "bad_utf8"),  # anywhere in the line, as carbon decodes the whole line
    (b"a.b \xff 100 1", "bad_utf8"),  # even when the field count is wrong too
    (b"\xc0\xaf 1 1", "bad_utf8"),  # overlong encoding
    (b"\xed\xa0\x80 1 1", "bad_utf8"),  # UTF-16 surrogate
    (b"a.b;=x 1 100", "bad_tags"),
    (b"a.b;t=~x 1 100", "bad_tags"),
    (b"a.b;t 1 100", "bad_tags"),
    (b"a.b; 1 100", "bad_tags"),
    (b";t=x 1 100", "bad_tags"),
    (b'm{a="1"b="2"} 1 100', "bad_tags"),
])
def test_bad_lines_are_counted_and_the_next_line_survives(mod, line, reason):
    rows, stats, p = run(mod, line + b"\nok.line 7 100\n")
    assert rows == [("ok.line", 100, 7.0)]
    assert drops(mod, stats) == {reason: 1}
    assert stats["lines"] == 2
    assert list(p.recent_errors) == [(reason, line.decode("utf-8", "backslashreplace"))]


VALUE_TEXTS = [
    "1", "-2", "+3.25", "1e3", "1E-2", "1_000", "1_0.5_5", ".5", "5.", "-0", "-0.0", "0.1", "4.35", "12.34",
    "0.000001", "1e22", "1e23", "1.5e+3", ".5e1", "9007199254740992", "9007199254740993", "123456789012345678",
    "123456789012345678901234567890", "3.141592653589793238", "1.7976931348623157e308", "1e309", "-1e309",
    "2.2250738585072014e-308", "5e-324", "1e-400", "0e999", "inf", "-inf", "iNf", "-Infinity", "+infinity",
    "١٢", "१.५",  # float() takes any Unicode decimal digits, as carbon's float() of decoded text does
    "0" * 30 + "1", "1" + "0" * 25, "0." + "0" * 30 + "1",
]


@pytest.mark.parametrize("text", VALUE_TEXTS)
def test_values_parse_exactly_as_python_float(mod, text):
    rows, _, _ = run(mod, b"v " + text.encode() + b" 100\n")
    assert rows == [("v", 100, float(text))]
    assert math.copysign(1, rows[0][2]) == math.copysign(1, float(text))  # keeps the sign of -0.0


def random_decimal(rnd):
    digits = "".join(rnd.choice("0123456789") for _ in range(rnd.randint(1, 22)))
    if rnd.random() < 0.6:
        cut = rnd.randint(0, len(digits))
        digits = digits[:cut] + "." + digits[cut:]
    if rnd.random() < 0.3:
        digits += rnd.choice("eE") + rnd.choice(["", "+", "-"]) + str(rnd.randint(0, 40))
    return rnd.choice(["", "-", "+"]) + digits


def test_random_decimals_parse_exactly_as_python_float(mod):
    rnd = random.Random(1234)
    texts = [random_decimal(rnd) for _ in range(20000)] + [repr(rnd.uniform(-1e6, 1e6)) for _ in range(5000)]
    texts = [t for t in texts if t.strip("+-") not in (".", "")]
    data = b"".join(b"v %s %d\n" % (t.encode(), i) for i, t in enumerate(texts))
    rows, stats, _ = run(mod, data)
    assert stats["points"] == len(texts)
    got = np.array([v for _, _, v in rows])
    want = np.array([float(t) for t in texts])
    assert np.array_equal(got, want) and np.array_equal(np.signbit(got), np.signbit(want))


def test_nan_value_is_dropped_silently(mod):
    rows, stats, p = run(mod, b"a nan 100\na NaN 100\na -nan 100\n")
    assert rows == [] and stats["nan_values"] == 3 and stats["lines"] == 3
    assert drops(mod, stats) == {} and len(p.recent_errors) == 0


def test_nan_value_with_an_infinite_timestamp_counts_as_nan_like_carbon(mod):
    rows, stats, _ = run(mod, b"a nan inf\n")
    assert rows == [] and stats["nan_values"] == 1 and drops(mod, stats) == {}


def test_infinite_values_are_kept(mod):
    rows, _, _ = run(mod, b"a inf 1\na -inf 2\na 1e999 3\n")
    assert rows == [("a", 1, math.inf), ("a", 2, -math.inf), ("a", 3, math.inf)]


@pytest.mark.parametrize("text, ts", [
    (b"-1", NOW), (b"-1.0", NOW), (b"-1e0", NOW),
    (b"-1.5", NOW),  # carbon tests int(timestamp) == -1
    (b"-0.5", 0), (b"-2", -2), (b"100.9", 100), (b"-5.5", -5), (b"1.7e9", 1_700_000_000),
    (b"1700000000.999", 1_700_000_000), (b"1_700_000_000", 1_700_000_000), (b"4.6e18", 4_600_000_000_000_000_000),
])
def test_timestamps_are_truncated_toward_zero_and_minus_one_means_now(mod, text, ts):
    assert run(mod, b"a 1 " + text + b"\n")[0] == [("a", ts, 1.0)]


def test_now_comes_from_each_feed(mod):
    reg = mod.SeriesRegistry()
    p = mod.CarbonLineParser(reg)
    assert p.feed(b"a 1 -1\n", 111).timestamps.tolist() == [111]
    assert p.feed(b"a 1 -1\na 2 -1", 222).timestamps.tolist() == [222]
    assert p.finish(333).timestamps.tolist() == [333]


def test_line_too_long_across_many_feeds_is_counted_once(mod):
    long_line = b"x" * 5000 + b" 1 1"
    chunks = [b"a 1 1\n" + long_line[:7]] + [long_line[i:i + 100] for i in range(7, len(long_line), 100)]
    rows, stats, p = run(mod, *chunks, b"\nb 2 2\n", max_line_length=64)
    assert rows == [("a", 1, 1.0), ("b", 2, 2.0)]
    assert drops(mod, stats) == {"line_too_long": 1} and stats["lines"] == 3
    assert list(p.recent_errors) == [("line_too_long", "x" * 65)]  # the first max_line_length + 1 bytes


def test_line_too_long_in_one_feed(mod):
    rows, stats, _ = run(mod, b"y" * 100 + b" 1 1\nb 2 2\n", max_line_length=64)
    assert rows == [("b", 2, 2.0)] and drops(mod, stats) == {"line_too_long": 1}


def test_line_too_long_whose_newline_comes_in_a_later_feed(mod):
    rows, stats, _ = run(mod, b"z" * 80, b"zzz", b"", b"\nb 2 2\n", max_line_length=64)
    assert rows == [("b", 2, 2.0)] and drops(mod, stats) == {"line_too_long": 1}


def test_line_of_exactly_the_limit_is_accepted(mod):
    name = b"n" * 58
    line = name + b" 1 100"  # 64 bytes, '\r' counts too
    assert run(mod, line + b"\n", max_line_length=64)[0] == [(name.decode(), 100, 1.0)]
    assert run(mod, line[:30], line[30:] + b"\n", max_line_length=64)[0] == [(name.decode(), 100, 1.0)]
    assert run(mod, line + b"\r\n", max_line_length=64)[1]["line_too_long"] == 1
    assert run(mod, line[:30], line[30:] + b"\r\n", max_line_length=64)[1]["line_too_long"] == 1


def test_huge_feed_without_newline_then_lines(mod):
    rows, stats, _ = run(mod, b"q" * 3_000_000, b"q" * 3_000_000 + b"\na 1 1\n", max_line_length=16384)
    assert rows == [("a", 1, 1.0)] and drops(mod, stats) == {"line_too_long": 1}


def test_tagged_names_are_canonical_and_share_an_id(mod):
    rows, stats, p = run(mod, b"disk.used;rack=a1;dc=dc1 1 100\n"
                              b"disk.used;dc=dc1;rack=a1 2 110\n"
                              b"disk.used;rack=a1;dc=dc1 3 120\n"
                              b'disk.used{rack="a1",dc="dc1"} 4 130\n'
                              b"~disk.used;dc=dc1;rack=a1 5 140\n")
    name = "disk.used;dc=dc1;rack=a1"
    assert rows == [(name, 100, 1.0), (name, 110, 2.0), (name, 120, 3.0), (name, 130, 4.0), (name, 140, 5.0)]
    assert p.registry.names_since(0) == [name]
    assert p.registry.get(name.encode()) == 0
    assert p.registry.get(b"disk.used;rack=a1;dc=dc1") == -1  # wire spellings are not names


def test_invalid_tags_are_not_registered(mod):
    _, stats, p = run(mod, b"a;=b 1 1\na;=b 1 1\n")
    assert stats["bad_tags"] == 2 and len(p.registry) == 0


def test_non_ascii_names(mod):
    rows, _, p = run(mod, "zähler.größe 1 1\nzähler.größe 2 2\n日本.東京;区=港 3 3\n".encode())
    assert rows == [("zähler.größe", 1, 1.0), ("zähler.größe", 2, 2.0), ("日本.東京;区=港", 3, 3.0)]
    assert len(p.registry) == 2


def test_registry_is_shared_between_connections(mod):
    reg = mod.SeriesRegistry()
    a, b = mod.CarbonLineParser(reg), mod.CarbonLineParser(reg)
    x = a.feed(b"same.name 1 1\n", NOW)
    y = b.feed(b"same.name 2 2\nother 3 3\nt;b=1;a=2 4 4\n", NOW)
    z = a.feed(b"other 5 5\nt;a=2;b=1 6 6\n", NOW)
    assert x.sids.tolist() == [0] and y.sids.tolist() == [0, 1, 2] and z.sids.tolist() == [1, 2]
    assert len(reg) == 3
    assert reg.names_since(1) == ["other", "t;a=2;b=1"]
    assert reg.get(b"other") == 1 and reg.get(b"none") == -1
    assert reg.name_of(2) == "t;a=2;b=1"


def test_registry_api(mod):
    reg = mod.SeriesRegistry()
    assert reg.id_of(b"a.b") == 0 and reg.id_of(bytearray(b"c.d")) == 1 and reg.id_of(memoryview(b"a.b")) == 0
    assert reg.get(b"c.d") == 1 and reg.get(b"") == -1
    assert reg.names_since(0) == ["a.b", "c.d"] and reg.names_since(2) == [] and reg.names_since(-5) == ["a.b", "c.d"]
    with pytest.raises(IndexError):
        reg.name_of(2)
    with pytest.raises(IndexError):
        reg.name_of(-1)
    with pytest.raises(UnicodeDecodeError):
        reg.id_of(b"\xff")
    assert len(reg) == 2
    with pytest.raises(TypeError):
        reg.id_of("text, not bytes")


@pytest.mark.parametrize("length", [1, 127, 128, 129, 16383, 16384, 70000])
def test_names_of_every_length_read_back(mod, length):
    """The compiled registry keeps a name's length before its bytes in 7-bit groups: names
    across each group boundary, registered among others, come back whole."""
    reg = mod.SeriesRegistry()
    name = (b"n." + b"x" * length)[:length]
    ids = [reg.id_of(b"before"), reg.id_of(name), reg.id_of(name + b"y"), reg.id_of(b"after")]
    assert ids == [0, 1, 2, 3]
    assert reg.name_of(1) == name.decode() and reg.name_of(2) == name.decode() + "y" and reg.name_of(3) == "after"
    assert reg.get(name) == 1 and reg.get(name[:-1] or b"z") == -1
    rows, _, _ = run(mod, name + b" 5 5\n", max_line_length=length + 10, registry=reg)
    assert rows == [(name.decode(), 5, 5.0)]


def test_many_spellings_of_tagged_names_resolve_to_one_series_each(mod):
    """Tags in any order: each spelling seen again resolves to its series without a new one
    (the compiled registry keeps spellings other than the name in a table of their own, grown
    as they come)."""
    reg = mod.SeriesRegistry()
    first = b"".join(b"m%03d;b=1;a=%d 1 1\n" % (i, i) for i in range(200))
    again = b"".join(b"m%03d;a=%d;b=1 2 2\n" % (i, i) for i in range(200)) + first
    rows, _, _ = run(mod, first, again, registry=reg)
    assert len(reg) == 200
    names = [f"m{i:03d};a={i};b=1" for i in range(200)]
    assert rows == [(n, 1, 1.0) for n in names] + [(n, 2, 2.0) for n in names] + [(n, 1, 1.0) for n in names]
    assert reg.names_since(0) == names


def test_names_registered_by_id_of_are_used_by_lines(mod):
    reg = mod.SeriesRegistry()
    assert reg.id_of(b"known.series") == 0 and reg.id_of("a;b=1".encode()) == 1
    rows, _, _ = run(mod, b"known.series 1 1\na;b=1 2 2\n", registry=reg)
    assert rows == [("known.series", 1, 1.0), ("a;b=1", 2, 2.0)] and len(reg) == 2


def test_a_non_canonical_name_from_id_of_does_not_capture_lines(mod):
    reg = mod.SeriesRegistry()
    assert reg.id_of(b"a;z=1;b=2") == 0  # a caller broke the contract: not canonical
    rows, _, _ = run(mod, b"a;z=1;b=2 1 1\n", registry=reg)
    assert rows == [("a;b=2;z=1", 1, 1.0)]  # the line still goes to the canonical series


def test_many_distinct_names(mod):
    names = [f"dc{i % 4}.svc{i % 10}.host{i:06d}.cpu.user" for i in range(30000)] + ["l" * 20000]
    data = b"".join(b"%s %d %d\n" % (n.encode(), i, i) for i, n in enumerate(names))
    rows, stats, p = run(mod, data, data, max_line_length=30000)
    assert stats["points"] == 2 * len(names) and len(p.registry) == len(names)
    assert rows == [(n, i, float(i)) for i, n in enumerate(names)] * 2
    assert p.registry.names_since(0) == names


def test_finish_parses_a_last_line_without_newline(mod):
    rows, stats, p = run(mod, b"a 1 1\nb 2 2", finish=True)
    assert rows == [("a", 1, 1.0), ("b", 2, 2.0)]
    assert len(p.finish(NOW)) == 0  # nothing left
    assert rows_of(p.registry, p.feed(b"c 3 3\n", NOW)) == [("c", 3, 3.0)]


def test_finish_after_an_over_long_tail_gives_nothing(mod):
    reg = mod.SeriesRegistry()
    p = mod.CarbonLineParser(reg, 16)
    assert len(p.feed(b"a 1 1\n" + b"x" * 40, NOW)) == 1
    assert len(p.finish(NOW)) == 0 and p.stats["line_too_long"] == 1
    assert rows_of(reg, p.feed(b"b 2 2\n", NOW)) == [("b", 2, 2.0)]  # a new datagram starts clean


def test_finish_counts_a_bad_last_line(mod):
    _, stats, p = run(mod, b"a 1", finish=True)
    assert stats["bad_field_count"] == 1


def test_reset_drops_the_partial_line(mod):
    reg = mod.SeriesRegistry()
    p = mod.CarbonLineParser(reg)
    p.feed(b"half.line 1", NOW)
    p.reset()
    assert rows_of(reg, p.feed(b"00 1\nwhole 1 1\n", NOW)) == [("whole", 1, 1.0)]
    q = mod.CarbonLineParser(reg, 8)
    q.feed(b"x" * 20, NOW)
    q.reset()  # also forgets that it was skipping an over-long line
    assert rows_of(reg, q.feed(b"a 1 1\n", NOW)) == [("a", 1, 1.0)]


def test_recent_errors_are_bounded_and_cut(mod):
    long_bad = b"word " * 200
    data = b"".join(b"bad%d\n" % i for i in range(40)) + long_bad + b"\n"
    _, stats, p = run(mod, data)
    assert stats["bad_field_count"] == 41
    assert len(p.recent_errors) == 32
    assert p.recent_errors[0] == ("bad_field_count", "bad9")
    assert p.recent_errors[-1] == ("bad_field_count", long_bad.decode().strip()[:400])


def test_lines_counter_is_the_sum_of_outcomes(mod):
    data = MIXED + b"a;=b 1 1\nx 1 nan\n" + b"L" * 100 + b"\n"
    _, stats, _ = run(mod, data, max_line_length=64)
    assert stats["lines"] == stats["points"] + stats["nan_values"] + sum(stats[r] for r in carbon_parser.DROP_REASONS)
    assert stats["lines"] == 11


@pytest.mark.parametrize("wrap", [bytes, bytearray, memoryview, lambda b: memoryview(b"--" + b + b"--")[2:-2],
                                  lambda b: memoryview(bytearray(b.ljust(len(b) + (-len(b)) % 4))).cast("I")])
def test_feed_accepts_any_bytes_like(mod, wrap):
    data = b"a 1 1\nb 2 2\n"
    reg = mod.SeriesRegistry()
    p = mod.CarbonLineParser(reg)
    assert rows_of(reg, p.feed(wrap(data), NOW)) == [("a", 1, 1.0), ("b", 2, 2.0)]


def test_feed_refuses_text(mod):
    p = mod.CarbonLineParser(mod.SeriesRegistry())
    with pytest.raises(TypeError):
        p.feed("a 1 1\n", NOW)


def test_batches_own_their_arrays(mod):
    reg = mod.SeriesRegistry()
    p = mod.CarbonLineParser(reg)
    first = p.feed(b"a 1 1\nb 2 2\n", NOW)
    second = p.feed(b"c 3 3\n", NOW)
    assert first.sids.dtype == np.int64 and first.timestamps.dtype == np.int64 and first.values.dtype == np.float64
    assert len(first) == 2 and first.sids.tolist() == [0, 1] and first.values.tolist() == [1.0, 2.0]
    assert second.sids.tolist() == [2]
    for arr in (first.sids, first.timestamps, first.values):
        assert arr.flags.owndata and arr.flags.writeable
    empty = p.feed(b"", NOW)
    assert len(empty) == 0 and empty.sids.dtype == np.int64


def test_max_line_length_must_be_positive(mod):
    with pytest.raises(ValueError):
        mod.CarbonLineParser(mod.SeriesRegistry(), 0)


# ---- the two implementations agree on generated streams --------------------------------------

_names = st.sampled_from([
    b"a.b", b"servers.web01.cpu", b"x", b"m\xc3\xa9", b"\xe6\x97\xa5.\xe6\x9c\xac", b"t;k=v", b"t;b=2;a=1", b"t;a=1;b=2",
    b"t;=v", b"t;k=~v", b"t;k", b"~t;k=v", b'om{a="1",b="2"}', b'om{a="1"b}', b"\xff", b"a\xc3", b"a\xc2\xa0b",
    b"semi;", b"~", b"x" * 30, b"-1", b"nan",
])
_numbers = st.sampled_from([
    b"1", b"-1", b"-1.0", b"-1.5", b"0", b"-0", b"2.5", b"12.34", b"1e3", b"1E-2", b"nan", b"NaN", b"inf", b"-inf",
    b"1_0", b"0x1", b"", b"1.", b".", b"-", b"+1", b"1e", b".5", b"1700000000", b"1700000000.5", b"1e300",
    b"9" * 20, b"12345.678901234567", b"4611686018427387904", b"\xd9\xa1", b"\xff", b"1\xc2\xa0", b"abc",
])
_seps = st.sampled_from([b" ", b"\t", b"  ", b" \t ", b"\x1c", b"\xc2\xa0", b"\x0b"])
_line = st.one_of(
    st.tuples(_names, _seps, _numbers, _seps, _numbers).map(b"".join),  # three fields, mostly
    st.lists(st.one_of(_names, _numbers), max_size=5).flatmap(
        lambda toks: st.lists(_seps, min_size=len(toks), max_size=len(toks)).map(
            lambda seps: b"".join(t + s for t, s in zip(toks, seps)))),
    st.binary(max_size=12),
)
_ending = st.sampled_from([b"\n", b"\r\n", b"\n\n", b" \n"])


def outcome(mod, chunks, max_len, finish):
    reg = mod.SeriesRegistry()
    reg.id_of(b"pre.registered")
    rows, stats, p = run(mod, *chunks, max_line_length=max_len, finish=finish, registry=reg)
    return rows, stats, reg.names_since(0), list(p.recent_errors)


@given(st.lists(st.tuples(_line, _ending), max_size=30), st.binary(max_size=10), st.lists(st.integers(0, 600), max_size=8),
       st.sampled_from([8, 40, 16384]), st.booleans())
@settings(deadline=None)
def test_compiled_and_twin_agree_on_generated_streams(lines, tail, cuts, max_len, finish):
    data = b"".join(l + e for l, e in lines) + tail
    points = sorted({min(c, len(data)) for c in cuts})
    chunks = [data[a:b] for a, b in zip([0, *points], [*points, len(data)])]
    results = [outcome(mod, chunks, max_len, finish) for mod in IMPLS]
    assert all(r == results[0] for r in results)
    rows, stats, _, _ = results[0]
    assert stats["lines"] == stats["points"] + stats["nan_values"] + sum(stats[r] for r in carbon_parser.DROP_REASONS)
    assert len(rows) == stats["points"]
    assert results[0] == outcome(IMPLS[0], [data], max_len, finish)  # chunking never changes the outcome
