"""The application as a browser meets it (CORS)."""


async def test_cors_for_browsers(client):
    resp = await client.options("/render", headers={"Origin": "http://grafana.example", "Access-Control-Request-Method": "POST"})
    assert resp.headers.get("access-control-allow-origin") in ("*", "http://grafana.example")
