"""Requests run off the main event loop: a heavy render does not hold up /version (the
carbon listeners share that loop), a request past request_timeout is answered 503 naming the
setting, and a body over max_request_bytes 413."""
import asyncio
import contextlib

from tests.api.store_data import open_client
from tsstore.config import Settings

HEAVY = {"target": "timeStack(sinFunction('x'), '1h', 0, 2000)", "from": "-1d", "format": "json"}  # seconds of work


@contextlib.asynccontextmanager
async def _client(tmp_path, **settings):
    client, store = await open_client(tmp_path, Settings(**settings))
    try:
        yield client
    finally:
        await client.aclose()
        await store.close()


async def test_a_heavy_render_does_not_hold_up_the_main_loop(tmp_path):
    async with _client(tmp_path) as client:
        heavy = asyncio.create_task(client.get("/render", params=HEAVY))
        await asyncio.sleep(0.2)  # it is running on a request thread by now
        for _ in range(5):  # the main loop keeps turning: /version answers, sleeps end
            assert (await client.get("/version")).status_code == 200
            await asyncio.sleep(0.01)
        assert not heavy.done(), "the heavy render ended first: it did not load the request thread"
        resp = await heavy
        assert resp.status_code == 200 and len(resp.json()) == 2000


async def test_a_request_past_the_timeout_is_a_503_naming_the_setting(tmp_path):
    async with _client(tmp_path, request_timeout=0.3) as client:
        resp = await client.get("/render", params=HEAVY)
        assert resp.status_code == 503 and "request_timeout" in resp.text
        assert (await client.get("/render", params={"target": "constantLine(1)", "format": "json"})).status_code == 200


async def test_a_body_over_the_limit_is_a_413_naming_the_setting(tmp_path):
    async with _client(tmp_path, max_request_bytes=1000) as client:
        resp = await client.post("/render", data={"target": "x" * 2000})
        assert resp.status_code == 413 and "max_request_bytes" in resp.text
        ok = await client.post("/render", data={"target": "constantLine(1)", "format": "json"})
        assert ok.status_code == 200
