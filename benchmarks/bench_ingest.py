"""End-to-end ingest: points/s from the first byte a TCP sender writes until every point is
readable through the HTTP API, on the embedded store.

    python -m benchmarks.bench_ingest --series 100000 --points 10

The server runs as its own process (`tsstore serve`); the sender is this process (threads
over several connections). "Readable" is a marker point sent after the server acknowledged
every line, plus a random sample of 50 series read back and compared value by value, both
in one /render per poll. measure_pass() is store-agnostic: benchmarks/run_all.py times
carbon-cache (through graphite-web) and go-carbon (through carbonapi) with it too.
"""
from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

import httpx

from benchmarks.loadgen import make_chunks, send_chunks, series_names
from benchmarks.procstats import cpu_seconds, memory_mib, peak_rss_mib
from tests.helpers.servers import ServerProcess, send_tcp

SCHEMAS = "[default]\npattern = .*\nretentions = 10s:1d,1m:7d,10m:1y\n"


def wait_status(srv, key: str, at_least: float, timeout: float) -> float:
    deadline = time.monotonic() + timeout
    value = 0
    while time.monotonic() < deadline:
        value = httpx.get(srv.url + "/tsstore/status", timeout=10).json()["counters"].get(key, 0)
        if value >= at_least:
            return value
        time.sleep(0.05)
    raise SystemExit(f"timed out: {key} reached {value}, wanted {at_least}")


def readable(srv, target, params: dict, client: httpx.Client) -> list:
    """/render as JSON; `srv` is anything with a .url (tsstore, graphite-web, carbonapi).
    `client` keeps its connection open between polls, as a dashboard's does: a new httpx
    client per request cost this process 30 ms (p50; 165 ms max) of its own set-up, which
    the latencies measured here would count as the server's."""
    return client.get(srv.url + "/render", params={"target": target, "format": "json", **params}, timeout=60).json()


def sent_values(chunks: list[bytes], sample: set[str]) -> dict[str, dict[int, float]]:
    """{name: {ts: value}} of what the sender sent for the sampled names."""
    sent: dict[str, dict[int, float]] = {n: {} for n in sample}
    for chunk in chunks:
        for line in chunk.split(b"\n"):
            if line:
                n, v, t = line.split()
                name = n.decode()
                if name in sample:
                    sent[name][int(t)] = float(v)
    return sent


def wait_readable(reader, marker: str | None, marker_value: float, want: dict[str, dict[int, float]], rng: dict,
                  timeout: float, poll: float = 0.25) -> None:
    """Until the marker point and every sampled point read back exactly (one /render per poll).

    For tsstore the WAL keeps order, so the marker alone proves every earlier point was
    flushed; other stores write in their own order, hence the value-by-value sample.
    """
    deadline = time.monotonic() + timeout
    last = ""
    with httpx.Client() as client:
        while time.monotonic() < deadline:
            try:
                got = {s["target"]: {ts: v for v, ts in s["datapoints"] if v is not None}
                       for s in readable(reader, [marker, *want] if marker else list(want), rng, client)}
            except (httpx.HTTPError, ValueError) as exc:
                got, last = {}, repr(exc)
            if marker is None or marker_value in got.get(marker, {}).values():
                missing = [n for n, pts in want.items() if got.get(n) != pts]
                if not missing:
                    return
                last = f"{len(missing)} sampled series not (yet) complete, e.g. {missing[0]}: {got.get(missing[0])}"
            else:
                last = last or "marker not readable"
            time.sleep(poll)
    raise SystemExit(f"points not readable within {timeout:.0f}s: {last}")


