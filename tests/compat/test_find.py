"""/metrics/find against the real graphite-web, in its tree and completer formats."""
import httpx
import pytest

from tests.compat.harness import GRAPHITE_MARKS

pytestmark = GRAPHITE_MARKS


@pytest.mark.parametrize("query", ["*", "servers.*", "servers.web01.*", "servers.*.cpu.*", "servers.{web01,db01}.c*", "nothing.*"])
def test_find_matches_graphite_web(graphite_pair, query):
    ref, ours = graphite_pair
    theirs = httpx.get(ref.url + "/metrics/find", params={"query": query}).json()
    mine = httpx.get(ours + "/metrics/find", params={"query": query}).json()
    # graphite-web lists the folder where carbon files tagged series (`_tagged`) as if it were a
    # metric branch; Grafana drops it. tsstore keeps tagged series out of the tree (COMPATIBILITY.md).
    assert mine == [node for node in theirs if node["text"] != "_tagged"]


@pytest.mark.parametrize("query", ["servers.*.cpu.u", "servers.web0", "servers.*.cpu.*", "servers..user", "*"])
def test_find_completer_matches_graphite_web(graphite_pair, query):
    ref, ours = graphite_pair
    params = {"query": query, "format": "completer"}
    theirs = httpx.get(ref.url + "/metrics/find", params=params).json()["metrics"]
    mine = httpx.get(ours + "/metrics/find", params=params).json()["metrics"]
    theirs = [m for m in theirs if m.get("name") != "_tagged"]  # see test_find_matches_graphite_web
    # graphite-web sorts by name only; among equal names its order is the filesystem's
    # (os.listdir), which varies: tsstore orders those by path.
    assert [m["name"] for m in mine] == [m["name"] for m in theirs]
    assert mine == sorted(theirs, key=lambda m: (m["name"], m.get("path", "")))
