"""Fixtures of the index tests."""
import pytest

from tsstore.model import Rollup, SeriesMeta
from tsstore.store.embedded import EmbeddedStore


@pytest.fixture
async def store(tmp_path, request):
    """An embedded store holding the series named in the test module's SERIES."""
    s = EmbeddedStore(tmp_path)
    await s.open()
    await s.create_series([SeriesMeta(n, (Rollup(60, 100),)) for n in request.module.SERIES])
    yield s
    await s.close()
