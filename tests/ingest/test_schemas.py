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



MANY_SCHEMAS = """
[late_in_name]
pattern = \\.b$
retentions = 1s:1h

[early_in_name]
pattern = ^a\\.
retentions = 2s:1h

[catch_all]
pattern = .*
retentions = 3s:1h

[never_reached]
pattern = ^x\\.
retentions = 4s:1h
"""


def test_schemas_for_is_the_first_matching_section_in_file_order_not_the_first_match_in_the_name():
    """A name that an earlier section matches at its end and a later one at its start takes
    the earlier section; a catch-all section ends the search, as in carbon."""
    schemas, aggregation = parse_schemas(MANY_SCHEMAS), parse_aggregation(AGGREGATION)
    resolver = SchemaResolver(schemas, aggregation)
    names = ["a.b", "a.c", "x.b", "x.c", "a.web.count", "z.lat", "web.count.x"] * 3
    table, schema_of = resolver.schemas_for(names)

    def by_hand(name):  # carbon's loop: each file's sections in order, the first search that hits
        rollups = next((r.rollups for r in schemas if r.pattern.search(name)), DEFAULT_ROLLUPS)
        rule = next((r for r in aggregation if r.pattern.search(name)), None)
        return rollups, (rule and rule.method) or "average", 0.5 if rule is None or rule.xff is None else rule.xff

    assert [table[i] for i in schema_of] == [by_hand(n) for n in names]
    steps = [table[i][0][0].step for i in schema_of[:7]]
    assert steps == [1, 2, 1, 3, 2, 3, 3]  # x.c: the catch-all, never the later ^x section
    assert len(table) == len(set(table))  # each distinct schema once
