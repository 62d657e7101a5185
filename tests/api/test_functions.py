"""/functions as Grafana's query editor reads it."""
import json


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


async def test_time_shift_lists_align_dst_and_takes_it_by_keyword(client):
    params = (await client.get("/functions/timeShift")).json()["params"]
    assert params[3] == {"name": "alignDst", "type": "boolean", "default": False}
    resp = await client.get("/render", params={"target": "timeShift(nothing.here, '1h', alignDst=true)", "format": "json"})
    assert resp.status_code == 200 and resp.json() == []


async def test_problems_are_json_errors(client):
    resp = await client.post("/functions")
    assert resp.status_code == 405 and resp.json() == {"error": "only GET is allowed"}
    resp = await client.get("/functions/nosuch")
    assert resp.status_code == 404 and resp.headers["content-type"] == "application/json"
