"""Carbon plaintext load generator: a realistic tree of series names, bounded in count and time.

Names look like `<dc>.<service>.<host>.<group>.<metric>` (e.g.
`dc2.checkout.host0417.cpu.user`), values are gauges and counters, and each series gets
one point per `step` seconds. Lines are generated once into byte chunks, then sent over
several TCP connections (threads) as fast as the server reads them, or at a given rate.
"""
from __future__ import annotations

import argparse
import random
import socket
import threading
import time

DCS = ["dc1", "dc2", "dc3", "dc4"]
SERVICES = ["api", "web", "checkout", "search", "auth", "billing", "db", "cache", "queue", "batch"]
GROUPS = {
    "cpu": ["user", "system", "iowait", "idle", "steal"],
    "mem": ["used", "free", "cached", "buffers"],
    "disk": ["read_bytes", "write_bytes", "read_ops", "write_ops"],
    "net": ["rx_bytes", "tx_bytes", "rx_errors", "tx_errors"],
    "app": ["requests.count", "errors.count", "latency.p50", "latency.p99", "inflight"],
}
METRICS = [f"{g}.{m}" for g, ms in GROUPS.items() for m in ms]


def series_names(count: int, seed: int = 1) -> list[str]:
    """`count` distinct, realistic names (hosts are added until there are enough)."""
    names = []
    host = 0
    while len(names) < count:
        dc = DCS[host % len(DCS)]
        svc = SERVICES[(host // len(DCS)) % len(SERVICES)]
        for metric in METRICS:
            names.append(f"{dc}.{svc}.host{host:05d}.{metric}")
            if len(names) == count:
                break
        host += 1
    random.Random(seed).shuffle(names)
    return names


def make_chunks(names: list[str], points_per_series: int, start: int, step: int, chunk_lines: int = 5000,
                connections: int = 1) -> list[bytes]:
    """Lines in time order (every series at t, then every series at t+step, ...).

    With connections > 1 the series are split among the connections (as carbon-relay's
    consistent hashing does) and chunk i belongs to connection i % connections, which is how
    send_chunks deals them out: each series keeps its time order on one connection. Dealing
    one series' points over several connections would make most points arrive late, which no
    real sender does."""
    rnd = random.Random(7)
    level = {n: rnd.uniform(0, 100) for n in names}
    parts = [names[i::connections] for i in range(connections)]
    per_part = []
    for part in parts:
        chunks, buf = [], []
        encoded = [n.encode() for n in part]
        for p in range(points_per_series):
            ts = b" %d\n" % (start + p * step)
            for name, raw in zip(part, encoded):
                if name.endswith(".count") or "bytes" in name or "ops" in name:
                    level[name] += rnd.randint(0, 50)  # counters go up
                    value = b"%d" % level[name]
                else:
                    level[name] = max(0.0, level[name] + rnd.uniform(-1, 1))
                    value = b"%.2f" % level[name]
                buf.append(raw + b" " + value + ts)
                if len(buf) == chunk_lines:
                    chunks.append(b"".join(buf))
                    buf = []
        if buf:
            chunks.append(b"".join(buf))
        per_part.append(chunks)
    longest = max((len(c) for c in per_part), default=0)
    return [per_part[c][i] if i < len(per_part[c]) else b"" for i in range(longest) for c in range(connections)]


def send_chunks(host: str, port: int, chunks: list[bytes], connections: int = 4, rate: float | None = None,
                timeout: float = 600.0) -> float:
    """Send chunks round-robin over `connections` TCP connections; returns seconds taken.

    rate: lines per second across all connections (None = as fast as the server reads).
    Stops at `timeout` seconds whatever is left (bounded in time).
    """
    per_conn = [chunks[i::connections] for i in range(connections)]
    lines_per_chunk = max((c.count(b"\n") for c in chunks[:connections]), default=0)
    deadline = time.monotonic() + timeout
    errors: list[BaseException] = []

    def worker(mine: list[bytes]):
        try:
            with socket.create_connection((host, port), timeout=60) as sock:
                t0 = time.monotonic()
                for i, chunk in enumerate(mine):
                    if time.monotonic() > deadline:
                        return
                    if rate:
                        due = t0 + (i + 1) * lines_per_chunk * connections / rate
                        delay = due - time.monotonic()
                        if delay > 0:
                            time.sleep(delay)
                    sock.sendall(chunk)
        except BaseException as exc:  # reported by the caller
            errors.append(exc)

    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(m,)) for m in per_conn]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=2003)
    ap.add_argument("--series", type=int, default=100_000)
    ap.add_argument("--points", type=int, default=10, help="points per series")
    ap.add_argument("--step", type=int, default=10)
    ap.add_argument("--connections", type=int, default=4)
    ap.add_argument("--rate", type=float, default=None, help="lines/s (default: max)")
    args = ap.parse_args()
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("loadgen only sends to loopback addresses")
    names = series_names(args.series)
    start = (int(time.time()) - args.points * args.step) // args.step * args.step
    chunks = make_chunks(names, args.points, start, args.step)
    secs = send_chunks(args.host, args.port, chunks, args.connections, args.rate)
    total = args.series * args.points
    print(f"sent {total} lines in {secs:.2f}s ({total / secs:,.0f} lines/s)")


if __name__ == "__main__":
    main()
