"""`python -m tsstore.store.cassandra.writer_child`: the Cassandra writer process of an ingest
process (tsstore.store.cassandra.writer_process tells why and what it is asked). It runs a
CassandraStore of its own on the parent's configuration and writer id, serves the parent's
requests concurrently on the socket it inherited, and exits when the parent closes it (after
finishing what it has) or dies."""
from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import socket
import sys

from tsstore import gc_tuning
from tsstore.child_process import die_with_parent
from tsstore.local_socket import frame, read_frame
from tsstore.store.cassandra.options import CassandraConfig
from tsstore.store.cassandra.store import CassandraStore
from tsstore.store.cassandra.writer_process import ENV, batch_of, metas_of

log = logging.getLogger(__name__)


async def _serve(settings: dict) -> None:
    sock = socket.socket(fileno=settings["fd"])
    reader, stream = await asyncio.open_unix_connection(sock=sock)
    store = CassandraStore(CassandraConfig(**settings["config"]))
    try:
        await store.open()
    except Exception as exc:  # noqa: BLE001 - told to the parent, which retries
        stream.write(frame({"error": f"{type(exc).__name__}: {exc}"}))
        await stream.drain()
        return
    if settings["writer"] is not None:
        store.set_writer(settings["writer"])
    shared: list = []
    store.on_shared_writes(shared.extend)
    stream.write(frame({"ready": True}))

    async def handle(request: dict) -> None:
        try:
            if request["op"] == "create":
                await store.create_now(metas_of(request["metas"]))
            elif request["op"] == "write":
                await store.write_batch(batch_of(request["batch"]))
            elif request["op"] == "forget_branches":
                store.forget_branches()
            else:
                raise ValueError(f"unknown request {request['op']!r}")
            reply = frame({"id": request["id"], "shared": [[str(n), int(a), int(b)] for n, a, b in shared]})
            shared.clear()
        except Exception as exc:  # noqa: BLE001 - the parent retries
            log.exception("request %s failed", request.get("op"))
            reply = frame({"id": request.get("id"), "error": f"{type(exc).__name__}: {exc}"})
        stream.write(reply)

    running: set[asyncio.Task] = set()
    try:
        while True:
            try:
                request = await read_frame(reader)
            except (asyncio.IncompleteReadError, ConnectionError):
                break  # the parent closed: finish what is running
            task = asyncio.ensure_future(handle(request))
            running.add(task)
            task.add_done_callback(running.discard)
        await asyncio.gather(*running, return_exceptions=True)
        await stream.drain()
    finally:
        await store.close()


def main() -> int:
    # A Ctrl-C or a service manager's SIGTERM reaches the whole process group: the parent then
    # writes its last flush through this process, so only the parent ends it (closing the
    # socket), or its death does.
    die_with_parent(signal.SIGKILL)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    settings = json.loads(os.environ.pop(ENV))
    logging.basicConfig(level=settings["log_level"], format="%(asctime)s %(levelname)s %(name)s[writer]: %(message)s")
    gc_tuning.tune_for_server(gc_tuning.CASSANDRA_YOUNG_THRESHOLD)
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(_serve(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
