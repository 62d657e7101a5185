"""Who may use the API (tsstore.api.access): reads open, writes off unless configured, then
allowed by a bearer token or a client network; CORS for the listed origins on reads only."""
import pytest

from tests.api.conftest import TOKEN
from tests.api.store_data import BASE, NOW, open_client
from tsstore.api import access, events, functions, metrics, page, render, status, tags
from tsstore.config import Settings

TAGGED = "disk.used;dc=dc1;rack=a1"
# (method, path, request keywords): every write of the API, each as a client would send it
WRITES = [
    ("POST", "/events", {"json": {"what": "deploy", "tags": ["web"], "when": BASE + 60}}),
    ("POST", "/events/", {"json": {"what": "deploy", "tags": ["web"], "when": BASE + 60}}),
    ("POST", "/tags/tagSeries", {"data": {"path": TAGGED}}),
    ("POST", "/tags/tagMultiSeries", {"data": {"path": [TAGGED]}}),
    ("POST", "/tags/delSeries", {"data": {"path": TAGGED}}),
]
READS = [
    ("GET", "/render", {"params": {"target": "servers.web01.cpu.user", "format": "json"}}),
    ("POST", "/render", {"data": {"target": "servers.web01.cpu.user", "format": "json"}}),
    ("GET", "/metrics/find", {"params": {"query": "servers.*"}}),
    ("POST", "/metrics/find", {"data": {"query": "servers.*"}}),
    ("GET", "/metrics/expand", {"params": {"query": "servers.*"}}),
    ("GET", "/metrics/index.json", {}),
    ("GET", "/tags", {}),
    ("GET", "/tags/dc", {}),
    ("GET", "/tags/findSeries", {"params": {"expr": "name=disk.used"}}),
    ("POST", "/tags/findSeries", {"data": {"expr": "name=disk.used"}}),
    ("GET", "/tags/autoComplete/tags", {}),
    ("GET", "/tags/autoComplete/values", {"params": {"tag": "dc"}}),
    ("GET", "/events/get_data", {}),
    ("GET", "/events", {}),
    ("GET", "/functions", {}),
    ("GET", "/version", {}),
    ("GET", "/tsstore/status", {}),
]
ids = [f"{m} {p}" for m, p, _ in WRITES]


@pytest.fixture
async def api(tmp_path, token_file):
    """api(peer=..., headers=..., **settings): a client of an API with those settings."""
    opened = []

    async def make(peer="127.0.0.1", headers=None, **settings):
        if settings.pop("token", False):
            settings["api_write_token_file"] = token_file
        c, store = await open_client(tmp_path / f"store{len(opened)}", Settings(**settings), peer, headers)
        opened.append((c, store))
        return c

    yield make
    for c, store in opened:
        await c.aclose()
        await store.close()


async def _state(c) -> tuple:
    """What the writes change: the events, and the tagged series findSeries lists."""
    evs = (await c.get("/events/get_data", params={"from": BASE, "until": NOW})).json()
    found = (await c.get("/tags/findSeries", params={"expr": "name=disk.used"})).json()
    return [e["what"] for e in evs], found


@pytest.mark.parametrize("method, path, kw", READS, ids=[f"{m} {p}" for m, p, _ in READS])
async def test_reads_are_open_by_default_from_any_address(api, method, path, kw):
    c = await api(peer="203.0.113.7")
    resp = await c.request(method, path, **kw)
    assert resp.status_code == 200, resp.text


@pytest.mark.parametrize("method, path, kw", WRITES, ids=ids)
async def test_writes_are_off_by_default_naming_the_settings(api, method, path, kw):
    c = await api()  # even from loopback, even with a token nobody configured
    before = await _state(c)
    resp = await c.request(method, path, headers={"Authorization": f"Bearer {TOKEN}"}, **kw)
    assert resp.status_code == 403
    error = resp.json()["error"]
    assert "writes through the HTTP API are off" in error
    assert "api_write_token_file" in error and "api_write_networks" in error and "README" in error
    assert await _state(c) == before


