"""The HTTP API over the real embedded store, with the requests Grafana's Graphite data
source sends (spec section g)."""
import json
import time

import httpx
import numpy as np
import pytest

from tsstore.api import AppContext, create_app
from tsstore.config import Settings
from tsstore.model import Rollup, SeriesMeta, Slots, WriteRequest
from tsstore.store.embedded import EmbeddedStore

NOW = int(time.time()) // 60 * 60
BASE = NOW - 3600
NAMES = ["servers.web01.cpu.user", "servers.web02.cpu.user", "servers.db01.cpu.user", "servers.web01.mem.used"]


@pytest.fixture
async def client(tmp_path):
    store = EmbeddedStore(tmp_path)
    await store.open()
    metas = [SeriesMeta(n, (Rollup(60, 1440), Rollup(600, 1000))) for n in NAMES]
    metas.append(SeriesMeta("disk.used;dc=dc1;rack=a1", (Rollup(60, 1440),)))
    metas.append(SeriesMeta("disk.used;dc=dc2;rack=b1", (Rollup(60, 1440),)))
    await store.create_series(metas)
    ts = BASE + np.arange(60, dtype=np.int64) * 60
    await store.write([WriteRequest(m.name, 0, 60, Slots(ts, np.arange(60, dtype=float).reshape(-1, 1) + i), 86400)
                       for i, m in enumerate(metas)])
    app = create_app(AppContext(store, Settings(max_series_per_render=3)))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://tsstore") as c:
        yield c
    await store.close()


async def test_grafana_panel_query_as_a_post_form(client):
    body = ("target=" + "aliasSub(sumSeries(servers.web*.cpu.user)%2C%20%22(%5E.*%24)%22%2C%20%22%5C1%20A%22)"
            f"&from={BASE}&until={NOW}&format=json&maxDataPoints=1000")
    resp = await client.post("/render", content=body, headers={"content-type": "application/x-www-form-urlencoded"})
    assert resp.status_code == 200, resp.text
    (series,) = resp.json()
    assert series["target"] == "sumSeries(servers.web*.cpu.user) A"
    assert series["target"].split(" ")[-1] == "A"  # Grafana takes the refId from the last word
    points = {ts: v for v, ts in series["datapoints"]}
    assert points[BASE + 600] == 10 + 1 + 10  # web01 has i=0, web02 has i=1: (10+0)+(10+1)


async def test_health_check_constant_line(client):
    resp = await client.post("/render", data={"target": "constantLine(100)", "from": "-1h", "until": "now",
                                              "format": "json", "maxDataPoints": "100"})
    assert resp.status_code == 200
    assert [v for v, _ in resp.json()[0]["datapoints"]] == [100.0, 100.0, 100.0]


async def test_plain_render_shape_and_tags(client):
    resp = await client.get("/render", params={"target": "servers.web01.cpu.user", "from": str(BASE), "until": str(BASE + 180), "format": "json"})
    (series,) = resp.json()
    assert list(series) == ["target", "tags", "datapoints"]
    assert series["tags"] == {"name": "servers.web01.cpu.user"}
    # from is exclusive, until inclusive
    assert series["datapoints"] == [[1.0, BASE + 60], [2.0, BASE + 120], [3.0, BASE + 180]]


async def test_max_data_points_consolidates(client):
    resp = await client.get("/render", params={"target": "servers.web01.cpu.user", "from": str(BASE), "until": str(NOW),
                                               "format": "json", "maxDataPoints": "10"})
    pts = resp.json()[0]["datapoints"]
    assert len(pts) <= 11
    assert pts[1][1] - pts[0][1] == 360  # 6 points of 60 s per bucket


async def test_seriesbytag_render(client):
    resp = await client.get("/render", params={"target": "seriesByTag('name=disk.used', 'dc=dc1')", "from": str(BASE), "format": "json"})
    (series,) = resp.json()
    assert series["target"] == "disk.used;dc=dc1;rack=a1"
    assert series["tags"] == {"name": "disk.used", "dc": "dc1", "rack": "a1"}


