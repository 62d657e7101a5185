"""Requests that used to answer HTTP 500 (or reset the connection) answer a 4xx naming the
problem: a string where a series list belongs, targets nested too deep, a reversed character
range in a glob, event ids that are not numbers or do not fit 64 bits (issue 14, item 3)."""
import pytest

from tests.api.store_data import BASE, NOW, open_client
from tsstore.config import Settings
from tsstore.query.grammar import MAX_NESTING


@pytest.mark.parametrize("target, message", [
    ("sumSeries('abc')", "sumSeries: seriesLists must be a series list (a path or a function call), got 'abc'"),
    ('movingAverage("x", 5)', "movingAverage: seriesList must be a series list (a path or a function call), got 'x'"),
    ("scale(3, 2)", "scale: seriesList must be a series list (a path or a function call), got 3"),
    ("divideSeries(servers.web01.cpu.user, 'x')", "divideSeries: divisorSeries must be a series list"),
    ("timeStack(seriesList='abc')", "timeStack: seriesList must be a series list"),
])
async def test_a_value_where_a_series_list_belongs_is_400_naming_function_and_parameter(client, target, message):
    resp = await client.get("/render", params={"target": target, "from": str(BASE), "until": str(NOW)})
    assert resp.status_code == 400, resp.text
    assert message in resp.text


async def test_optional_series_parameters_may_be_left_out_or_none(client):
    resp = await client.get("/render", params={"target": "transformNull(servers.web01.cpu.user, 0, None)",
                                               "from": str(BASE), "until": str(BASE + 120)})
    assert resp.status_code == 200, resp.text


def nested(levels: int, inner: str = "servers.web01.cpu.user") -> str:
    return "scale(" * levels + inner + ",1)" * levels


async def test_nesting_up_to_the_limit_is_evaluated(client):
    resp = await client.post("/render", data={"target": nested(MAX_NESTING), "from": str(BASE), "until": str(BASE + 120),
                                              "format": "json"})
    assert resp.status_code == 200, resp.text
    assert [v for v, _ in resp.json()[0]["datapoints"]] == [1.0, 2.0]


@pytest.mark.parametrize("levels", [MAX_NESTING + 1, 320, 10_000])
async def test_nesting_past_the_limit_is_400_naming_it(client, levels):
    resp = await client.post("/render", data={"target": nested(levels), "format": "json"})
    assert resp.status_code == 400, resp.text[:300]
    assert f"more than {MAX_NESTING} levels" in resp.text and "target nesting limit" in resp.text


async def test_lazy_functions_nested_to_the_limit_do_not_exhaust_the_stack(tmp_path):
    # a lazy function evaluates its argument itself: every level adds frames to one stack.
    # Each timeShift also reads its argument unshifted (as graphite-web does): the leaf is read
    # once per distinct range, 101 of them, hence a series budget above the fixture's 3.
    client, store = await open_client(tmp_path, Settings(max_series_per_render=1000))
    try:
        target = "timeShift(" * MAX_NESTING + "servers.web01.cpu.user" + ",'-1s')" * MAX_NESTING
        resp = await client.post("/render", data={"target": target, "from": str(BASE + 100), "until": str(BASE + 220),
                                                  "format": "json"})
        assert resp.status_code == 200, resp.text[:300]
        assert [v for v, _ in resp.json()[0]["datapoints"]] == [1.0, 2.0]
    finally:
        await client.aclose()
        await store.close()


async def test_pipes_count_as_nesting(client):
    chain = "servers.web01.cpu.user" + "|scale(1)" * (MAX_NESTING + 1)
    resp = await client.post("/render", data={"target": chain})
    assert resp.status_code == 400 and "target nesting limit" in resp.text
    ok = "servers.web01.cpu.user" + "|scale(1)" * MAX_NESTING
    assert (await client.post("/render", data={"target": ok, "from": str(BASE), "until": str(BASE + 60)})).status_code == 200


@pytest.mark.parametrize("query", ["a[z-a]", "servers.web[9-0]1", "servers.*.cpu[b-a]"])
async def test_a_reversed_character_range_in_a_find_is_400(client, query):
    resp = await client.get("/metrics/find", params={"query": query})
    assert resp.status_code == 400, resp.text
    assert "reversed character range" in resp.text and query.split(".")[-1] in resp.text


async def test_a_reversed_character_range_in_a_render_target_is_400(client):
    resp = await client.get("/render", params={"target": "sumSeries(servers.web[z-a].cpu.user)"})
    assert resp.status_code == 400, resp.text
    assert "reversed character range z-a" in resp.text and "servers.web[z-a].cpu.user" in resp.text
    resp = await client.get("/metrics/expand", params={"query": "servers.web[z-a]"})
    assert resp.status_code == 400 and "reversed character range" in resp.text


@pytest.mark.parametrize("path", ["/events/%C2%B9", "/events/99999999999999999999999", "/events/9223372036854775808",
                                  "/events/%EF%BC%91"])
async def test_event_ids_that_cannot_exist_are_404(client, path):
    resp = await client.get(path)
    assert resp.status_code == 404, resp.text
    assert "event id" in resp.json()["error"]


async def test_the_largest_64_bit_event_id_is_looked_up(client):
    resp = await client.get("/events/9223372036854775807")
    assert resp.status_code == 404 and resp.json()["error"] == "Event matching query does not exist"
