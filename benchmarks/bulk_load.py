"""Series straight into an embedded store (Store.create_series in batches), for the
benchmarks of what is built over many series (find, tags): ingesting ten million series over
carbon takes far longer and measures ingest, not the index. Also: serving such a store with
default settings until an index of it is built."""
from __future__ import annotations

import asyncio
import contextlib
import re
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Callable

import httpx


def load(data_dir: Path, count: int, names_of: Callable[[int], list[str]], batch: int = 250_000) -> int:
    """Create names_of(count) in the store at data_dir unless it holds that many series
    already; how many it holds. Prints progress."""
    return asyncio.run(_load(data_dir, count, names_of, batch))


async def _load(data_dir: Path, count: int, names_of, batch: int) -> int:
    from tsstore.model import Rollup, SeriesMeta
    from tsstore.store.embedded import EmbeddedStore

    store = EmbeddedStore(data_dir)
    await store.open()
    try:
        with sqlite3.connect(store.path) as conn:
            held = conn.execute("SELECT count(*) FROM series").fetchone()[0]
        if held >= count:
            print(f"{data_dir} holds {held:,} series already")
            return held
        names = names_of(count)
        rollups = (Rollup(10, 8640), Rollup(60, 10080))
        t0 = time.monotonic()
        for i in range(held, count, batch):
            await store.create_series([SeriesMeta(n, rollups) for n in names[i:i + batch]])
            done = min(i + batch, count)
            print(f"  created {done:,}/{count:,} series ({(done - held) / (time.monotonic() - t0):,.0f}/s)", flush=True)
        return count
    finally:
        await store.close()


def write_last_points(data_dir: Path, names: list[str], stale: Callable[[str], bool], batch: int = 100_000) -> None:
    """One point per series through the store's write path (which records the last writes):
    20 hours ago for the names `stale` picks, a minute ago for the others. Prints progress."""
    asyncio.run(_write_last_points(data_dir, names, stale, batch))


async def _write_last_points(data_dir: Path, names: list[str], stale, batch: int) -> None:
    import numpy as np

    from tsstore.model import WriteBatch
    from tsstore.store.embedded import EmbeddedStore

    store = EmbeddedStore(data_dir)
    await store.open()
    now = int(time.time()) // 10 * 10
    t0 = time.monotonic()
    try:
        for i in range(0, len(names), batch):
            chunk = names[i:i + batch]
            keys = await store.series_keys(chunk)
            order = np.argsort(keys)  # blocks in key order, as a flush writes them
            ts = np.array([now - 72000 if stale(n) else now - 60 for n in chunk], np.int64)[order]
            n = len(chunk)
            await store.write_batch(WriteBatch(0, keys[order], np.full(n, 10, np.int64), np.full(n, 86400, np.int64),
                                               np.arange(n + 1, dtype=np.int64), ts, np.ones((n, 1)),
                                               lambda g, c=chunk, o=order: c[o[g]]))
            done = min(i + batch, len(names))
            print(f"  wrote a last point of {done:,}/{len(names):,} series ({done / (time.monotonic() - t0):,.0f}/s)",
                  flush=True)
    finally:
        await store.close()


def wait_until_built(url: str, index: str, timeout: float = 600) -> dict:
    """/tsstore/status's entry for `index` (path_index, tag_index) once it is ready."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = httpx.get(url + "/tsstore/status", timeout=10).json()[index]
        if status["ready"]:
            return status
        time.sleep(0.5)
    raise SystemExit(f"{index} was not ready after {timeout} s")


@contextlib.contextmanager
def served(data_dir: Path | None, count: int, names_of: Callable[[int], list[str]], index: str, prefix: str):
    """`tsstore serve` with default settings on a store holding names_of(count) (in data_dir,
    kept; else a temporary directory), once its `index` (path_index, tag_index) is built:
    (the server, how many series the store holds, the index's status, the server's log line
    starting with `prefix` for this run, e.g. "path index ready")."""
    from tests.helpers.servers import ServerProcess

    tmp = None if data_dir else tempfile.TemporaryDirectory(prefix="bench-")
    data_dir = data_dir or Path(tmp.name) / "data"
    held = load(data_dir, count, names_of)
    srv = ServerProcess(data_dir).start(timeout=120)
    try:
        status = wait_until_built(srv.url, index)
        line = (re.findall(re.escape(prefix) + ".*", srv.log()) or [""])[-1]  # the log is appended to across runs
        yield srv, held, status, line
    finally:
        srv.proc.terminate()
        srv.proc.wait(60)
        if tmp is not None:
            tmp.cleanup()