@pytest.mark.parametrize("target, message", [
    ("sumSeries(servers.*.cpu.user))", "unexpected ')' at column 30"),
    ("nosuch(servers.web01.cpu.user)", "unknown function: nosuch"),
    ("scale(servers.web01.cpu.user, 'x')", "scale: factor must be a number"),
    ("servers.*.*.*", "too many series"),
])
async def test_bad_targets_are_400_with_the_problem(client, target, message):
    resp = await client.get("/render", params={"target": target, "format": "json"})
    assert resp.status_code == 400
    assert message in resp.text


async def test_bad_times_are_400(client):
    resp = await client.get("/render", params={"target": "servers.web01.cpu.user", "from": "yesterdayish", "format": "json"})
    assert resp.status_code == 400 and "yesterdayish" in resp.text
    resp = await client.get("/render", params={"target": "servers.web01.cpu.user", "from": "-1h", "until": "-1h"})
    assert resp.status_code == 400 and "empty time range" in resp.text


async def test_find_as_grafana_sends_it(client):
    resp = await client.post(f"/metrics/find?from={BASE}&until={NOW}", content="query=servers.*",
                             headers={"content-type": "application/x-www-form-urlencoded"})
    assert resp.status_code == 200
    assert resp.json() == [
        {"text": "db01", "id": "servers.db01", "allowChildren": 1, "expandable": 1, "leaf": 0},
        {"text": "web01", "id": "servers.web01", "allowChildren": 1, "expandable": 1, "leaf": 0},
        {"text": "web02", "id": "servers.web02", "allowChildren": 1, "expandable": 1, "leaf": 0},
    ]
    assert resp.headers["cache-control"] == "no-cache"
    leaves = (await client.get("/metrics/find", params={"query": "servers.web01.cpu.*"})).json()
    assert leaves == [{"text": "user", "id": "servers.web01.cpu.user", "allowChildren": 0, "expandable": 0, "leaf": 1}]


async def test_find_needs_a_query(client):
    resp = await client.get("/metrics/find")
    assert resp.status_code == 400 and "query" in resp.text


async def test_functions_as_grafana_reads_them(client):
    resp = await client.get("/functions")
    funcs = json.loads(resp.text.replace('"default": Infinity', '"default": 1e9999'))  # as Grafana does
    assert {"sumSeries", "aliasByNode", "aliasSub", "movingAverage", "seriesByTag"} <= set(funcs)
    assert funcs["sum"]["group"] == "Combine"
    params = funcs["movingAverage"]["params"]
    assert params[0] == {"name": "seriesList", "type": "seriesList", "required": True}
    assert params[1]["name"] == "windowSize" and params[1]["type"] == "intOrInterval"
    assert "1e9999" in (await client.get("/functions/keepLastValue")).text
    assert (await client.get("/functions/nosuch")).json() == {"error": "Function not found: nosuch"}
    grouped = (await client.get("/functions", params={"grouped": "1"})).json()
    assert "Alias" in grouped and "aliasByNode" in grouped["Alias"]


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
    resp = await client.post("/tags/tagSeries", data={"path": "disk.used;rack=a1;dc=dc1"})
    assert resp.json() == "disk.used;dc=dc1;rack=a1"


async def test_del_series_removes_from_the_tag_index(client):
    assert (await client.get("/tags/delSeries")).status_code == 405
    assert (await client.post("/tags/delSeries")).status_code == 400
    resp = await client.post("/tags/delSeries", data={"path": "disk.used;rack=a1;dc=dc1"})  # any tag order
    assert resp.status_code == 200 and resp.json() is True
    assert (await client.get("/tags/findSeries", params={"expr": "name=disk.used"})).json() == ["disk.used;dc=dc2;rack=b1"]
    resp = await client.get("/render", params={"target": "seriesByTag('name=disk.used')", "format": "json"})
    assert [s["target"] for s in resp.json()] == ["disk.used;dc=dc2;rack=b1"]


