"""`tsstore import-whisper`: every .wsp file under the given roots into a tsstore store.

Where the points go: with --store URL (Cassandra), straight into the store, which running
servers share. With --data-dir: if no server holds the data dir, this process takes its lock
and writes the embedded store itself; if one does, the points go through that server's write
channel (tsstore.write_channel), so it finds and renders them at once and stays the only
writer of its data dir.

Files are parsed by --workers processes and written in batches; a file is recorded in the
done file (size, mtime, path) once the store has acknowledged its slots, so an interrupted
import resumes where it stopped (--force imports everything again). A bad file is named,
counted and skipped; the exit status is 1 when any file failed.
"""
from __future__ import annotations

import asyncio
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from tsstore.model import SeriesMeta, WriteRequest
from tsstore.store.errors import StoreUnavailable
from tsstore.whisper import convert, reader
from tsstore.whisper.progress import Progress
from tsstore.write_channel import ChannelStoreFailed

BATCH_POINTS = 1_000_000  # points written per store call (a batch of files)
BATCH_FILES = 500
SHOWN_FAILURES = 20  # failures listed in the summary; all are logged as they happen
STORE_PATIENCE = 300.0  # seconds a failing store is retried before the import stops


@dataclass
class ImportOptions:
    paths: list[str]
    data_dir: str | None = None
    store_url: str | None = None
    schemas_file: str | None = None
    aggregation_file: str | None = None
    workers: int = 0  # 0: one per core
    force: bool = False
    prefix: str = ""
    done_file: str | None = None
    progress_every: int = 1000


@dataclass
class ImportResult:
    files: int = 0  # imported in this run
    skipped: int = 0  # already imported before
    points: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0
    target: str = ""


@dataclass
class _Parsed:
    path: str
    name: str
    key: str  # the done-file line
    wsp: reader.WhisperFile | None = None
    error: str | None = None


def _done_key(path: str) -> str:
    st = os.stat(path)
    return f"{st.st_size} {st.st_mtime_ns} {os.path.abspath(path)}"


def _parse_one(args: tuple[str, str, str, int]) -> _Parsed:
    """Runs in a worker process: read and check one file (names were checked by the caller)."""
    path, name, key, now = args
    try:
        return _Parsed(path, name, key, wsp=reader.read(path, now))
    except (reader.WhisperFileError, OSError) as exc:
        return _Parsed(path, name, key, error=str(exc))


def find_files(roots: list[str]) -> list[tuple[str, str]]:
    """(root, path) of every .wsp file under the roots, sorted by path within each root."""
    out = []
    for root in roots:
        if not os.path.isdir(root):
            raise FileNotFoundError(f"{root}: not a directory (give the whisper root, e.g. /var/lib/graphite/whisper)")
        found = []
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()
            found += [os.path.join(dirpath, f) for f in filenames if f.endswith(".wsp")]
        out += [(root, p) for p in sorted(found)]
    return out


class _StoreTarget:
    """Writes into a store this process opened (it holds the data dir, or the store is shared)."""

    def __init__(self, store, lock=None):
        self.store, self.lock = store, lock

    async def open(self):
        await self.store.open()

    async def get_series(self, names):
        return await self.store.get_series(names)

    async def create_and_write(self, metas, requests):
        await self.store.create_series(metas)
        await self.store.write(requests)

    async def close(self):
        await self.store.close()
        if self.lock is not None:
            self.lock.release()


def _open_target(opts: ImportOptions):
    """(target, description) for where the points go."""
    if opts.store_url:
        from tsstore.store.cassandra.store import CassandraStore

        return _StoreTarget(CassandraStore(opts.store_url)), opts.store_url
    from tsstore.data_dir import DataDirInUse, DataDirLock

    try:
        lock = DataDirLock(opts.data_dir).acquire()
    except DataDirInUse:
        from tsstore.write_channel import WriteChannelClient

        return WriteChannelClient(opts.data_dir), f"the running server of {opts.data_dir}"
    from tsstore.store.embedded import EmbeddedStore

    return _StoreTarget(EmbeddedStore(opts.data_dir), lock), f"the embedded store in {opts.data_dir}"


def _default_done_file(opts: ImportOptions) -> Path:
    if opts.done_file:
        return Path(opts.done_file)
    if opts.data_dir:
        return Path(opts.data_dir) / "import-whisper.done"
    from tsstore.store.cassandra.options import parse_cassandra_url

    return Path(f"import-whisper-{parse_cassandra_url(opts.store_url).keyspace}.done")


class _MetaSource:
    """The series a file is created as: its header, or the conf files where given."""

    def __init__(self, opts: ImportOptions):
        self.schemas, self.aggregation = bool(opts.schemas_file), bool(opts.aggregation_file)
        self.resolver = None
        if self.schemas or self.aggregation:
            from tsstore.ingest.schemas import SchemaResolver, load_aggregation_text, load_schemas_text

            self.resolver = SchemaResolver(load_schemas_text(opts.schemas_file), load_aggregation_text(opts.aggregation_file))

    def meta(self, name: str, wsp: reader.WhisperFile) -> SeriesMeta:
        header = convert.meta_from_header(name, wsp)
        if self.resolver is None:
            return header
        conf = self.resolver.meta_for(name)
        return SeriesMeta(name, conf.rollups if self.schemas else header.rollups,
                          conf.aggregation if self.aggregation else header.aggregation,
                          conf.xff if self.aggregation else header.xff)


