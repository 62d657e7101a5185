"""Events as Grafana annotations post and read them (posted through `writer`: writes are off
by default, tests/api/test_access.py)."""
from tests.api.store_data import BASE, NOW


async def test_annotation_round_trip_as_grafana_asks(writer):
    """An event posted (list tags, then a space-separated string), read back as Grafana's
    annotation query asks: from/until as epoch seconds, tags space-separated."""
    assert (await writer.post("/events/", json={"what": "deploy", "tags": ["release", "web"], "when": BASE + 60, "data": "v2"})).status_code == 200
    assert (await writer.post("/events", json={"what": "rollback", "tags": "release db", "when": BASE + 120})).status_code == 200
    resp = await writer.get(f"/events/get_data?from={BASE}&until={NOW}&tags=release web")
    assert resp.json() == [{"when": BASE + 60, "what": "deploy", "data": "v2", "tags": ["release", "web"], "id": 1}]
    resp = await writer.get("/events/get_data", params={"from": BASE, "until": NOW, "tags": "release"})
    assert [e["what"] for e in resp.json()] == ["deploy", "rollback"]
    assert (await writer.get("/events/get_data", params={"from": "-1y", "until": BASE})).json() == []
    assert (await writer.get("/events/2")).json()["what"] == "rollback"
    assert (await writer.get("/events/99")).status_code == 404
    resp = await writer.get("/events/abc")
    assert resp.status_code == 404 and "event id must be a number" in resp.text
    resp = await writer.get("/events/get_data", params={"from": "yesterday-ish"})
    assert resp.status_code == 400 and "from/until" in resp.text


async def test_get_data_with_jsonp(writer):
    assert (await writer.post("/events", json={"what": "deploy", "tags": ["web"], "when": BASE + 60})).status_code == 200
    resp = await writer.get("/events/get_data", params={"from": BASE, "until": NOW, "jsonp": "cb"})
    assert resp.headers["content-type"].startswith("text/javascript")
    assert resp.text.startswith("cb([") and '"what":"deploy"' in resp.text and resp.text.endswith("])")
    assert (await writer.get("/events", params={"from": "soonish"})).json()["error"].startswith("bad from/until")
