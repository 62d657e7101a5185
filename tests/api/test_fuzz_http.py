"""schemathesis over /openapi.json (every documented endpoint and parameter, generated
values): no request is answered with a 5xx. A small budget here; benchmarks/fuzz_http.py runs
the same against a live server with a large one."""
import asyncio
import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.api.store_data import open_client
from tsstore.api.openapi_doc import PATHS
from tsstore.config import Settings

EXAMPLES = int(os.environ.get("TSSTORE_FUZZ_EXAMPLES", "25"))


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory):
    loop = asyncio.new_event_loop()
    client, store = loop.run_until_complete(open_client(tmp_path_factory.mktemp("fuzz"), Settings()))
    app = client._transport.app
    yield schemathesis.openapi.from_asgi("/openapi.json", app)
    loop.run_until_complete(client.aclose())
    loop.run_until_complete(store.close())
    loop.close()


@pytest.mark.parametrize("path", sorted(PATHS))
def test_no_request_is_a_server_error(api_schema, path):
    operation = api_schema[path]["GET"]

    @given(operation.as_strategy())
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def call(case):
        response = case.call()
        assert response.status_code < 500, f"GET {path} {case.query}: {response.status_code} {response.text[:300]}"

    call()
