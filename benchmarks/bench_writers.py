"""One tsstore writer against two writers of the same series on a Cassandra cluster, default
settings: points per second and CPU seconds per million points (the same two cores serve
both, so this is efficiency, not speed-up), then a paced run of several minutes with the second
writer's clock behind (libfaketime), checked point by point.

    scripts/cassandra-local start --nodes 3 --first-address 127.0.0.2   # prints h1,h2,h3:port
    python -m benchmarks.bench_writers --cassandra 127.0.0.2,127.0.0.3,127.0.0.4:9042

Burst: --series series x --rounds points each (10 s apart), sent at once over 4 connections
to one writer, or with each series' slots alternating between two writers and every third
slot sent to both (a relay sending to both; in the paced run, for every tenth series, with a
different value from each writer: the higher writer id's must win); timed from the first byte until every writer
has written every point it took in. The series are created first on every writer (a point
each, untimed): the burst is of known series. Paced: --minutes of one round a second over the same
kind of split, then every finest point read back through a third process and every coarse
slot compared with the sum of its finest points.
"""
from __future__ import annotations

import argparse
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx

from benchmarks.procstats import cpu_seconds
from tests.helpers.servers import ServerProcess, send_tcp, wait_until
from tsstore.writer_id import FILE_NAME as WRITER_ID_FILE

FAKETIME = Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1")
SCHEMAS = "[default]\npattern = .*\nretentions = 10s:1d,1m:30d\n"
AGGREGATION = "[default]\npattern = .*\nxFilesFactor = 0\naggregationMethod = sum\n"


def _conf(tmp: Path, url: str) -> list[str]:
    (tmp / "schemas.conf").write_text(SCHEMAS)
    (tmp / "aggregation.conf").write_text(AGGREGATION)
    return ["--store", url, "--schemas-file", str(tmp / "schemas.conf"), "--aggregation-file", str(tmp / "aggregation.conf")]


def _writers(tmp: Path, conf: list[str], count: int, skew: float) -> list[ServerProcess]:
    """count writers, the second's clock `skew` s behind and its writer id the higher (it wins
    slots they write different values into)."""
    for i in range(count):
        (tmp / f"writer{i}").mkdir()
        (tmp / f"writer{i}" / WRITER_ID_FILE).write_text(f"{100 + 1000 * i}\n")
    out = [ServerProcess(tmp / f"writer{i}", *conf, wrapper=() if i == 0 else
                         ("env", f"LD_PRELOAD={FAKETIME}", f"FAKETIME=-{skew:g}s")).start(timeout=120) for i in range(count)]
    return out


def _value(s: int, r: int, writer: int, writers: int) -> float:
    """The value of series s at round r, as that writer sends it: every tenth series (s % 10 ==
    9) gets a different value from each of two writers where both get the round."""
    both = writers == 2 and r % 3 == 2 and s % 10 == 9
    return s * 100000 + r + (0.25 * (writer + 1) if both else 0.0)


HIGHER = 1  # the writer whose values win (the higher writer id: _writers)


def _counter(srv: ServerProcess, name: str) -> float:
    return httpx.get(srv.url + "/tsstore/status", timeout=30).json()["counters"].get(name, 0)


def _lines(prefix: str, series: int, rounds: range, base: int, step: int, writer: int, writers: int) -> bytes:
    """The points of `rounds` a writer gets: with two, round r goes to the first, the second,
    or both (r % 3); value = series * 100000 + round."""
    mine = (lambda r: True) if writers == 1 else (lambda r: writer in ((0,), (1,), (0, 1))[r % 3])
    return "".join(f"{prefix}.s{s:05d} {_value(s, r, writer, writers)} {base + r * step}\n"
                   for r in rounds if mine(r) for s in range(series)).encode()


def burst(tmp: Path, url: str, writers: int, series: int, rounds: int, skew: float) -> dict:
    conf = _conf(tmp, url)
    procs = _writers(tmp, conf, writers, skew)
    try:
        base = (int(time.time()) - rounds * 10 - 600) // 60 * 60
        # round 0 creates the series on every writer, untimed: the burst is of series they know
        for w, p in enumerate(procs):
            send_tcp(p.carbon_port, _lines("burst", series, range(0, 1), base - 10, 10, 0, 1))
            wait_until(lambda p=p: _counter(p, "points.written") >= series, timeout=1800, what="the series created")
        payloads = [[_lines("burst", series, range(c, rounds, 4), base, 10, w, writers) for c in range(4)]
                    for w in range(writers)]
        cpu0 = [cpu_seconds(p.proc.pid) for p in procs]
        t0 = time.monotonic()
        threads = [threading.Thread(target=send_tcp, args=(p.carbon_port, chunk)) for p, chunks in zip(procs, payloads)
                   for chunk in chunks]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        taken = [sum(len(c.splitlines()) for c in chunks) for chunks in payloads]
        for p, n in zip(procs, taken):
            wait_until(lambda p=p, n=n: _counter(p, "points.written") >= n + series, timeout=1800, what="every point written")
        elapsed = time.monotonic() - t0
        cpu = sum(cpu_seconds(p.proc.pid) - c for p, c in zip(procs, cpu0))
        distinct = series * rounds
        return {"writers": writers, "distinct points": distinct, "points taken in": sum(taken), "seconds": elapsed,
                "points/s": distinct / elapsed, "cpu s per 1M points": cpu / distinct * 1e6}
    finally:
        for p in procs:
            p.stop()


