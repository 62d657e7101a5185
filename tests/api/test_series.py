"""/tsstore/series/*: counts per subtree, and the lifecycle requests (stale, delete, rename, the deletion log) with their refusals."""
import pytest
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


async def test_deletes_and_renames_are_refused_without_write_access(client):
    for path, data in (("/tsstore/series/delete", {"query": "servers.web01"}),
                       ("/tsstore/series/delete", {"query": "servers.web01", "dry_run": "1"}),
                       ("/tsstore/series/rename", {"from": "servers.web01", "to": "servers.web09"})):
        resp = await client.post(path, data=data)
        assert resp.status_code == 403 and "writes through the HTTP API are off" in resp.json()["error"]
    # nothing went
    assert len((await client.get("/metrics/find", params={"query": "servers.*"})).json()) == 3


async def test_delete_with_a_dry_run_by_glob_and_by_tag(writer):
    dry = await writer.post("/tsstore/series/delete", data={"query": "servers.web01", "tagged": "dc=dc1", "dry_run": "1"})
    assert dry.status_code == 200, dry.text
    assert dry.json()["names"] == ["disk.used;dc=dc1;rack=a1", "servers.web01.cpu.user", "servers.web01.mem.used"]
    assert dry.json()["dry_run"] is True and "deleted" not in dry.json()
    done = await writer.post("/tsstore/series/delete", data={"query": "servers.web01", "tagged": "dc=dc1"})
    assert done.status_code == 200, done.text
    assert done.json()["deleted"] == 3
    found = (await writer.get("/metrics/find", params={"query": "servers.*"})).json()
    assert [n["text"] for n in found] == ["db01", "web02"]
    assert (await writer.get("/tags/findSeries", params={"expr": "dc=~dc.*"})).json() == ["disk.used;dc=dc2;rack=b1"]
    render = await writer.get("/render", params={"target": "servers.web01.*.*", "format": "json", "from": "-2h"})
    assert render.json() == []
    log = (await writer.get("/tsstore/series/deletions")).json()
    assert len(log["deletions"]) == 1 and sorted(log["deletions"][0]["names"]) == done.json()["names"]
    assert log["deletions"][0]["request"]["via"] == "http"


async def test_a_glob_that_matches_nothing_deletes_nothing(writer):
    resp = await writer.post("/tsstore/series/delete", data={"query": "nothing.here.*"})
    assert resp.status_code == 200 and resp.json()["series"] == 0 and resp.json()["names"] == []
    assert (await writer.get("/tsstore/series/deletions")).json()["deletions"] == []


async def test_bad_lifecycle_requests_name_the_problem(writer):
    async def error(method, path, **params):
        resp = await (writer.post(path, data=params) if method == "post" else writer.get(path, params=params))
        assert resp.status_code == 400, resp.text
        return resp.json()["error"]

    assert "name the series" in await error("post", "/tsstore/series/delete")
    assert "reversed character range" in await error("post", "/tsstore/series/delete", query="servers.[z-a]")
    assert "Invalid tagspec 'dc'" in await error("post", "/tsstore/series/delete", tagged="dc")
    assert "missing parameter 'before'" in await error("get", "/tsstore/series/stale", query="servers")
    assert "Invalid value 'soonish' for param before" in await error("get", "/tsstore/series/stale", query="servers",
                                                                       before="soonish")
    assert "needs from=<path> and to=<path>" in await error("post", "/tsstore/series/rename", **{"from": "servers"})
    assert "one is inside the other" in await error("post", "/tsstore/series/rename", **{"from": "servers",
                                                                                         "to": "servers.x"})
    assert "plain dotted path" in await error("post", "/tsstore/series/rename", **{"from": "servers.*", "to": "x"})


async def test_a_selection_past_the_limit_is_refused_by_name(tmp_path):
    from tsstore.config import Settings
    from tsstore.lifecycle.selection import Selection, SelectionError, select
    from tests.api.store_data import open_client
    from tests.helpers.served_store import queried_as_served

    client, store = await open_client(tmp_path, Settings())
    try:
        queried = await queried_as_served(store)
        assert len((await select(queried, Selection(("servers",)), 0, limit=4)).names) == 4
        with pytest.raises(SelectionError, match="more than 3 series selected; one request acts on at most 3"):
            await select(queried, Selection(("servers",)), 0, limit=3)
        with pytest.raises(SelectionError, match="more than 1 series selected"):
            await select(queried, Selection(("servers.web01",), ("dc=~dc.*",)), 0, limit=1)
    finally:
        await client.aclose()
        await store.close()
