"""The `client` fixture: the HTTP API over a real embedded store (tests/api/store_data.py)."""
import pytest

from tests.api.store_data import open_client
from tsstore.config import Settings


@pytest.fixture
async def client(tmp_path):
    c, store = await open_client(tmp_path, Settings(max_series_per_render=3))
    async with c:
        yield c
    await store.close()
