"""/version, which old Grafana versions read."""


async def test_version_for_old_grafana(client):
    resp = await client.get("/version")
    assert resp.text == "1.1.10\n"
