"""The /tags endpoints over the tag index (tagSeries, tagMultiSeries and delSeries through
`writer`: writes are off by default, tests/api/test_access.py)."""
import pytest


async def test_tags_endpoints(client):
    assert (await client.get("/tags")).json() == [{"tag": "dc"}, {"tag": "name"}, {"tag": "rack"}]
    assert (await client.get("/tags/dc")).json() == {"tag": "dc", "values": [{"value": "dc1", "count": 1}, {"value": "dc2", "count": 1}]}
    assert (await client.get("/tags/nosuch")).json() is None
    assert (await client.get("/tags/findSeries", params={"expr": "name=disk.used"})).json() == [
        "disk.used;dc=dc1;rack=a1", "disk.used;dc=dc2;rack=b1"]
    resp = await client.get("/tags/findSeries")
    assert resp.status_code == 400 and "no tag expressions specified" in resp.text
    assert (await client.get("/tags/autoComplete/tags", params={"expr": "name=disk.used"})).json() == ["dc", "rack"]
    assert (await client.get("/tags/autoComplete/values", params={"tag": "rack", "expr": "dc=dc2"})).json() == ["b1"]
    assert (await client.get("/tags/autoComplete/values")).status_code == 400


async def test_tag_series_answers_the_canonical_name(writer):
    resp = await writer.post("/tags/tagSeries", data={"path": "disk.used;rack=a1;dc=dc1"})
    assert resp.json() == "disk.used;dc=dc1;rack=a1"
    resp = await writer.post("/tags/tagMultiSeries", data={"path": ["b;z=1;a=2", "a;y=1"]})
    assert resp.json() == ["b;a=2;z=1", "a;y=1"]


async def test_del_series_removes_from_the_tag_index(writer):
    assert (await writer.get("/tags/delSeries")).status_code == 405
    assert (await writer.post("/tags/delSeries")).status_code == 400
    resp = await writer.post("/tags/delSeries", data={"path": "disk.used;rack=a1;dc=dc1"})  # any tag order
    assert resp.status_code == 200 and resp.json() is True
    assert (await writer.get("/tags/findSeries", params={"expr": "name=disk.used"})).json() == ["disk.used;dc=dc2;rack=b1"]
    resp = await writer.get("/render", params={"target": "seriesByTag('name=disk.used')", "format": "json"})
    assert [s["target"] for s in resp.json()] == ["disk.used;dc=dc2;rack=b1"]


LIMITED = [
    ("/tags", {}),
    ("/tags/dc", {}),
    ("/tags/autoComplete/tags", {}),
    ("/tags/autoComplete/values", {"tag": "dc"}),
]


@pytest.mark.parametrize("path, params", LIMITED)
@pytest.mark.parametrize("limit", ["ten", "1.5", "-1"])
async def test_a_bad_limit_is_a_400_naming_the_parameter(client, path, params, limit):
    resp = await client.get(path, params={**params, "limit": limit})
    assert resp.status_code == 400
    assert "'limit'" in resp.json()["error"] and repr(limit) in resp.json()["error"]


async def test_limit_cuts_each_answer(client):
    assert (await client.get("/tags", params={"limit": "2"})).json() == [{"tag": "dc"}, {"tag": "name"}]
    assert (await client.get("/tags/dc", params={"limit": "1"})).json() == {"tag": "dc", "values": [{"value": "dc1", "count": 1}]}
    assert (await client.get("/tags/autoComplete/tags", params={"limit": "1"})).json() == ["dc"]
    assert (await client.get("/tags/autoComplete/values", params={"tag": "dc", "limit": "1"})).json() == ["dc1"]
    assert (await client.get("/tags", params={"limit": ""})).json() == [{"tag": "dc"}, {"tag": "name"}, {"tag": "rack"}]


@pytest.mark.parametrize("method, path, params, status, message", [
    ("GET", "/tags/tagSeries", {}, 405, "use POST"),
    ("POST", "/tags/tagSeries", {}, 400, "no path specified"),
    ("POST", "/tags/tagMultiSeries", {}, 400, "no paths specified"),
    ("POST", "/tags/tagSeries", {"path": "disk.used;=a1"}, 400, ""),
    ("GET", "/tags", {"filter": "("}, 400, "bad filter regex"),
    ("GET", "/tags/dc", {"filter": "("}, 400, "bad filter regex"),
    ("GET", "/tags/findSeries", {"expr": "dc"}, 400, ""),
])
async def test_problems_are_answered_as_json_errors(writer, method, path, params, status, message):
    resp = await writer.request(method, path, params=params)
    assert resp.status_code == status
    assert message in resp.json()["error"]
