"""`tsstore import-whisper` throughput: files/s and points/s importing whisper files of the
default schema (10s:6h,1m:7d,10m:5y), with the default settings (one worker per core).

    python -m benchmarks.bench_import [--files 10000] [--history-days 30] [--cassandra host:port]

Each file holds what a carbon-cache box running for --history-days has: the finest archive
full (6 h of 10 s points), the 1 min archive full (7 days), the 10 min archive for the
history days; files are full-size and sparse, as whisper-create --sparse makes them. They are
written here with numpy in whisper's layout (checked against whisper's own fetch on a sample),
since making 10k files with whisper.update_many would take longer than importing them.

Rows: into a data dir no server holds (the importer writes the embedded store itself); into a
data dir a running `tsstore serve` holds (through its write channel); into Cassandra when
--cassandra is given; and the alternative a user has without the importer, replaying the
same points over the carbon plaintext protocol into a running tsstore (a sample of files:
it keeps only what the finest retention holds as full slots, see the README).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ARCHIVES = [(10, 2160), (60, 10080), (600, 262800)]
POINT = np.dtype([("ts", ">u4"), ("value", ">f8")])


def write_file(path: Path, now: int, history_days: int, seed: int) -> int:
    """A sparse whisper file of ARCHIVES, average, xff 0.5; returns the points it holds."""
    header = np.array([(1, ARCHIVES[-1][0] * ARCHIVES[-1][1], 0.5, len(ARCHIVES))],
                      dtype=[("agg", ">u4"), ("maxret", ">u4"), ("xff", ">f4"), ("count", ">u4")]).tobytes()
    offset = len(header) + 12 * len(ARCHIVES)
    infos, rings = b"", []
    rng = np.random.default_rng(seed)
    total = 0
    for step, points in ARCHIVES:
        infos += np.array([(offset, step, points)], dtype=">u4, >u4, >u4").tobytes()
        keep = points if step < 600 else min(points, history_days * 86400 // step)
        newest = now // step * step
        ts = newest - np.arange(keep, dtype=np.int64)[::-1] * step
        ring = np.zeros(points, POINT)
        base = ts[0]  # the oldest point sits at position 0, the rest follow it (no wrap yet)
        ring["ts"][(ts - base) // step % points] = ts
        ring["value"][(ts - base) // step % points] = np.round(50 + np.cumsum(rng.uniform(-1, 1, keep)), 2)
        rings.append((offset, ring[:keep]))
        offset += points * POINT.itemsize
        total += keep
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        f.write(header + infos)
        for at, data in rings:
            f.seek(at)
            f.write(data.tobytes())
        f.truncate(offset)  # the rest of each ring stays a hole, as in a sparse whisper file
    return total


def make_tree(root: Path, files: int, history_days: int, now: int) -> int:
    points = 0
    for i in range(files):
        points += write_file(root / "bench" / f"host{i // 100:03d}" / f"metric{i % 100:02d}.wsp", now, history_days, i)
    return points


def check_against_whisper(path: Path, now: int) -> None:
    """The generated layout reads back through whisper's own fetch (system python's whisper)."""
    code = ("import json, sys, whisper; p, now = sys.argv[1], int(sys.argv[2]); out = []\n"
            "for step, points in %r:\n"
            "    (s, e, st), v = whisper.fetch(p, now - step * points, now, now=now, archiveToSelect=step)\n"
            "    out.append(sum(x is not None for x in v))\n"
            "print(json.dumps(out))" % ARCHIVES)
    got = json.loads(subprocess.run([sys.executable, "-c", code, str(path), str(now)], capture_output=True, text=True,
                                    check=True).stdout)
    from tsstore.whisper.reader import read

    mine = [len(a.ts) for a in read(path, now).archives]
    assert got == mine, f"generated file {path}: whisper sees {got} points per archive, tsstore {mine}"


def run_cli(args: list[str]) -> tuple[float, str]:
    t0 = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "tsstore.cli", "import-whisper", *args], capture_output=True, text=True)
    elapsed = time.monotonic() - t0
    if proc.returncode:
        raise RuntimeError(f"import-whisper failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return elapsed, proc.stderr.strip().splitlines()[-1]


def drop_keyspace(address: str, keyspace: str) -> None:
    """The benchmark's keyspace holds 165M points: do not leave them in the user's Cassandra."""
    from cassandra.cluster import Cluster

    host, port = address.rsplit(":", 1)
    cluster = Cluster([host], port=int(port), protocol_version=5)
    try:
        cluster.connect().execute(f"DROP KEYSPACE IF EXISTS {keyspace}", timeout=300)
    finally:
        cluster.shutdown()


def imported_points(summary: str) -> int:
    return int(re.search(r"files, ([\d,]+) points", summary).group(1).replace(",", ""))


def start_server(data_dir: Path, http_port: int, carbon_port: int) -> subprocess.Popen:
    """`tsstore serve` with its defaults (ports aside), once its API answers."""
    import httpx

    proc = subprocess.Popen([sys.executable, "-m", "tsstore.cli", "serve", "--data-dir", str(data_dir), "--http-port",
                             str(http_port), "--carbon-port", str(carbon_port), "--pickle-port", "0"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{http_port}/metrics/find?query=*", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("tsstore serve did not answer within 60 s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", type=int, default=10_000)
    ap.add_argument("--history-days", type=int, default=30)
    ap.add_argument("--cassandra", help="host:port of a running Cassandra (a row into a fresh keyspace)")
    ap.add_argument("--replay-files", type=int, default=200, help="files replayed over the carbon protocol")
    args = ap.parse_args()
    from tests.helpers.servers import free_port

    work = Path(tempfile.mkdtemp(prefix="tsstore-bench-import-"))
    now = int(time.time())
    rows = []
    try:
        t0 = time.monotonic()
        points = make_tree(work / "whisper", args.files, args.history_days, now)
        check_against_whisper(next((work / "whisper").rglob("*.wsp")), now)
        print(f"made {args.files} files, {points:,} points, in {time.monotonic() - t0:.0f}s", file=sys.stderr)

        def row(what, elapsed, summary):
            n = imported_points(summary)
            rows.append({"what": what, "files": args.files, "points": n, "seconds": elapsed,
                         "files_per_s": args.files / elapsed, "points_per_s": n / elapsed})
            print(json.dumps(rows[-1]), file=sys.stderr)

        elapsed, summary = run_cli([str(work / "whisper"), "--data-dir", str(work / "free")])
        row("import-whisper --data-dir (no server running)", elapsed, summary)

        http, carbon = free_port(), free_port()
        server = start_server(work / "held", http, carbon)
        try:
            elapsed, summary = run_cli([str(work / "whisper"), "--data-dir", str(work / "held")])
            row("import-whisper --data-dir (tsstore serve running: write channel)", elapsed, summary)
        finally:
            server.terminate()
            server.wait(120)

        if args.cassandra:
            url = f"cassandra://{args.cassandra}/bench_import_{os.getpid()}"
            try:
                elapsed, summary = run_cli([str(work / "whisper"), "--store", url, "--done-file", str(work / "cass.done")])
                row("import-whisper --store cassandra://", elapsed, summary)
            finally:
                drop_keyspace(args.cassandra, url.rsplit("/", 1)[1])

        replay_rate = replay(work, args.replay_files, now)
        rows.append({"what": f"replay over the carbon protocol ({args.replay_files} files)", **replay_rate})
        print(json.dumps(rows[-1]), file=sys.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps({"files": args.files, "history_days": args.history_days, "rows": rows}, indent=1))


def replay(work: Path, files: int, now: int) -> dict:
    """Every point of `files` files sent as plaintext lines to a running tsstore; timed until
    the server has taken them all (/tsstore/status) and the last series' newest point renders."""
    import httpx

    from tests.helpers.servers import free_port, send_tcp
    from tsstore.whisper.reader import read

    paths = sorted((work / "whisper").rglob("*.wsp"))[:files]
    lines = []
    for p in paths:
        name = "replay." + ".".join(p.relative_to(work / "whisper").with_suffix("").parts)
        for a in read(p, now).archives:
            lines += [f"{name} {v} {t}\n" for t, v in zip(a.ts.tolist(), a.values.tolist())]
    http, carbon = free_port(), free_port()
    server = start_server(work / "replay", http, carbon)
    try:
        t0 = time.monotonic()
        send_tcp(carbon, "".join(lines).encode())
        deadline = time.monotonic() + 1800
        base = f"http://127.0.0.1:{http}"
        while time.monotonic() < deadline:
            counters = httpx.get(f"{base}/tsstore/status", timeout=10).json()["counters"]
            if counters.get("points.received", 0) >= len(lines):
                break
            time.sleep(0.2)
        newest = paths[-1]
        name = "replay." + ".".join(newest.relative_to(work / "whisper").with_suffix("").parts)
        finest = read(newest, now).archives[0]
        last_ts, want = int(finest.ts[-1]), float(finest.values[-1])
        while time.monotonic() < deadline:  # the last file's newest point, at its own timestamp
            body = httpx.get(f"{base}/render", params={"target": name, "from": str(last_ts - 10), "until": str(last_ts),
                                                       "format": "json"}, timeout=30).json()
            if body and [v for v, t in body[0]["datapoints"] if t == last_ts] == [want]:
                break
            time.sleep(0.2)
        elapsed = time.monotonic() - t0
    finally:
        server.terminate()
        server.wait(120)
    return {"files": files, "points": len(lines), "seconds": elapsed, "files_per_s": files / elapsed,
            "points_per_s": len(lines) / elapsed}


if __name__ == "__main__":
    main()
