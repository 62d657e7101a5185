"""jsonp: every endpoint that wraps its answer in a callback takes only a (dotted) JavaScript
identifier, so no request can make tsstore answer a script of its choosing."""
import pytest

from tests.api.store_data import BASE, NOW

# (path, parameters): every answer that jsonp wraps
WRAPPED = [
    ("/render", {"target": "servers.web01.cpu.user", "from": str(BASE), "until": str(BASE + 120), "format": "json"}),
    ("/render", {"target": "servers.web01.cpu.user", "from": str(BASE), "until": str(BASE + 120), "format": "dygraph"}),
    ("/render", {"target": "servers.web01.cpu.user", "from": str(BASE), "until": str(BASE + 120), "format": "rickshaw"}),
    ("/metrics/find", {"query": "servers.*"}),
    ("/metrics/find", {"query": "servers.*", "format": "completer"}),
    ("/metrics/expand", {"query": "servers.*"}),
    ("/metrics/index.json", {}),
    ("/events/get_data", {"from": str(BASE), "until": str(NOW)}),
]
GOOD = ["cb", "a.b_c$1", "$", "_", "jQuery3310_1700000000.callback", "A9"]
BAD = ["alert(1)", "a[0]", "a['b']", 'a"b', "a;b", "a b", "1cb", "a..b", "a.", ".a", "a-b", "</script>", "cb//",
       "\u00e9t\u00e9"]  # the last is a JavaScript identifier, but only ASCII ones are taken
ids = [f"{path}?{'&'.join(f'{k}={v}' for k, v in params.items() if k in ('format', 'query'))}" for path, params in WRAPPED]


@pytest.mark.parametrize("path, params", WRAPPED, ids=ids)
async def test_a_dotted_identifier_wraps_the_answer(client, path, params):
    plain = await client.get(path, params=params)
    assert plain.status_code == 200
    for callback in GOOD:
        resp = await client.get(path, params={**params, "jsonp": callback})
        assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/javascript")
        assert resp.text == f"{callback}({plain.text})"


@pytest.mark.parametrize("path, params", WRAPPED, ids=ids)
async def test_anything_else_is_a_400_naming_the_parameter(client, path, params):
    for callback in BAD:
        resp = await client.get(path, params={**params, "jsonp": callback})
        assert resp.status_code == 400, callback
        # the events endpoints answer {"error": ...}, render and find plain text (as graphite-web's views)
        is_json = resp.headers["content-type"].startswith("application/json")
        message = resp.json()["error"] if is_json else resp.text
        assert "parameter 'jsonp' must be a JavaScript function name" in message and repr(callback) in message
