"""The carbon point rules shared by the plaintext parsers and the pickle listener."""
import math

import pytest

from tsstore import _ext
from tsstore.index import tags
from tsstore.ingest import carbon_parser, points

NOW = 1_700_000_000
PARSERS = _ext.implementations(carbon_parser, "tsstore.ingest._carbon_parser")


def test_nan_values_are_recognised():
    assert points.is_nan(math.nan)
    assert not points.is_nan(math.inf) and not points.is_nan(0.0)


@pytest.mark.parametrize("ts, ok", [
    (0.0, True), (1.7e9, True), (-1.0, True),
    (2.0**62 - 1024, True), (-(2.0**62) + 1024, True),
    (2.0**62, False), (-(2.0**62), False), (math.inf, False), (-math.inf, False), (math.nan, False),
])
def test_timestamp_limit(ts, ok):
    assert points.timestamp_ok(ts) is ok


@pytest.mark.parametrize("ts, stored", [
    (1700000000.9, 1700000000), (-0.5, 0), (-2.0, -2), (-2.5, -2),
    (-1.0, NOW), (-1.7, NOW),  # carbon tests int(ts) == -1: truncated toward zero first
])
def test_stored_timestamp(ts, stored):
    assert points.stamp(ts, NOW) == stored


def test_series_key_is_the_canonical_tagged_name():
    assert points.series_key("a.b.c") == "a.b.c"
    assert points.series_key("cpu;b=2;a=1") == "cpu;a=1;b=2"
    assert points.series_key('cpu{b="2",a="1"}') == "cpu;a=1;b=2"
    with pytest.raises(tags.InvalidTagError):
        points.series_key("cpu;=1")


@pytest.mark.parametrize("impl", PARSERS, ids=[m.__name__.rsplit(".", 1)[-1] for m in PARSERS])
def test_the_plaintext_parser_applies_the_rules(impl):
    lines = b"a 1 -1.7\nb 2 -0.5\nc nan 5\nd 1 4611686018427387904\ncpu;b=2;a=1 3 7\n"
    reg = impl.SeriesRegistry()
    parser = impl.CarbonLineParser(reg)
    batch = parser.feed(lines, NOW)
    got = [(reg.name_of(s), t, v) for s, t, v in zip(batch.sids.tolist(), batch.timestamps.tolist(), batch.values.tolist())]
    assert got == [("a", NOW, 1.0), ("b", 0, 2.0), ("cpu;a=1;b=2", 7, 3.0)]
    assert parser.stats["nan_values"] == 1 and parser.stats["bad_timestamp"] == 1
