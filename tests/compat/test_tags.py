"""The /tags endpoints against the real graphite-web and its own tag database
(LocalDatabaseTagDB), over the same tagged series (the seriesByTag targets are in
tests/compat/cases/tagged.py)."""
import httpx
import pytest

from tests.compat.harness import GRAPHITE_MARKS

pytestmark = GRAPHITE_MARKS

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