def paced(tmp: Path, url: str, series: int, minutes: float, skew: float) -> dict:
    conf = _conf(tmp, url)
    procs = _writers(tmp, conf, 2, skew)
    rounds = int(minutes * 60)
    base = int(time.time()) // 60 * 60 - rounds * 10 - 600  # 10 s apart, ending 10 min ago
    try:
        t0 = time.monotonic()
        for r in range(rounds):  # a round a second
            for w, p in enumerate(procs):
                lines = _lines("paced", series, range(r, r + 1), base, 10, w, 2)
                if lines:
                    send_tcp(p.carbon_port, lines)
            time.sleep(max(0.0, t0 + r + 1 - time.monotonic()))
        for p in procs:
            wait_until(lambda p=p: _counter(p, "points.written") >= _counter(p, "points.received"), timeout=300,
                       what="every point written")
        rederived = [_counter(p, "rollup_slots.rederived") for p in procs]
    finally:
        for p in procs:
            p.stop()
    reader = ServerProcess(tmp / "reader", *conf).start(timeout=120)
    try:
        def render(start: int, end: int) -> dict:
            resp = httpx.get(reader.url + "/render", timeout=300, params={"target": "paced.*", "from": str(start),
                                                                           "until": str(end), "format": "json"})
            resp.raise_for_status()
            return {(s["target"], t): v for s in resp.json() for v, t in s["datapoints"] if v is not None}

        finest = render(base - 10, base + rounds * 10)
        want = {(f"paced.s{s:05d}", base + r * 10): _value(s, r, HIGHER, 2) for s in range(series) for r in range(rounds)}
        wrong_finest = sum(1 for k, v in want.items() if finest.get(k) != v)
        conflicted = sum(1 for s in range(series) for r in range(rounds) if _value(s, r, 0, 2) != _value(s, r, 1, 2))
        coarse = render(int(time.time()) - 2 * 86400, int(time.time()))  # past the 10 s level's day: the minutes
        want_coarse: dict = {}
        for (name, t), v in want.items():
            key = (name, t // 60 * 60)
            want_coarse[key] = want_coarse.get(key, 0.0) + v
        full = {k: v for k, v in want_coarse.items() if base <= k[1] and k[1] + 60 <= base + rounds * 10}
        wrong_coarse = sum(1 for k, v in full.items() if coarse.get(k) != v)
    finally:
        reader.stop()
    return {"rounds": rounds, "finest points": len(want), "of them, two different values": conflicted,
            "finest wrong or missing": wrong_finest,
            "coarse slots": len(full), "coarse wrong": wrong_coarse, "re-derived (per writer)": rederived}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cassandra", required=True, help="h1,h2,h3:port of a running cluster (scripts/cassandra-local)")
    ap.add_argument("--options", default="rf=3&consistency=LOCAL_QUORUM", help="the cassandra:// URL's query")
    ap.add_argument("--series", type=int, default=10_000)
    ap.add_argument("--rounds", type=int, default=20, help="points per series in the burst")
    ap.add_argument("--paced-series", type=int, default=1000)
    ap.add_argument("--minutes", type=float, default=4.0, help="length of the paced run (0: none)")
    ap.add_argument("--skew", type=float, default=5.0, help="seconds the second writer's clock is behind")
    args = ap.parse_args()
    if not FAKETIME.exists():
        raise SystemExit(f"{FAKETIME} is missing: scripts/install-faketime")

    def url() -> str:
        return f"cassandra://{args.cassandra}/bench_{uuid.uuid4().hex[:8]}?{args.options}"

    with tempfile.TemporaryDirectory(prefix="bench-writers-") as tmp:
        rows = []
        for writers in (1, 2):
            d = Path(tmp) / f"burst{writers}"
            d.mkdir()
            rows.append(burst(d, url(), writers, args.series, args.rounds, args.skew))
            print(rows[-1], flush=True)
        print("\n| writers | distinct points | points taken in | seconds | points/s | CPU s per 1M points |")
        print("| ---: | ---: | ---: | ---: | ---: | ---: |")
        for r in rows:
            print(f"| {r['writers']} | {r['distinct points']:,} | {r['points taken in']:,} | {r['seconds']:.1f} | "
                  f"{r['points/s']:,.0f} | {r['cpu s per 1M points']:.1f} |")
        if args.minutes <= 0:
            return
        d = Path(tmp) / "paced"
        d.mkdir()
        print(f"\npaced, two writers, the second {args.skew:g} s behind:", paced(d, url(), args.paced_series, args.minutes,
                                                                                   args.skew))


if __name__ == "__main__":
    main()
