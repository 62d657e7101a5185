"""/metrics/find, /metrics/expand and /metrics/index.json as Grafana and scripts call them."""
from tests.api.store_data import BASE, NAMES, NOW


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


async def test_find_jsonp_pretty_and_a_bad_position(client):
    resp = await client.get("/metrics/find", params={"query": "servers.*", "jsonp": "cb"})
    assert resp.text.startswith("cb([") and resp.headers["cache-control"] == "no-cache"
    pretty = (await client.get("/metrics/find", params={"query": "servers.*", "format": "json", "pretty": "1"})).text
    assert pretty.startswith("[\n  {")
    nodes = (await client.get("/metrics/find", params={"query": "servers.*.cpu", "format": "nodelist", "position": "1"})).json()
    assert nodes == {"nodes": ["db01", "web01", "web02"]}
    bad = await client.get("/metrics/find", params={"query": "servers.*", "format": "nodelist", "position": "x"})
    assert bad.status_code == 400 and bad.text == "parameter 'position' must be an integer, got 'x'"