def measure_pass(carbon_port: int, reader, pids: list[int], names: list[str], points: int, pass_start: int, step: int,
                 pass_no: int, connections: int, acked=None, timeout: float = 1800, sample_size: int = 50,
                 persisted=None) -> dict:
    """One burst of `points` points per series into a carbon plaintext port, timed from the
    first byte sent until every point is readable through `reader`'s /render.

    pids: the ingesting server processes (CPU seconds and peak RSS from /proc).
    acked(total): optional, blocks until the server acknowledged `total` points (tsstore's WAL).
    persisted(want): optional, True once the sampled points and the marker are in the store's
    files; for a server that answers reads from an in-memory cache (go-carbon), the time until
    then is reported too, and CPU is counted until then (writing the files is the real work).
    """
    chunks = make_chunks(names, points, pass_start, step, connections=connections)
    total = len(names) * points
    want = sent_values(chunks, set(random.Random(3 + pass_no).sample(names, min(sample_size, len(names)))))
    cpu0 = sum(cpu_seconds(p) for p in pids)
    t0 = time.perf_counter()
    send_secs = send_chunks("127.0.0.1", carbon_port, chunks, connections, timeout=timeout)
    acked_secs = None
    if acked:
        acked(total)
        acked_secs = time.perf_counter() - t0
    marker_ts = pass_start + points * step
    send_tcp(carbon_port, f"bench.marker {pass_no} {marker_ts}\n".encode())
    # from = pass_start - 1: this pass's points only, on every API. Graphite reads points after an
    # aligned `from` (so pass_start - step would do there); VictoriaMetrics' /render includes a point
    # at an aligned `from`, which would add the previous pass's last point to the answer.
    rng = {"from": str(pass_start - 1), "until": str(marker_ts + step)}
    wait_readable(reader, "bench.marker", float(pass_no), want, rng, timeout)
    total_secs = time.perf_counter() - t0
    persisted_secs = None
    if persisted:
        everything = {**want, "bench.marker": {marker_ts: float(pass_no)}}
        deadline = time.monotonic() + timeout
        while not persisted(everything):
            if time.monotonic() > deadline:
                raise SystemExit(f"points not in the store's files within {timeout:.0f}s")
            time.sleep(0.25)
        persisted_secs = time.perf_counter() - t0
    cpu = sum(cpu_seconds(p) for p in pids) - cpu0
    return {"series": len(names), "points": total, "send_s": send_secs, "acked_s": acked_secs,
            "readable_s": total_secs, "points_per_s": total / total_secs,
            "persisted_s": persisted_secs, "persisted_points_per_s": total / persisted_secs if persisted_secs else None,
            "cpu_s_per_mpoint": cpu / (total / 1e6), "peak_rss_mib": sum(peak_rss_mib(p) for p in pids)}


