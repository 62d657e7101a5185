"""The in-memory tag index answers seriesByTag and the autocomplete queries as the
expression semantics say (tsstore.index.tagquery.series_matches over every name, the
reference), with series removed and tagged again, and stays equal to a real embedded store's
tags as other processes change them (the store's tag log)."""
import logging

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tsstore.index import tag_index as tag_index_module
from tsstore.index.tag_index import StoreTagIndex, TagIndex
from tsstore.index.tagquery import TagQueryError, parse_exprs, series_matches
from tsstore.index.tags import canonical, parse_tags
from tsstore.model import Rollup, SeriesMeta
from tsstore.store import embedded
from tsstore.store.embedded import EmbeddedStore

SERIES = []  # the store fixture's series (none: each test makes its own)

metric = st.sampled_from(["cpu", "cpu.user", "disk", "a.b"])
pairs = st.dictionaries(st.sampled_from(["dc", "host", "rack", "env"]), st.sampled_from(["dc1", "dc2", "web01", "web02", "x"]),
                        max_size=3)
tagged_name = st.builds(lambda m, p: canonical(m + "".join(f";{k}={v}" for k, v in p.items())) if p else canonical(m + ";env=x"),
                        metric, pairs)
expr = st.builds(lambda tag, op, spec: f"{tag}{op}{spec}", st.sampled_from(["dc", "host", "rack", "env", "name", "nope"]),
                 st.sampled_from(["=", "!=", "=~", "!=~"]), st.sampled_from(["dc1", "web0", "web0[12]", "", "cpu.*", "x|dc2", "a.b"]))


def reference(names, exprs):
    return sorted(n for n in set(names) if series_matches(n, parse_exprs(exprs)))


@settings(max_examples=300, deadline=None)
@given(st.lists(tagged_name, max_size=25), st.lists(tagged_name, max_size=10), st.lists(expr, min_size=1, max_size=3),
       st.data(), st.sampled_from([0, 10**9]))
def test_queries_answer_as_the_expressions_say(first, later, exprs, data, few):
    """few: the later expressions read the candidates' own entries (0) or the tag's (10**9)."""
    saved, tag_index_module.FEW_CANDIDATES = tag_index_module.FEW_CANDIDATES, few
    try:
        _check_queries(first, later, exprs, data)
    finally:
        tag_index_module.FEW_CANDIDATES = saved


def _check_queries(first, later, exprs, data):
    try:
        parse_exprs(exprs)
    except TagQueryError:
        with pytest.raises(TagQueryError):
            TagIndex().find(exprs)
        return
    index = TagIndex()
    index.add_sorted(sorted(set(first)))
    index.find(exprs)  # groups the entries: `later` is a tail
    index.add(later)
    removed = data.draw(st.lists(st.sampled_from(first + later), max_size=5)) if first + later else []
    index.remove(removed)
    back = data.draw(st.lists(st.sampled_from(removed), max_size=2)) if removed else []
    index.add(back)
    live = (set(first) | set(later)) - set(removed) | set(back)
    want = reference(live, exprs)
    assert index.find(exprs) == want
    assert index.tag_names(exprs) == sorted({t for n in want for t in parse_tags(n)})
    assert index.tag_names() == sorted({t for n in live for t in parse_tags(n)})
    for tag in ("dc", "name", "nope"):
        counts = {}
        for n in want:
            if tag in parse_tags(n):
                counts[parse_tags(n)[tag]] = counts.get(parse_tags(n)[tag], 0) + 1
        assert index.tag_values(tag, exprs) == dict(sorted(counts.items()))
        every = {}
        for n in live:
            if tag in parse_tags(n):
                every[parse_tags(n)[tag]] = every.get(parse_tags(n)[tag], 0) + 1
        assert index.tag_values(tag) == dict(sorted(every.items()))


def test_a_bad_query_is_refused_by_name():
    index = TagIndex()
    index.add(["cpu;dc=dc1"])
    with pytest.raises(TagQueryError, match="At least one tagspec must not match the empty string"):
        index.find(["dc!=dc1"])
    with pytest.raises(TagQueryError, match="Invalid tagspec"):
        index.find(["dc"])


def _metas(names):
    return [SeriesMeta(n, (Rollup(60, 100),)) for n in names]


