"""The events endpoints (Grafana annotations) against the real graphite-web: with the same
events posted to both (tests/compat/conftest.py), /events/get_data must answer the same (the
events() render function is in tests/compat/cases/events.py)."""
import json

import httpx
import pytest

from tests.compat.harness import GRAPHITE_MARKS, NOW

pytestmark = GRAPHITE_MARKS

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


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: "&".join(f"{k}={v}" for k, v in q.items()) or "all")
def test_get_data_matches_graphite_web(with_events, query):
    ref, ours = with_events
    theirs = httpx.get(ref.url + "/events/get_data", params=query)
    mine = httpx.get(ours + "/events/get_data", params=query)
    assert mine.status_code == theirs.status_code == 200
    if "jsonp" in query:
        assert mine.text.startswith("cb(") and theirs.text.startswith("cb(")
        assert json.loads(mine.text[3:-1]) == json.loads(theirs.text[3:-1])
    else:
        assert mine.json() == theirs.json()
        assert mine.json(), "the query should find events"


def test_bad_event_is_refused_with_a_reason(with_events):
    _, ours = with_events
    resp = httpx.post(ours + "/events/", json={"tags": ["x"]})
    assert resp.status_code == 400 and '"what" is required' in resp.json()["error"]
    resp = httpx.post(ours + "/events/", json={"what": "x", "tags": 5})
    assert resp.status_code == 400 and "tags" in resp.json()["error"]
    resp = httpx.post(ours + "/events/", content=b"{nope")
    assert resp.status_code == 400 and "not valid JSON" in resp.json()["error"]
