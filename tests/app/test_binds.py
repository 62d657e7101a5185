"""--carbon-bind and --http-bind: the carbon listeners and the HTTP API on their own
addresses (loopback has all of 127/8), in one process and with --http-workers; the port
checks look where each will bind; the write networks see the TCP peer, not X-Forwarded-For."""
import socket
import time

import httpx
import pytest

from tests.helpers.servers import ServerProcess, free_port, pickle_frame, send_tcp, send_udp, wait_for
from tsstore.config import Settings
from tsstore.server import Server

CARBON, HTTP = "127.0.0.2", "127.0.0.3"


def _settings(tmp_path, **overrides) -> Settings:
    base = dict(data_dir=str(tmp_path / "data"), carbon_bind=CARBON, http_bind=HTTP, carbon_port=free_port(),
                pickle_port=free_port(), http_port=free_port(), flush_interval=0.2, rollup_provisional_interval=0.2,
                self_metrics_interval=0)
    return Settings(**{**base, **overrides})


def _refused(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=2).close()
    except ConnectionRefusedError:
        return True
    return False


@pytest.fixture
async def server(tmp_path):
    srv = Server(_settings(tmp_path, api_write_networks="127.0.0.2/32"))
    await srv.start()
    yield srv
    await srv.stop()


async def test_carbon_and_http_listen_on_their_own_addresses(server):
    carbon, pickle_port, http = server.ports["carbon"], server.ports["pickle"], server.ports["http"]
    for host in ("127.0.0.1", HTTP):
        assert _refused(host, carbon) and _refused(host, pickle_port), f"carbon must not listen on {host}"
    for host in ("127.0.0.1", CARBON):
        assert _refused(host, http), f"the HTTP API must not listen on {host}"
    now = int(time.time()) // 10 * 10
    send_tcp(carbon, f"bind.tcp 1 {now - 20}\n".encode(), host=CARBON)
    send_udp(carbon, f"bind.udp 2 {now - 20}\n".encode(), host=CARBON)
    send_tcp(pickle_port, pickle_frame([("bind.pickle", (now - 20, 3.0))]), host=CARBON)
    async with httpx.AsyncClient(base_url=f"http://{HTTP}:{http}") as client:
        async def stored():
            resp = await client.get("/render", params={"target": "bind.*", "from": now - 60, "format": "json"})
            got = {s["target"]: [v for v, _ in s["datapoints"] if v is not None] for s in resp.json()}
            return got if len(got) == 3 else None

        assert await wait_for(stored, what="the three points") == {"bind.pickle": [3.0], "bind.tcp": [1.0], "bind.udp": [2.0]}


async def test_the_write_networks_see_the_tcp_peer_not_x_forwarded_for(server):
    """uvicorn would take X-Forwarded-For from a loopback peer by default: tsstore turns that off."""
    async with httpx.AsyncClient(base_url=f"http://{HTTP}:{server.ports['http']}") as client:
        resp = await client.post("/events", json={"what": "forged"}, headers={"X-Forwarded-For": "127.0.0.2"})
        assert resp.status_code == 403
        assert "client 127.0.0.1 may not write: it is not in api_write_networks (127.0.0.2/32)" in resp.json()["error"]
        assert (await client.get("/events/get_data")).json() == []


async def test_a_real_server_allows_writes_from_its_listed_network(tmp_path):
    srv = Server(_settings(tmp_path, api_write_networks="127.0.0.0/8", api_cors_origins="https://grafana.example.com"))
    await srv.start()
    try:
        async with httpx.AsyncClient(base_url=f"http://{HTTP}:{srv.ports['http']}") as client:
            assert (await client.post("/events", json={"what": "deploy"})).status_code == 200
            assert [e["what"] for e in (await client.get("/events/get_data")).json()] == ["deploy"]
            pre = await client.options("/events", headers={"Origin": "https://grafana.example.com",
                                                           "Access-Control-Request-Method": "POST"})
            assert pre.status_code == 403 and "access-control-allow-origin" not in pre.headers
            read = await client.get("/events/get_data", headers={"Origin": "https://grafana.example.com"})
            assert read.headers["access-control-allow-origin"] == "https://grafana.example.com"
    finally:
        await srv.stop()


async def test_each_port_is_checked_on_its_own_address(tmp_path):
    settings = _settings(tmp_path)
    with socket.socket() as taken:  # the carbon port, taken on the HTTP address only: carbon still starts
        taken.bind((HTTP, settings.carbon_port))
        taken.listen()
        srv = Server(settings)
        await srv.start()
        assert srv.ports["carbon"] == settings.carbon_port
        await srv.stop()
    settings = _settings(tmp_path / "second")
    with socket.socket() as taken:
        taken.bind((HTTP, settings.http_port))
        taken.listen()
        with pytest.raises(OSError, match=f"HTTP port {settings.http_port} on {HTTP} \\(--http-port\\): "
                                          "Address already in use"):
            await Server(settings).start()
    assert not (tmp_path / "second").exists()


def test_http_workers_serve_on_the_http_address(tmp_path):
    srv = ServerProcess(tmp_path / "data", "--carbon-bind", CARBON, "--http-bind", HTTP, "--http-workers", "2",
                        http_host=HTTP).start()
    try:
        pids = {httpx.get(srv.url + "/tsstore/status", headers={"Connection": "close"}).json()["pid"] for _ in range(60)}
        assert srv.proc.pid in pids and len(pids) == 2, pids
        assert _refused("127.0.0.1", srv.http_port) and _refused(CARBON, srv.http_port)
        assert _refused("127.0.0.1", srv.carbon_port) and not _refused(CARBON, srv.carbon_port)
    finally:
        assert srv.stop() == 0