async def test_kept_equal_to_the_store_across_processes(tmp_path, monkeypatch, caplog):
    store = EmbeddedStore(tmp_path)
    await store.open()
    other = EmbeddedStore(tmp_path)  # another process's connection to the same data dir
    await other.open()
    try:
        await store.create_series(_metas([f"cpu;dc=dc{i % 3};host=web{i:02d}" for i in range(30)] + ["plain.series"]))
        tags = StoreTagIndex.for_store(store)
        assert await tags.answer("find", ["dc=dc1"]) is None  # not built: the store's own queries answer
        with caplog.at_level(logging.INFO, logger="tsstore.index.tag_index"):
            await tags.build()
        assert "tag index ready: 30 tagged series" in caplog.text
        want = [f"cpu;dc=dc1;host=web{i:02d}" for i in range(1, 30, 3)]
        assert await tags.answer("find", ["dc=dc1"]) == want
        # the other process tags new series and removes some (graphite-web's delSeries)
        await other.create_series(_metas(["mem;dc=dc1;host=web99"]))
        assert await other.forget_tagged(["cpu;dc=dc1;host=web01", "cpu;dc=dc1;host=web04"]) == 2
        assert await tags.answer("find", ["dc=dc1"]) == [n for n in want if n[-2:] not in ("01", "04")] + ["mem;dc=dc1;host=web99"]
        assert (await tags.answer("tag_values", "dc"))["dc1"] == 9
        # tagged again (a restart re-creates its series): found again
        await other.create_series(_metas(["cpu;dc=dc1;host=web01"]))
        assert "cpu;dc=dc1;host=web01" in await tags.answer("find", ["host=web01"])
        # further behind than the log keeps: every tagged series is read again
        monkeypatch.setattr(embedded, "TAG_LOG_KEEP", 1)
        await other.create_series(_metas(["net;dc=dc2;host=web50", "net;dc=dc2;host=web51"]))
        await other.forget_tagged(["cpu;dc=dc2;host=web02"])
        await other.expire(0)
        with caplog.at_level(logging.WARNING, logger="tsstore.index.tag_index"):
            found = await tags.answer("find", ["dc=dc2"])
        assert "reading every tagged series again" in caplog.text
        assert found == sorted([f"cpu;dc=dc2;host=web{i:02d}" for i in range(2, 30, 3) if i != 2]
                               + ["net;dc=dc2;host=web50", "net;dc=dc2;host=web51"])
    finally:
        await other.close()
        await store.close()


async def test_a_store_error_during_the_build_is_retried(tmp_path, monkeypatch, caplog):
    monkeypatch.setattr("tsstore.index.store_sync.BUILD_RETRY_S", 0.01)
    store = EmbeddedStore(tmp_path)
    await store.open()
    try:
        await store.create_series(_metas(["cpu;dc=dc1"]))
        real, failures = store.tagged_names, [RuntimeError("disk unplugged")]

        async def flaky():
            if failures:
                raise failures.pop()
            return await real()

        monkeypatch.setattr(store, "tagged_names", flaky)
        tags = StoreTagIndex.for_store(store)
        with caplog.at_level(logging.WARNING, logger="tsstore.index.tag_index"):
            await tags.build()
        assert "reading the store's tags failed (disk unplugged)" in caplog.text
        assert await tags.answer("find", ["name=cpu"]) == ["cpu;dc=dc1"]
    finally:
        await store.close()


@pytest.mark.cassandra
async def test_on_cassandra_kept_equal_across_nodes(cassandra_url):
    """Two processes on one keyspace: one's tag index sees what the other tags and removes
    (the tag_log table)."""
    import asyncio
    import time

    from tsstore.store.cassandra.store import CassandraStore

    writer, reader = CassandraStore(cassandra_url), CassandraStore(cassandra_url)
    await writer.open()
    await reader.open()
    try:
        await writer.create_series(_metas([f"cpu;dc=dc{i % 3};host=web{i:02d}" for i in range(12)] + ["plain.series"]))
        tags = StoreTagIndex.for_store(reader)
        await tags.build()
        assert await tags.answer("find", ["dc=dc1"]) == [f"cpu;dc=dc1;host=web{i:02d}" for i in (1, 4, 7, 10)]
        t0 = time.monotonic()
        await writer.create_series(_metas(["mem;dc=dc1;host=web99"]))
        assert await writer.forget_tagged(["cpu;dc=dc1;host=web04"]) == 1
        want = ["cpu;dc=dc1;host=web01", "cpu;dc=dc1;host=web07", "cpu;dc=dc1;host=web10", "mem;dc=dc1;host=web99"]
        while time.monotonic() - t0 < 10 and await tags.answer("find", ["dc=dc1"]) != want:
            await asyncio.sleep(0.05)
        assert await tags.answer("find", ["dc=dc1"]) == want
        assert (await tags.answer("tag_values", "dc"))["dc1"] == 4
    finally:
        await writer.close()
        await reader.close()
