"""Fixtures of the compatibility tests: the pair of servers (started once per session) and
the events posted to both."""
import httpx
import pytest

from tests.compat.harness import NOW, start_pair

EVENTS = [
    {"what": "deploy web", "tags": ["release", "web"], "when": NOW - 3000, "data": "v1.2.3"},
    {"what": "deploy db", "tags": "release db", "when": NOW - 2400.75},
    {"what": "outage", "tags": ["incident"], "when": NOW - 1800, "data": "pager"},
    {"what": "two at once", "tags": ["web"], "when": NOW - 1800},
    {"what": "untagged", "when": NOW - 600},
    {"what": "old", "tags": ["release"], "when": NOW - 5 * 86400},
]


@pytest.fixture(scope="session")
def graphite_pair(tmp_path_factory):
    """graphite-web and tsstore holding the same data: (GraphiteReference, tsstore URL)."""
    yield from start_pair(tmp_path_factory)


@pytest.fixture(scope="session")
def with_events(graphite_pair):
    """graphite_pair, with EVENTS posted to both (once: events accumulate)."""
    ref, ours = graphite_pair
    for event in EVENTS:
        assert httpx.post(ref.url + "/events/", json=event).status_code == 200
        assert httpx.post(ours + "/events/", json=event).status_code == 200
    return graphite_pair
