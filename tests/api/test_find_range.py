"""/metrics/find?from=: series with no point since `from` are left out (a branch when every
series under it is), in every format; find_range_filter=false gives graphite-web's answer."""
import numpy as np
import pytest

from tsstore.config import Settings
from tsstore.model import Rollup, SeriesMeta, Slots, WriteRequest
from tests.api.store_data import NOW, open_client

OLD = NOW - 20 * 3600  # the last point of servers.old01.*: 20 hours ago


async def _client(tmp_path, **settings):
    c, store = await open_client(tmp_path, Settings(**settings))
    names = ["servers.old01.cpu.user", "servers.web01.disk.free"]
    await store.create_series([SeriesMeta(n, (Rollup(60, 1440),)) for n in names])
    await store.write([WriteRequest("servers.old01.cpu.user", 0, 60, Slots(np.array([OLD]), np.ones((1, 1))), 86400),
                       WriteRequest("servers.web01.disk.free", 0, 60, Slots(np.array([OLD]), np.ones((1, 1))), 86400)])
    return c, store


@pytest.fixture
async def client(tmp_path):
    c, store = await _client(tmp_path)
    async with c:
        yield c
    await store.close()


async def _paths(client, **params) -> list[str]:
    resp = await client.get("/metrics/find", params={"format": "completer", **params})
    assert resp.status_code == 200, resp.text
    return sorted(m["path"] for m in resp.json()["metrics"])


async def test_hosts_with_no_point_since_from_are_left_out(client):
    assert await _paths(client, query="servers.*") == ["servers.db01.", "servers.old01.", "servers.web01.", "servers.web02."]
    assert await _paths(client, query="servers.*", **{"from": "-6h"}) == ["servers.db01.", "servers.web01.", "servers.web02."]
    # a range that reaches the old point keeps it
    assert "servers.old01." in await _paths(client, query="servers.*", **{"from": "-1d"})
    # leaves: web01 stays (cpu is current), its stale disk.free goes
    assert await _paths(client, query="servers.web01.*.*", **{"from": "-6h"}) == ["servers.web01.cpu.user",
                                                                                  "servers.web01.mem.used"]


async def test_treejson_and_leaves_only_follow_the_range(client):
    tree = (await client.get("/metrics/find", params={"query": "servers.*", "from": "-6h"})).json()
    assert [n["text"] for n in tree] == ["db01", "web01", "web02"]
    leaves = (await client.get("/metrics/find", params={"query": "servers.*.*.*", "from": "-6h", "leavesOnly": "1"})).json()
    assert sorted(n["text"] for n in leaves) == ["used", "user"]  # not web01.disk.free
    everything = (await client.get("/metrics/find", params={"query": "servers.*.*.*", "leavesOnly": "1"})).json()
    assert sorted(n["text"] for n in everything) == ["free", "used", "user"]


async def test_the_filter_can_be_turned_off(tmp_path):
    c, store = await _client(tmp_path, find_range_filter=False)
    async with c:
        assert "servers.old01." in await _paths(c, query="servers.*", **{"from": "-6h"})
    await store.close()