def measure_freshness(carbon_port: int, reader, known: list[str], samples: int = 100, spacing: float = 0.02,
                      timeout: float = 120.0, poll: float = 0.01) -> dict:
    """Send to /render latency, p50/p99, for `samples` points of known series and as many of
    series never seen before, each its own series and its own new slot (value = a unique
    number). The points go out `spacing` s apart (one line per connection write); one /render
    per poll asks for every point not yet seen, and a point's latency is the end of the first
    poll that showed it minus the moment it was sent. Bounded by `timeout`."""
    rnd = random.Random(11)
    run = int(time.time())  # new names on every call
    out = {}
    with httpx.Client() as client:
        for kind, names in (("known", rnd.sample(known, min(samples, len(known)))),
                            ("new", [f"bench.fresh.r{run}.s{i}" for i in range(samples)])):
            now = int(time.time())
            sent: dict[str, tuple[float, float]] = {}  # name -> (value, monotonic send time)
            seen: dict[str, float] = {}
            deadline = time.monotonic() + timeout
            pending = list(enumerate(names))
            next_send = time.monotonic()
            while (pending or len(seen) < len(sent)) and time.monotonic() < deadline:
                if pending and time.monotonic() >= next_send:
                    i, name = pending.pop(0)
                    value = 1_000_000.0 + i
                    send_tcp(carbon_port, f"{name} {value} {now}\n".encode())
                    sent[name] = (value, time.monotonic())
                    next_send = time.monotonic() + spacing
                waiting = [n for n in sent if n not in seen]
                if waiting:
                    try:
                        body = readable(reader, waiting, {"from": str(now - 600), "until": str(now + 60)}, client)
                    except (httpx.HTTPError, ValueError):
                        body = []
                    at = time.monotonic()
                    for series in body:
                        name = series["target"]
                        if name in sent and name not in seen and any(v == sent[name][0] for v, _ in series["datapoints"]):
                            seen[name] = at - sent[name][1]
                time.sleep(poll)
            lat = sorted(seen.values())
            out[kind] = {"samples": len(names), "seen": len(lat),
                         "p50_s": lat[len(lat) // 2] if lat else None,
                         "p99_s": lat[min(len(lat) - 1, int(len(lat) * 0.99))] if lat else None,
                         "max_s": lat[-1] if lat else None}
    return out


def tsstore_acked(srv, p: int):
    """acked() for measure_pass on a tsstore server: points.received also counts the points
    and markers of the p earlier passes (same size)."""
    return lambda total: wait_status(srv, "points.received", total * (p + 1) + p, 1800)


# The settled RSS is taken once it stopped falling for this long: the flush after a burst's
# last one (its open coarse slots, the WAL trimmed) gives back heap the burst left (69 MiB at
# 1M series, the main heap and worker threads' arenas in /proc/PID/smaps), 3-15 s after the
# rows were released. Taken a second after the release, the same node read 285-385 bytes per
# series from run to run.
SETTLE_QUIET_S = 15.0


def settled_rss_mib(srv, timeout: float = 120.0) -> tuple[float, dict]:
    """The server's RSS at rest after a pass: everything received is in the store, the rows a
    burst held for reads until then are released, and the RSS has not fallen by more than
    1 MiB for SETTLE_QUIET_S (or `timeout` passed: the lowest seen): what the series cost when
    no burst is in flight. Also what the largest structures take then (bytes, from
    /tsstore/status).
    (points.written alone is no sign: it counts provisional slots written again, so it passes
    points.received before a known-series pass's flush ends.)"""
    received = httpx.get(srv.url + "/tsstore/status", timeout=10).json()["counters"].get("points.received", 0)
    wait_status(srv, "points.written", received, timeout)
    deadline = time.monotonic() + timeout
    while (held := httpx.get(srv.url + "/tsstore/status", timeout=10).json()["counters"].get("aggregator.rows_held", 0)):
        if time.monotonic() > deadline:  # as wait_status: no figure rather than one taken mid-flush
            raise SystemExit(f"timed out: aggregator.rows_held still {held} after {timeout:.0f} s")
        time.sleep(0.1)
    lowest = memory_mib(srv.proc.pid, "VmRSS")
    quiet_since = time.monotonic()
    while time.monotonic() - quiet_since < SETTLE_QUIET_S and time.monotonic() < deadline:
        time.sleep(0.5)
        rss = memory_mib(srv.proc.pid, "VmRSS")
        if rss < lowest - 1:
            quiet_since = time.monotonic()
        lowest = min(lowest, rss)
    status = httpx.get(srv.url + "/tsstore/status", timeout=10).json()
    c = status["counters"]
    parts = {"name registry": c.get("memory.registry_bytes", 0), "rollup state": c.get("memory.rollup_state_bytes", 0),
             "rows held": c.get("memory.rows_held_bytes", 0), "name filter": c.get("memory.name_filter_bytes", 0),
             "path index": (status.get("path_index") or {}).get("bytes", 0)}
    return memory_mib(srv.proc.pid, "VmRSS"), parts


def pass_label(p: int) -> str:
    return f"pass {p + 1}" + (" (creates the series)" if p == 0 else " (known series)")


def first_pass_start(passes: int, points: int, step: int = 10) -> int:
    """Start of pass 1, so that the last pass ends a little before now (inside 6 h retention)."""
    return (int(time.time()) - passes * points * step - 600) // 600 * 600


def run(series: int, points: int, connections: int, store_args: list[str], workdir: Path, label: str, passes: int,
        extra_flags: tuple[str, ...] = (), freshness_samples: int = 100) -> tuple[list[dict], dict]:
    """One tsstore server with its defaults (plus extra_flags); `passes` bursts of `points`
    points per series, each timed on its own, then freshness (measure_freshness).

    Pass 1 includes creating every series; later passes are the sustained rate for series
    the store already knows. Each pass also reports the server's peak RSS above its RSS at
    start (idle), per series, and its RSS above idle once the pass is in the store
    (settled_rss_mib; the next pass starts after that). The server's: the ingest process and
    its children (on Cassandra its writer process, tsstore.store.cassandra.writer_process),
    each one's peak summed (an upper bound of the peak they had together).
    """
    names = series_names(series)
    step = 10
    start = first_pass_start(passes, points, step)
    (workdir / "schemas.conf").write_text(SCHEMAS)
    srv = ServerProcess(workdir / "data", "--schemas-file", str(workdir / "schemas.conf"),
                        "--self-metrics-interval", "0", *extra_flags, *store_args).start(timeout=120)
    results = []
    try:
        idle = memory_mib(srv.proc.pid, "VmRSS")
        for p in range(passes):
            r = measure_pass(srv.carbon_port, srv, [srv.proc.pid], names, points, start + p * points * step, step,
                             p + 1, connections,
                             acked=tsstore_acked(srv, p))
            above = memory_mib(srv.proc.pid, "VmHWM") - idle
            settled, parts = settled_rss_mib(srv)
            settled -= idle
            results.append({"label": f"{label} {pass_label(p)}", "idle_rss_mib": idle,
                            "bytes_per_series": above * 2**20 / series, "settled_bytes_per_series": settled * 2**20 / series,
                            "settled_parts": {k: v / series for k, v in parts.items()},
                            **r})
        fresh = measure_freshness(srv.carbon_port, srv, names, samples=freshness_samples)
    finally:
        srv.stop(timeout=600)
    return results, fresh


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--series", type=int, default=100_000)
    ap.add_argument("--points", type=int, default=10, help="points per series")
    ap.add_argument("--connections", type=int, default=4)
    ap.add_argument("--store", default="embedded", help="'embedded' or a cassandra:// URL")
    ap.add_argument("--passes", type=int, default=2, help="bursts; pass 1 creates the series")
    ap.add_argument("--flag", action="append", default=[], metavar="FLAG=VALUE",
                    help="a tsstore serve flag for a second, tuned row (e.g. --flag=--flush-interval=60); none: defaults")
    ap.add_argument("--freshness-samples", type=int, default=100, help="points per kind (known, new series)")
    args = ap.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="tsstore-bench-"))
    try:
        store_args = [] if args.store == "embedded" else ["--store", args.store]
        extra = tuple(part for flag in args.flag for part in flag.split("=", 1))
        results, fresh = run(args.series, args.points, args.connections, store_args, workdir, f"tsstore ({args.store})",
                             args.passes, extra, args.freshness_samples)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"command: python -m benchmarks.bench_ingest {' '.join(sys.argv[1:])}")
    for r in results:
        print(f"{r['label']}: {r['points']:,} points over {r['series']:,} series, {args.connections} connections")
        print(f"  sender done        {r['send_s']:8.2f} s")
        print(f"  all acknowledged   {r['acked_s']:8.2f} s (in the WAL)")
        print(f"  all readable       {r['readable_s']:8.2f} s -> {r['points_per_s']:,.0f} points/s end to end")
        print(f"  server CPU         {r['cpu_s_per_mpoint']:8.2f} s per million points")
        print(f"  server peak RSS    {r['peak_rss_mib']:8.0f} MiB ({r['bytes_per_series']:,.0f} bytes per series above "
              f"the {r['idle_rss_mib']:.0f} MiB at start)")
        print(f"  settled RSS        {r['settled_bytes_per_series']:8,.0f} bytes per series above the start "
              f"(at rest: everything in the store, RSS no longer falling)")
        parts = r["settled_parts"]
        print("    of which        " + ", ".join(f"{k} {v:,.0f}" for k, v in parts.items())
              + f"; the rest (SQLite caches, Python objects, free heap) {r['settled_bytes_per_series'] - sum(parts.values()):,.0f}")
    for kind, f in fresh.items():
        print(f"freshness, {kind} series: {f['seen']} of {f['samples']} points readable; send -> /render "
              f"p50 {ms_text(f['p50_s'])}, p99 {ms_text(f['p99_s'])}, max {ms_text(f['max_s'])}")


def ms_text(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.0f} ms"


if __name__ == "__main__":
    main()