async def test_annotation_round_trip_as_grafana_asks(client):
    """An event posted (list tags, then a space-separated string), read back as Grafana's
    annotation query asks: from/until as epoch seconds, tags space-separated."""
    assert (await client.post("/events/", json={"what": "deploy", "tags": ["release", "web"], "when": BASE + 60, "data": "v2"})).status_code == 200
    assert (await client.post("/events", json={"what": "rollback", "tags": "release db", "when": BASE + 120})).status_code == 200
    resp = await client.get(f"/events/get_data?from={BASE}&until={NOW}&tags=release web")
    assert resp.json() == [{"when": BASE + 60, "what": "deploy", "data": "v2", "tags": ["release", "web"], "id": 1}]
    resp = await client.get("/events/get_data", params={"from": BASE, "until": NOW, "tags": "release"})
    assert [e["what"] for e in resp.json()] == ["deploy", "rollback"]
    assert (await client.get("/events/get_data", params={"from": "-1y", "until": BASE})).json() == []
    assert (await client.get("/events/2")).json()["what"] == "rollback"
    assert (await client.get("/events/99")).status_code == 404
    resp = await client.get("/events/abc")
    assert resp.status_code == 404 and "event id must be a number" in resp.text
    resp = await client.get("/events/get_data", params={"from": "yesterday-ish"})
    assert resp.status_code == 400 and "from/until" in resp.text


async def test_version_for_old_grafana(client):
    resp = await client.get("/version")
    assert resp.text == "1.1.10\n"


async def test_cors_for_browsers(client):
    resp = await client.options("/render", headers={"Origin": "http://grafana.example", "Access-Control-Request-Method": "POST"})
    assert resp.headers.get("access-control-allow-origin") in ("*", "http://grafana.example")


async def test_other_render_formats(client):
    q = {"target": "servers.web01.cpu.user", "from": str(BASE), "until": str(BASE + 120)}
    raw = (await client.get("/render", params={**q, "format": "raw"})).text
    assert raw == f"servers.web01.cpu.user,{BASE + 60},{BASE + 180},60|1.0,2.0\n"
    csv = (await client.get("/render", params={**q, "format": "csv"})).text
    assert csv.split("\r\n")[0].startswith("servers.web01.cpu.user,") and csv.split("\r\n")[0].endswith(",1.0")
    import msgpack
    import pickle

    packed = msgpack.unpackb((await client.get("/render", params={**q, "format": "msgpack"})).content)
    assert packed[0]["values"] == [1.0, 2.0] and packed[0]["step"] == 60
    assert pickle.loads((await client.get("/render", params={**q, "format": "pickle"})).content)[0]["name"] == "servers.web01.cpu.user"
    jsonp = (await client.get("/render", params={**q, "format": "json", "jsonp": "cb"})).text
    assert jsonp.startswith("cb([") and jsonp.endswith("])")
    dy = (await client.get("/render", params={**q, "format": "dygraph"})).json()
    assert dy["labels"] == ["Time", "servers.web01.cpu.user"] and dy["data"][0] == [(BASE + 60) * 1000, 1.0]
    png = await client.get("/render", params={**q, "format": "png"})
    assert png.status_code == 400 and "not supported" in png.text


async def test_expand_index_and_find_formats(client):
    assert (await client.get("/metrics/expand", params={"query": "servers.web0*"})).json() == {"results": ["servers.web01", "servers.web02"]}
    grouped = (await client.get("/metrics/expand", params={"query": ["servers.db*", "servers.web02.*"], "groupByExpr": "1", "leavesOnly": "1"})).json()
    assert grouped == {"results": {"servers.db*": [], "servers.web02.*": []}}
    assert (await client.get("/metrics/index.json")).json() == sorted(NAMES)
    comp = (await client.get("/metrics/find", params={"query": "servers.web01.", "format": "completer"})).json()
    assert comp == {"metrics": [{"path": "servers.web01.cpu.", "name": "cpu", "is_leaf": "0"},
                                {"path": "servers.web01.mem.", "name": "mem", "is_leaf": "0"}]}
    wild = (await client.get("/metrics/find", params={"query": "servers.*", "wildcards": "1"})).json()
    assert wild[0] == {"text": "*", "id": "servers.*", "allowChildren": 1, "expandable": 1, "leaf": 0}
    bad = await client.get("/metrics/find", params={"query": "x", "format": "yaml"})
    assert bad.status_code == 400 and "format" in bad.text
