"""/metrics/find, /metrics/expand and /metrics/index.json as Grafana, scripts and a graphite-web
frontend (CLUSTER_SERVERS) call them."""
import io
import pickle
import time

import msgpack
import pytest

from tests.api.store_data import BASE, NAMES, NOW, open_client
from tsstore.config import Settings
from tsstore.model import Rollup, SeriesMeta


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
    leaves = (await client.get("/metrics/find", params={"query": "servers.web01.cpu.*", "format": "json"})).json()
    assert leaves and all(n["is_leaf"] and len(n["intervals"]) == 1 for n in leaves)
    (interval,) = leaves[0]["intervals"]
    assert 0 < interval["end"] - interval["start"] and abs(interval["end"] - time.time()) < 60
    nodes = (await client.get("/metrics/find", params={"query": "servers.*.cpu", "format": "nodelist", "position": "1"})).json()
    assert nodes == {"nodes": ["db01", "web01", "web02"]}
    bad = await client.get("/metrics/find", params={"query": "servers.*", "format": "nodelist", "position": "x"})
    assert bad.status_code == 400 and bad.text == "parameter 'position' must be an integer, got 'x'"


class _GraphiteUnpickler(pickle.Unpickler):
    """graphite-web 1.1's restricted unpickler (graphite/util.py SafeUnpickler) as far as it goes
    without graphite: its allowlist, less graphite's own classes (TimeSeries, Tags, Interval,
    IntervalSet), which cannot be imported here and which tsstore's find bodies must not need.
    tests/compat/test_federation.py loads them with graphite-web's own RemoteFinder."""

    PICKLE_SAFE = {"copy_reg": {"_reconstructor"}, "builtins": {"object", "list", "set"}, "collections": {"deque"}}

    def __init__(self, file):
        super().__init__(file, encoding="utf8")

    def find_class(self, module, name):
        if name not in self.PICKLE_SAFE.get(module, ()):
            raise pickle.UnpicklingError(f"Attempting to unpickle unsafe class {module}.{name}")
        return super().find_class(module, name)


def _load(resp) -> list[dict]:
    if resp.headers["content-type"] == "application/x-msgpack":
        return msgpack.unpackb(resp.content, raw=False)
    assert resp.headers["content-type"] == "application/pickle"
    assert resp.content[:2] == b"\x80\x02"  # protocol 2: graphite-web on Python 2 reads it too
    return _GraphiteUnpickler(io.BytesIO(resp.content)).load()


@pytest.mark.parametrize("fmt", ["pickle", "msgpack"])
async def test_find_for_a_graphite_web_frontend(client, fmt):
    """What graphite-web's RemoteFinder sends (local=1, format, query, from, until) and reads:
    path and is_leaf for every node, and for a leaf its intervals, from now - the longest
    retention (600 s x 1000 here) to now."""
    ask = {"local": "1", "format": fmt, "from": str(BASE), "until": str(NOW)}
    branches = await client.get("/metrics/find/", params={**ask, "query": "servers.web01.*"})
    assert branches.status_code == 200 and branches.headers["cache-control"] == "no-cache"
    assert _load(branches) == [{"path": "servers.web01.cpu", "is_leaf": False}, {"path": "servers.web01.mem", "is_leaf": False}]
    before = int(time.time())
    leaves = _load(await client.get("/metrics/find/", params={**ask, "query": "servers.*.cpu.user"}))
    after = int(time.time())
    assert [(n["path"], n["is_leaf"]) for n in leaves] == [(p, True) for p in sorted(NAMES) if p.endswith(".cpu.user")]
    for node in leaves:
        [(start, end)] = node["intervals"]
        assert before <= end <= after and end - start == 600 * 1000
    # a range with no points keeps the leaf, as graphite-web's whisper finder does; -1 is "open"
    old = {**ask, "from": str(BASE - 10 * 86400), "until": "-1", "query": "servers.web01.mem.used"}
    assert [n["path"] for n in _load(await client.get("/metrics/find/", params=old))] == ["servers.web01.mem.used"]
    assert _load(await client.get("/metrics/find/", params={**ask, "query": "nothing.*"})) == []


async def test_find_for_a_frontend_lists_a_branch_that_is_also_a_leaf_twice(tmp_path):
    """servers.web01.cpu holding points and children: a branch and a leaf entry, as
    graphite-web's whisper finder yields the directory and the .wsp file."""
    c, store = await open_client(tmp_path, Settings())
    await store.create_series([SeriesMeta("servers.web01.cpu", (Rollup(10, 360),))])
    async with c:
        nodes = _load(await c.get("/metrics/find", params={"format": "pickle", "query": "servers.web01.c*"}))
    await store.close()
    assert [(n["path"], n["is_leaf"], len(n.get("intervals", []))) for n in nodes] == [
        ("servers.web01.cpu", False, 0), ("servers.web01.cpu", True, 1)]
    [(start, end)] = nodes[1]["intervals"]
    assert end - start == 3600


@pytest.mark.parametrize("params, message", [
    ({"local": "yes"}, "parameter 'local' must be an integer, got 'yes'"),
    ({"from": "yesterday-ish"}, "Invalid value 'yesterday-ish' for param from: "),
    ({"until": "1d"}, "Invalid value '1d' for param until: "),
    ({"now": "soon"}, "Invalid value 'soon' for param now: "),
    ({"from": str(NOW), "until": str(BASE)}, f"Invalid find range: param until ({BASE}) is before param from ({NOW})"),
    ({"format": "yaml"}, "Invalid value for 'format' parameter: 'yaml'; use treejson, completer, json, nodelist, pickle or msgpack"),
])
async def test_find_refuses_a_bad_parameter_naming_it(client, params, message):
    resp = await client.get("/metrics/find", params={"query": "servers.*", "format": "pickle", **params})
    assert resp.status_code == 400 and resp.text.startswith(message), resp.text


async def test_find_reads_from_until_as_at_times(client):
    """Relative times, `now` and `tz`, as graphite-web's find_view parses them, in every format;
    an empty one is now, as there."""
    for fmt in ("pickle", "treejson"):
        for times in ({"from": "-2h", "until": "now", "now": str(NOW), "tz": "Europe/Paris"}, {"from": "-1h", "until": ""}):
            resp = await client.get("/metrics/find", params={"query": "servers.*", "format": fmt, "local": "0", **times})
            assert resp.status_code == 200, resp.text


async def test_a_glob_of_too_many_alternatives_is_a_400_naming_the_limit(client):
    braces = "{a,b}" * 20  # 2^20 paths
    for path, params in (("/metrics/find", {"query": f"servers.{braces}"}),
                         ("/render", {"target": f"servers.{braces}.cpu", "format": "json"})):
        resp = await client.get(path, params=params)
        assert resp.status_code == 400 and "more than 10000 alternatives" in resp.text, (path, resp.text)
