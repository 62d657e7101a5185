"""Tag expressions and series lookup against the real embedded store's tag index."""
import pytest

from tsstore.index import tagquery

SERIES = [
    "disk.used;datacenter=dc1;rack=a1;server=web01",
    "disk.used;datacenter=dc1;rack=a2;server=web02",
    "disk.used;datacenter=dc2;rack=b1;server=web03",
    "disk.free;datacenter=dc1;server=web01",
    "cpu.user;server=web01",
    "untagged.path",
]


@pytest.mark.parametrize(
    "exprs, expected",
    [
        (["name=disk.used"], SERIES[:3]),
        (["name=disk.used", "datacenter=dc1"], SERIES[:2]),
        (["name=disk.used", "datacenter!=dc1"], SERIES[2:3]),
        (["datacenter=~dc"], [SERIES[3], *SERIES[:3]]),  # anchored at the start only; sorted
        (["server=~web0[12]$"], [SERIES[4], SERIES[3], SERIES[0], SERIES[1]]),
        (["name=~disk", "rack!=~a"], [SERIES[3], SERIES[2]]),  # no rack tag matches rack!=~a
        (["name=disk.used", "rack="], []),  # rack= matches only series without rack
        (["name=disk.free", "rack="], [SERIES[3]]),
        (["server!="], [SERIES[4], SERIES[3], *SERIES[:3]]),
        (["name=nothing"], []),
    ],
)
async def test_find_series(store, exprs, expected):
    assert await tagquery.find_series(store, exprs) == sorted(expected)


@pytest.mark.parametrize(
    "exprs, message",
    [
        ([], "no tag expressions specified"),
        (["dc="], "At least one tagspec must not match the empty string"),
        (["dc=~.*", "rack!=x"], "At least one tagspec must not match the empty string"),
        (["nooperator"], "Invalid tagspec"),
        (["a;b=c"], "Invalid tagspec"),
        (["dc=~(unclosed"], "invalid regular expression"),
    ],
)
async def test_bad_expressions_name_the_problem(store, exprs, message):
    with pytest.raises(tagquery.TagQueryError, match=message):
        await tagquery.find_series(store, exprs)


async def test_tag_index_counts(store):
    assert await store.tag_names() == ["datacenter", "name", "rack", "server"]
    assert await store.tag_values("datacenter") == {"dc1": 3, "dc2": 1}
    assert await store.series_with_tag("server", "web01") == sorted([SERIES[0], SERIES[3], SERIES[4]])
