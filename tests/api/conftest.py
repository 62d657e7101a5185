"""The `client` fixture: the HTTP API over a real embedded store (tests/api/store_data.py),
with its default settings (writes off); `writer`: the same with writes allowed by a bearer
token, which its requests send."""
import pytest

from tests.api.store_data import open_client
from tsstore.config import Settings

TOKEN = "test-write-token-0123456789"


@pytest.fixture
async def client(tmp_path):
    c, store = await open_client(tmp_path, Settings(max_series_per_render=3))
    async with c:
        yield c
    await store.close()


@pytest.fixture
def token_file(tmp_path):
    path = tmp_path / "write-token"
    path.write_text(TOKEN + "\n")  # as `openssl rand -hex 32 > file` writes it: with a newline
    return str(path)


@pytest.fixture
async def writer(tmp_path, token_file):
    c, store = await open_client(tmp_path, Settings(max_series_per_render=3, api_write_token_file=token_file),
                                 headers={"Authorization": f"Bearer {TOKEN}"})
    async with c:
        yield c
    await store.close()