@pytest.mark.parametrize("method, path, kw", WRITES, ids=ids)
async def test_a_token_allows_writes_only_when_it_is_sent_and_right(api, method, path, kw):
    c = await api(token=True, peer="203.0.113.7")
    before = await _state(c)
    missing = await c.request(method, path, **kw)
    assert missing.status_code == 401 and missing.headers["www-authenticate"].startswith("Bearer")
    assert "Authorization: Bearer <token>" in missing.json()["error"] and "api_write_token_file" in missing.json()["error"]
    wrong = await c.request(method, path, headers={"Authorization": f"Bearer {TOKEN}x"}, **kw)
    assert wrong.status_code == 401 and "does not match" in wrong.json()["error"]
    assert 'error="invalid_token"' in wrong.headers["www-authenticate"]
    basic = await c.request(method, path, headers={"Authorization": "Basic dXNlcjpwYXNz"}, **kw)
    assert basic.status_code == 401 and "must be 'Bearer <token>'" in basic.json()["error"]
    assert await _state(c) == before
    right = await c.request(method, path, headers={"Authorization": f"bearer {TOKEN}"}, **kw)  # scheme: any case
    assert right.status_code == 200, right.text


async def test_an_allowed_write_does_what_it_says(api):
    c = await api(token=True, headers={"Authorization": f"Bearer {TOKEN}"})
    assert (await c.post("/events", json={"what": "deploy", "when": BASE + 60})).status_code == 200
    assert (await c.post("/tags/delSeries", data={"path": TAGGED})).json() is True
    assert await _state(c) == (["deploy"], ["disk.used;dc=dc2;rack=b1"])


@pytest.mark.parametrize("peer", ["127.0.0.1", "127.3.2.1", "::ffff:127.0.0.1"])
async def test_a_listed_network_allows_writes_without_a_token(api, peer):
    c = await api(peer=peer, api_write_networks="127.0.0.0/8")
    for method, path, kw in WRITES:
        resp = await c.request(method, path, **kw)
        assert resp.status_code == 200, (path, resp.text)


@pytest.mark.parametrize("networks, peer", [("10.0.0.0/8", "127.0.0.1"), ("127.0.0.0/8, 10.1.0.0/16", "10.2.0.1"),
                                            (["192.0.2.0/24"], "::1")])
async def test_a_client_outside_the_networks_is_refused_by_name(api, networks, peer):
    c = await api(peer=peer, api_write_networks=networks)
    before = await _state(c)
    for method, path, kw in WRITES:
        resp = await c.request(method, path, **kw)
        assert resp.status_code == 403
        error = resp.json()["error"]
        assert f"client {peer} may not write: it is not in api_write_networks" in error
        assert "api_write_token_file" in error
    assert await _state(c) == before


async def test_token_or_network_when_both_are_set(api):
    settings = {"token": True, "api_write_networks": "127.0.0.0/8"}
    event = {"json": {"what": "deploy"}}
    inside = await api(peer="127.0.0.1", **settings)
    assert (await inside.post("/events", **event)).status_code == 200
    wrong = await inside.post("/events", headers={"Authorization": "Bearer not-the-token-at-all"}, **event)
    assert wrong.status_code == 401, "a wrong token is an error even from a listed network"
    outside = await api(peer="198.51.100.4", **settings)
    resp = await outside.post("/events", **event)
    assert resp.status_code == 401
    assert "client 198.51.100.4 is not in api_write_networks" in resp.json()["error"]
    assert (await outside.post("/events", headers={"Authorization": f"Bearer {TOKEN}"}, **event)).status_code == 200


@pytest.mark.parametrize("method, path, kw", WRITES, ids=ids)
async def test_a_write_from_a_web_page_is_refused_even_from_a_listed_network(api, method, path, kw):
    """A browser inside api_write_networks must not write for the page it shows (CSRF)."""
    c = await api(token=True, api_write_networks="127.0.0.0/8", api_cors_origins="https://grafana.example.com")
    before = await _state(c)
    for origin in ("https://evil.example", "https://grafana.example.com", "null"):
        resp = await c.request(method, path, headers={"Origin": origin, "Authorization": f"Bearer {TOKEN}"}, **kw)
        assert resp.status_code == 403 and "not accepted from web pages" in resp.json()["error"]
        assert "access-control-allow-origin" not in resp.headers
    assert await _state(c) == before


