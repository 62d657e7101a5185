"""Patterns that would stall a server (a regex that backtracks, braces that multiply) are
answered 400 naming the problem, quickly, on every endpoint that takes them."""
import pytest

from tests.api.store_data import open_client
from tsstore.config import Settings
from tsstore.model import Rollup, SeriesMeta

LONG = "a" * 200
BACKTRACKS = "(?:a+){1,30}(?:a+){1,30}b"


@pytest.fixture
async def client(tmp_path):
    client, store = await open_client(tmp_path, Settings())
    await store.create_series([SeriesMeta(f"app.{LONG}", (Rollup(60, 1440),)),
                               SeriesMeta(f"disk.free;host={LONG}", (Rollup(60, 1440),))])
    yield client
    await client.aclose()
    await store.close()


@pytest.mark.parametrize("path, params", [
    ("/render", {"target": f"seriesByTag('host=~{BACKTRACKS}')", "format": "json"}),
    ("/render", {"target": f"grep(app.*, '{BACKTRACKS}')", "format": "json"}),
    ("/render", {"target": f"exclude(app.*, '{BACKTRACKS}')", "format": "json"}),
    ("/render", {"target": f"aliasSub(app.*, '{BACKTRACKS}', 'x')", "format": "json"}),
    ("/tags/findSeries", {"expr": f"host=~{BACKTRACKS}"}),
    ("/tags/autoComplete/values", {"tag": "host", "valuePrefix": "", "expr": f"host=~{BACKTRACKS}"}),
])
async def test_a_regex_that_backtracks_is_a_400_naming_it(client, path, params):
    resp = await client.get(path, params=params)
    assert resp.status_code == 400, resp.text
    assert "backtracks" in resp.text and BACKTRACKS[:10] in resp.text
