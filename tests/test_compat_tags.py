"""Tagged series against the real graphite-web and its own tag database (LocalDatabaseTagDB):
the same tagged series, sent with their tags in any order, must be found, named, tagged and
combined the same way by seriesByTag and the tag functions, and the /tags endpoints must
answer the same."""
import httpx
import pytest

from tests.compat.harness import GRAPHITE_MARKS, RANGES, RANGE_IDS, assert_same_render

pytestmark = GRAPHITE_MARKS

TARGETS = [
    "seriesByTag('name=disk.used')",
    "seriesByTag('dc=dc1')",
    "seriesByTag('name=~disk.*', 'rack!=a2')",
    "seriesByTag('host=~web.*', 'name!=net.rx')",
    "seriesByTag('dc=dc2', 'role!=~prim.*')",
    "seriesByTag('name=net.tx', 'role=primary')",
    'seriesByTag("name=~^net\\\\.")',
    "sumSeries(seriesByTag('dc=dc1'))",
    "groupByTags(seriesByTag('name=disk.used'), 'sum', 'dc')",
    "groupByTags(seriesByTag('name=~.+'), 'max', 'name', 'dc')",
    "aliasByTags(seriesByTag('name=disk.used'), 'host', 'name')",
    "aliasByTags(seriesByTag('name=net.rx'), 1, 'dc')",
    "aliasByNode(seriesByTag('name=disk.used'), 0, 'rack')",
    "scale(seriesByTag('name=net.rx'), 2)",
    "averageSeries(seriesByTag('name=disk.used', 'dc=dc1'))",
    "seriesByTag('name=nothing')",
]


@pytest.mark.parametrize("rng", RANGES, ids=RANGE_IDS)
@pytest.mark.parametrize("target", TARGETS)
def test_tag_targets_match_graphite_web(graphite_pair, target, rng):
    assert_same_render(graphite_pair, target, rng)


ENDPOINTS = [
    ("/tags", {}),
    ("/tags", {"filter": "^d"}),
    ("/tags/dc", {}),
    ("/tags/host", {"filter": "web"}),
    ("/tags/findSeries", {"expr": "name=disk.used"}),
    ("/tags/findSeries", {"expr": ["dc=dc2", "name!=net.tx"]}),
    ("/tags/findSeries", {"expr": "host=~^web"}),
    ("/tags/autoComplete/tags", {}),
    ("/tags/autoComplete/tags", {"tagPrefix": "r"}),
    ("/tags/autoComplete/tags", {"expr": "name=net.rx"}),
    ("/tags/autoComplete/values", {"tag": "host"}),
    ("/tags/autoComplete/values", {"tag": "host", "valuePrefix": "w"}),
    ("/tags/autoComplete/values", {"tag": "rack", "expr": "dc=dc1"}),
]


@pytest.mark.parametrize("path,params", ENDPOINTS, ids=[f"{p}?{q}" for p, q in ENDPOINTS])
def test_tag_endpoints_match_graphite_web(graphite_pair, path, params):
    ref, ours = graphite_pair
    theirs = httpx.get(ref.url + path, params=params)
    mine = httpx.get(ours + path, params=params)
    assert mine.status_code == theirs.status_code == 200
    assert mine.json() == _without_ids(theirs.json())


def _without_ids(answer):
    """graphite-web's SQL tag database adds its row ids to /tags answers; they are internal
    numbers of that database (its Redis tag database has none), so tsstore leaves them out
    (COMPATIBILITY.md)."""
    if isinstance(answer, list):
        return [_without_ids(a) for a in answer]
    if isinstance(answer, dict):
        return {k: _without_ids(v) for k, v in answer.items() if k != "id"}
    return answer


def test_a_query_that_matches_the_empty_string_is_a_400(graphite_pair):
    """graphite-web answers such a query with a 500 and a traceback; tsstore says what is wrong."""
    _, ours = graphite_pair
    resp = httpx.get(ours + "/render", params={"target": "seriesByTag('name=~.*')", "format": "json"})
    assert resp.status_code == 400
    assert "At least one tagspec must not match the empty string" in resp.text
