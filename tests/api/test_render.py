"""/render as Grafana asks for it: targets, time ranges, formats and what is refused."""
import pytest

from tests.api.store_data import BASE, NOW


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
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")


@pytest.mark.parametrize("fmt, message", [
    ("yaml", "unknown format 'yaml': use json, csv, raw, pickle, msgpack, dygraph, rickshaw, png, svg or pdf"),
])
async def test_a_format_it_cannot_write_is_refused_before_the_targets_are_evaluated(client, fmt, message):
    # the target is wrong too: the answer names the format, so the target was never evaluated
    resp = await client.get("/render", params={"target": "nosuch(servers.web01.cpu.user)", "format": fmt})
    assert resp.status_code == 400 and message in resp.text
    assert resp.headers["content-type"].startswith("text/plain")


@pytest.mark.parametrize("fmt, media_type", [
    ("json", "application/json"), ("csv", "text/csv"), ("raw", "text/plain"), ("pickle", "application/pickle"),
    ("msgpack", "application/x-msgpack"), ("dygraph", "application/json"), ("rickshaw", "application/json"),
    ("png", "image/png"), ("svg", "image/svg+xml"), ("pdf", "application/x-pdf"),
])
async def test_every_format_answers_with_its_media_type(client, fmt, media_type):
    resp = await client.get("/render", params={"target": "servers.web01.cpu.user", "from": str(BASE),
                                               "until": str(BASE + 120), "format": fmt})
    assert resp.status_code == 200 and resp.headers["content-type"].startswith(media_type)
    assert resp.content


@pytest.mark.parametrize("fmt, wrapped", [("json", True), ("dygraph", True), ("rickshaw", True), ("csv", False), ("raw", False)])
async def test_jsonp_wraps_the_json_formats_only(client, fmt, wrapped):
    q = {"target": "servers.web01.cpu.user", "from": str(BASE), "until": str(BASE + 120), "format": fmt, "jsonp": "cb"}
    resp = await client.get("/render", params=q)
    assert resp.text.startswith("cb(") is wrapped
    assert resp.headers["content-type"].startswith("text/javascript") is wrapped


async def test_jsonp_needs_a_named_format(client):
    # without a format the answer is graphite-web's default, a PNG, which jsonp does not wrap
    resp = await client.get("/render", params={"target": "servers.web01.cpu.user", "from": str(BASE),
                                               "until": str(BASE + 120), "jsonp": "cb"})
    assert resp.headers["content-type"] == "image/png" and resp.content.startswith(b"\x89PNG")
    resp = await client.get("/render", params={"target": "servers.web01.cpu.user", "from": str(BASE),
                                               "until": str(BASE + 120), "rawData": "1", "jsonp": "cb"})
    assert resp.text.startswith("servers.web01.cpu.user,")


async def test_pretty_json_keeps_graphite_webs_infinity(client):
    resp = await client.get("/render", params={"target": "offset(servers.web01.cpu.user, 1e309)", "from": str(BASE),
                                               "until": str(BASE + 120), "format": "json", "pretty": "1"})
    assert "\n  {" in resp.text and "1e9999" in resp.text and "Infinity" not in resp.text


async def test_no_null_points_leaves_null_points_out(client):
    q = {"target": "servers.web01.cpu.user", "from": str(BASE - 120), "until": str(BASE + 120), "format": "json"}
    assert (await client.get("/render", params=q)).json()[0]["datapoints"][0] == [None, BASE - 60]
    resp = await client.get("/render", params={**q, "noNullPoints": "1"})
    assert resp.json()[0]["datapoints"] == [[0.0, BASE], [1.0, BASE + 60], [2.0, BASE + 120]]
