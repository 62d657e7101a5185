"""Events (Grafana annotations) against the real graphite-web: the same events posted to both,
then /events/get_data and the events() render function must answer the same."""
import httpx
import pytest

from tests.compat.harness import GRAPHITE_MARKS, NOW, assert_same_render

pytestmark = GRAPHITE_MARKS

EVENTS = [
    {"what": "deploy web", "tags": ["release", "web"], "when": NOW - 3000, "data": "v1.2.3"},
    {"what": "deploy db", "tags": "release db", "when": NOW - 2400.75},
    {"what": "outage", "tags": ["incident"], "when": NOW - 1800, "data": "pager"},
    {"what": "two at once", "tags": ["web"], "when": NOW - 1800},
    {"what": "untagged", "when": NOW - 600},
    {"what": "old", "tags": ["release"], "when": NOW - 5 * 86400},
]

QUERIES = [
    {},
    {"from": str(NOW - 3600), "until": str(NOW)},
    {"from": str(NOW - 3600), "until": str(NOW - 1800)},  # until is inclusive
    {"from": str(NOW - 7 * 86400), "tags": "release"},
    {"from": str(NOW - 3600), "tags": "release web"},
    {"from": str(NOW - 3600), "tags": "release web", "set": "union"},
    {"from": str(NOW - 3600), "tags": "release web", "set": "intersection"},
    {"from": str(NOW - 3600), "tags": "web", "jsonp": "cb"},
]


@pytest.fixture(scope="module")
def with_events(graphite_pair):
    ref, ours = graphite_pair
    for event in EVENTS:
        assert httpx.post(ref.url + "/events/", json=event).status_code == 200
        assert httpx.post(ours + "/events/", json=event).status_code == 200
    return graphite_pair


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: "&".join(f"{k}={v}" for k, v in q.items()) or "all")
def test_get_data_matches_graphite_web(with_events, query):
    ref, ours = with_events
    theirs = httpx.get(ref.url + "/events/get_data", params=query)
    mine = httpx.get(ours + "/events/get_data", params=query)
    assert mine.status_code == theirs.status_code == 200
    if "jsonp" in query:
        assert mine.text.startswith("cb(") and theirs.text.startswith("cb(")
        import json
        assert json.loads(mine.text[3:-1]) == json.loads(theirs.text[3:-1])
    else:
        assert mine.json() == theirs.json()
        assert mine.json(), "the query should find events"


@pytest.mark.parametrize("target", ['events("*")', 'events("release")', 'events("release", "web")', 'drawAsInfinite(events("web"))'])
def test_events_function_matches_graphite_web(with_events, target):
    assert_same_render(with_events, target, {"from": str(NOW - 3600), "until": str(NOW - 60)})


def test_bad_event_is_refused_with_a_reason(with_events):
    _, ours = with_events
    resp = httpx.post(ours + "/events/", json={"tags": ["x"]})
    assert resp.status_code == 400 and '"what" is required' in resp.json()["error"]
    resp = httpx.post(ours + "/events/", json={"what": "x", "tags": 5})
    assert resp.status_code == 400 and "tags" in resp.json()["error"]
    resp = httpx.post(ours + "/events/", content=b"{nope")
    assert resp.status_code == 400 and "not valid JSON" in resp.json()["error"]