async def test_x_forwarded_for_is_read_only_from_trusted_proxies(api):
    event = {"json": {"what": "deploy"}}
    forged = {"X-Forwarded-For": "127.0.0.1"}
    direct = await api(peer="203.0.113.7", api_write_networks="127.0.0.0/8")
    resp = await direct.post("/events", headers=forged, **event)
    assert resp.status_code == 403 and "client 203.0.113.7 " in resp.json()["error"]
    proxied = await api(peer="10.0.0.2", api_write_networks="127.0.0.0/8", api_trusted_proxies="10.0.0.0/24")
    assert (await proxied.post("/events", headers=forged, **event)).status_code == 200
    # the client is the last address no trusted proxy added: a sender cannot prepend its way in
    resp = await proxied.post("/events", headers={"X-Forwarded-For": "127.0.0.1, 198.51.100.9, 10.0.0.3"}, **event)
    assert resp.status_code == 403 and "client 198.51.100.9 " in resp.json()["error"]
    resp = await proxied.post("/events", headers={"X-Forwarded-For": "not-an-address"}, **event)
    assert resp.status_code == 403 and "address is unknown" in resp.json()["error"]


GRAFANA = "https://grafana.example.com"


def _preflight(method: str) -> dict:
    return {"Origin": GRAFANA, "Access-Control-Request-Method": method}


@pytest.mark.parametrize("method, path, kw", READS, ids=[f"{m} {p}" for m, p, _ in READS])
async def test_cors_on_reads_for_a_listed_origin_only(api, method, path, kw):
    c = await api(api_cors_origins=f"{GRAFANA},https://other.example")
    resp = await c.request(method, path, headers={"Origin": GRAFANA}, **kw)
    assert resp.status_code == 200 and resp.headers["access-control-allow-origin"] == GRAFANA
    assert "Origin" in resp.headers["vary"]
    resp = await c.request(method, path, headers={"Origin": "https://evil.example"}, **kw)
    assert resp.status_code == 200 and "access-control-allow-origin" not in resp.headers
    pre = await c.options(path, headers=_preflight(method))
    assert pre.status_code == 200 and pre.headers["access-control-allow-origin"] == GRAFANA
    assert method in pre.headers["access-control-allow-methods"]
    pre = await c.options(path, headers={**_preflight(method), "Origin": "https://evil.example"})
    assert pre.status_code == 403 and "access-control-allow-origin" not in pre.headers
    assert "api_cors_origins" in pre.text


async def test_no_cors_by_default(api):
    c = await api()
    resp = await c.get("/render", params={"target": "servers.web01.cpu.user", "format": "json"}, headers={"Origin": GRAFANA})
    assert resp.status_code == 200 and "access-control-allow-origin" not in resp.headers
    pre = await c.options("/render", headers=_preflight("GET"))
    assert pre.status_code == 403 and "list it in api_cors_origins" in pre.text


async def test_cors_star_allows_any_origin_to_read(api):
    c = await api(api_cors_origins=["*"])
    resp = await c.get("/metrics/find", params={"query": "*"}, headers={"Origin": "https://anywhere.example"})
    assert resp.headers["access-control-allow-origin"] == "*"


@pytest.mark.parametrize("path", ["/events", "/events/", "/tags/tagSeries", "/tags/tagMultiSeries", "/tags/delSeries",
                                  "/tags/delSeries/"])
async def test_a_write_gets_no_cors_and_its_preflight_is_refused(api, path):
    c = await api(token=True, api_cors_origins="*")
    pre = await c.options(path, headers={**_preflight("POST"), "Access-Control-Request-Headers": "authorization"})
    assert pre.status_code == 403 and "cross-origin writes are refused" in pre.text
    assert not [h for h in pre.headers if h.startswith("access-control-")]


async def test_the_read_and_the_write_on_one_path_are_told_apart(api):
    c = await api(api_cors_origins=GRAFANA)
    assert (await c.options("/events", headers=_preflight("GET"))).status_code == 200
    assert (await c.options("/events", headers=_preflight("POST"))).status_code == 403


def test_every_route_that_takes_a_body_is_a_known_read_or_a_write():
    """A new POST route must be declared a write (dependencies=[access.WRITE]) or be a read."""
    reads_by_post = {"/render", "/metrics/find", "/metrics", "/metrics/expand", "/tags/findSeries",
                     "/tags/autoComplete/tags", "/tags/autoComplete/values", "/functions"}  # /functions: 405
    writes, unknown = set(), set()
    for module in (status, metrics, functions, tags, events, render, page):
        for route in module.router.routes:
            if access.is_write_route(route):
                writes.add(route.path)
            elif set(route.methods) - {"GET", "HEAD"} and route.path.rstrip("/") not in reads_by_post:
                unknown.add(route.path)
    assert not unknown
    assert writes == {p for _, p, _ in WRITES}
