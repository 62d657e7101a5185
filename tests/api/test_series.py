"""/tsstore/series/count: the series under each node a glob matches, most first."""
from tests.api.store_data import NAMES


async def test_series_under_each_child(client):
    resp = await client.get("/tsstore/series/count", params={"query": "servers.*"})
    assert resp.status_code == 200
    # servers.web01 holds cpu.user and mem.used; servers.web01 itself is not a series
    assert resp.json() == {"query": "servers.*", "matched": 3, "nodes": [
        {"path": "servers.web01", "series": 2}, {"path": "servers.db01", "series": 1}, {"path": "servers.web02", "series": 1}]}
    top = (await client.get("/tsstore/series/count", params={"query": "*", "limit": "1"})).json()
    assert top == {"query": "*", "matched": 1, "nodes": [{"path": "servers", "series": len(NAMES)}]}  # tagged ones: no path


async def test_bad_count_requests_name_the_problem(client):
    missing = await client.get("/tsstore/series/count")
    assert missing.status_code == 400 and "missing parameter 'query'" in missing.json()["error"]
    bad_limit = await client.get("/tsstore/series/count", params={"query": "*", "limit": "0"})
    assert bad_limit.status_code == 400 and "parameter 'limit' must be an integer >= 1" in bad_limit.json()["error"]
    bad_glob = await client.get("/tsstore/series/count", params={"query": "servers.[z-a]"})
    assert bad_glob.status_code == 400 and "reversed character range z-a" in bad_glob.text