async def run_import(opts: ImportOptions, stream=None) -> ImportResult:
    stream = stream or sys.stderr
    t0 = time.monotonic()
    result = ImportResult()
    files = find_files(opts.paths)
    done_path = _default_done_file(opts)
    done = set()
    if done_path.exists() and not opts.force:
        done = set(done_path.read_text(errors="replace").splitlines())
    todo = []
    for root, path in files:
        try:
            key = _done_key(path)
            name = convert.metric_name(root, path, opts.prefix)
        except (OSError, convert.NotAMetricPath) as exc:
            result.failed.append((path, str(exc)))
            print(f"import-whisper: skipped {path}: {exc}", file=stream, flush=True)
            continue
        if key in done:
            result.skipped += 1
        else:
            todo.append((path, name, key))
    target, result.target = _open_target(opts)
    print(f"import-whisper: {len(files)} files under {', '.join(opts.paths)}; {result.skipped} already imported "
          f"({done_path}); importing {len(todo)} into {result.target}", file=stream, flush=True)
    metas = _MetaSource(opts)
    progress = Progress(len(todo), opts.progress_every, stream)
    progress.advance(0, 0, len(result.failed))
    now = int(time.time())
    await target.open()
    try:
        with open(done_path, "a") if todo else open(os.devnull, "w") as done_log:
            batch: list[_Parsed] = []
            batch_points = 0
            async for parsed in _parsed_files(todo, now, opts.workers):
                if parsed.error is not None:
                    result.failed.append((parsed.path, parsed.error))
                    print(f"import-whisper: skipped {parsed.path}: {parsed.error}", file=stream, flush=True)
                    progress.advance(1, 0, 1)
                    continue
                batch.append(parsed)
                batch_points += parsed.wsp.point_count
                if batch_points >= BATCH_POINTS or len(batch) >= BATCH_FILES:
                    await _write_batch(target, batch, metas, now, done_log, result, progress)
                    batch, batch_points = [], 0
            if batch:
                await _write_batch(target, batch, metas, now, done_log, result, progress)
    finally:
        progress.close()
        await target.close()
    result.seconds = time.monotonic() - t0
    rate = result.points / result.seconds if result.seconds else 0.0
    print(f"import-whisper: done in {result.seconds:.1f}s: {result.files} files, {result.points:,} points "
          f"({result.files / result.seconds if result.seconds else 0:,.0f} files/s, {rate:,.0f} points/s), "
          f"{result.skipped} already imported, {len(result.failed)} failed", file=stream, flush=True)
    for path, why in result.failed[:SHOWN_FAILURES]:
        print(f"  failed: {path}: {why}", file=stream)
    if len(result.failed) > SHOWN_FAILURES:
        print(f"  ... and {len(result.failed) - SHOWN_FAILURES} more (each was logged above)", file=stream)
    return result


async def _parsed_files(todo, now: int, workers: int):
    """Parsed files in order, read by a pool of processes (a window of them in flight)."""
    workers = workers or os.cpu_count() or 1
    jobs = [(path, name, key, now) for path, name, key in todo]
    if workers == 1:
        for job in jobs:
            yield _parse_one(job)
        return
    loop = asyncio.get_running_loop()
    with ProcessPoolExecutor(workers) as pool:
        window = workers * 8
        pending = [loop.run_in_executor(pool, _parse_one, job) for job in jobs[:window]]
        next_job = len(pending)
        while pending:
            parsed = await pending.pop(0)
            if next_job < len(jobs):
                pending.append(loop.run_in_executor(pool, _parse_one, jobs[next_job]))
                next_job += 1
            yield parsed


async def _retried(what: str, call, stream):
    """`await call()`, tried again while the store fails (overloaded, restarting) for up to
    STORE_PATIENCE seconds in a row; then the failure ends the import (it resumes when run again)."""
    delay, deadline = 0.5, time.monotonic() + STORE_PATIENCE
    while True:
        try:
            return await call()
        except (StoreUnavailable, ChannelStoreFailed) as exc:
            if time.monotonic() + delay > deadline:
                raise StoreUnavailable(f"{what}: the store kept failing for {STORE_PATIENCE:.0f}s ({exc}); "
                                       "run the command again to go on where it stopped") from None
            print(f"import-whisper: {what} failed ({exc}); retrying in {delay:.1f}s", file=stream, flush=True)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10.0)


async def _write_batch(target, batch: list[_Parsed], metas: _MetaSource, now: int, done_log, result: ImportResult,
                       progress: Progress) -> None:
    """Create the batch's new series, write every level of every file, then record the files."""
    stream = progress.stream
    names = [p.name for p in batch]
    # a series that exists keeps its rollups
    existing = await _retried("reading series", lambda: target.get_series(names), stream)
    new: dict[str, SeriesMeta] = {}
    requests: list[WriteRequest] = []
    points = 0
    for p in batch:
        meta = existing.get(p.name) or new.get(p.name) or metas.meta(p.name, p.wsp)
        if p.name not in existing:
            new[p.name] = meta
        reqs = convert.level_requests(meta, p.wsp, now)
        requests += reqs
        points += sum(len(r.slots) for r in reqs)
    await _retried("writing", lambda: target.create_and_write(list(new.values()), requests), stream)
    done_log.write("".join(p.key + "\n" for p in batch))
    done_log.flush()
    os.fsync(done_log.fileno())
    result.files += len(batch)
    result.points += points
    progress.advance(len(batch), points)
