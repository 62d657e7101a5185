"""The data the API tests read: four dotted series and two tagged ones on a 60 s grid over the
last hour, value i + k at the k-th minute for the i-th series."""
import time

import httpx
import numpy as np

from tsstore.api.app import AppContext, create_app
from tsstore.config import Settings
from tsstore.model import Rollup, SeriesMeta, Slots, WriteRequest
from tsstore.store.embedded import EmbeddedStore
from tests.helpers.served_store import queried_as_served

NOW = int(time.time()) // 60 * 60
BASE = NOW - 3600
NAMES = ["servers.web01.cpu.user", "servers.web02.cpu.user", "servers.db01.cpu.user", "servers.web01.mem.used"]
TAGGED = ["disk.used;dc=dc1;rack=a1", "disk.used;dc=dc2;rack=b1"]


async def open_client(path, settings: Settings, peer: str = "127.0.0.1", headers: dict | None = None):
    """(client, store): an ASGI client of the API over an embedded store in `path` holding the
    data, its requests coming from address `peer` with `headers`."""
    store = EmbeddedStore(path)
    await store.open()
    metas = [SeriesMeta(n, (Rollup(60, 1440), Rollup(600, 1000))) for n in NAMES]
    metas += [SeriesMeta(n, (Rollup(60, 1440),)) for n in TAGGED]
    await store.create_series(metas)
    ts = BASE + np.arange(60, dtype=np.int64) * 60
    await store.write([WriteRequest(m.name, 0, 60, Slots(ts, np.arange(60, dtype=float).reshape(-1, 1) + i), 86400)
                       for i, m in enumerate(metas)])
    app = create_app(AppContext(await queried_as_served(store), settings))
    transport = httpx.ASGITransport(app, client=(peer, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://tsstore", headers=headers), store
