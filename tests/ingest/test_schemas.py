"""The schema resolver: the first matching section of each file wins, carbon's fallbacks
apply when none matches, and the batch call answers as the one-name call does."""
from tsstore.ingest.schemas import DEFAULT_ROLLUPS, SchemaResolver, parse_aggregation, parse_schemas
from tsstore.model import Rollup

SCHEMAS = """
[fast]
pattern = ^fast\\.
retentions = 1s:1h,1m:1d

[web]
pattern = web
retentions = 10s:6h
"""
AGGREGATION = """
[counts]
pattern = \\.count$
xFilesFactor = 0
aggregationMethod = sum

[no_method]
pattern = \\.lat$
xFilesFactor = 0.25
"""
NAMES = ["fast.web.count", "a.web.lat", "other.thing", "fast.x", "web.count.x"]


def test_first_matching_sections_and_fallbacks():
    resolver = SchemaResolver(parse_schemas(SCHEMAS), parse_aggregation(AGGREGATION))
    fast, web, other, _, web_count = resolver.metas_for(NAMES)
    assert (fast.rollups, fast.aggregation, fast.xff) == ((Rollup(1, 3600), Rollup(60, 1440)), "sum", 0.0)
    assert (web.rollups, web.aggregation, web.xff) == ((Rollup(10, 2160),), "average", 0.25)
    assert (other.rollups, other.aggregation, other.xff) == (DEFAULT_ROLLUPS, "average", 0.5)
    assert web_count.aggregation == "average"  # '.count$' is anchored at the end


def test_the_batch_answers_as_one_name_at_a_time():
    resolver = SchemaResolver(parse_schemas(SCHEMAS), parse_aggregation(AGGREGATION))
    assert resolver.metas_for(NAMES) == [resolver.meta_for(n) for n in NAMES]
    assert [m.name for m in resolver.metas_for(NAMES)] == NAMES
