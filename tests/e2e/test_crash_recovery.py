"""kill -9 in the middle of a stream: every point the server acknowledged is readable after a
restart, with the right value, exactly once (coarse sums would show a double)."""
import socket
import threading
import time

import httpx
import pytest

from tests.helpers.servers import ServerProcess

SERIES = 50
LINES = 120_000
SCHEMAS = "[default]\npattern = .*\nretentions = 1s:1h,10s:1d\n"
AGGREGATION = "[default]\npattern = .*\nxFilesFactor = 0\naggregationMethod = sum\n"


def _counter(srv, name: str) -> float:
    return httpx.get(srv.url + "/tsstore/status", timeout=5).json()["counters"].get(name, 0)


def _stream(port: int, line, lines: int, pause: float, stop: threading.Event, sent: list):
    """One connection; `line(i)` for i < lines, 500 a chunk with `pause` between (long enough to
    kill mid-stream); sent[0]: the lines sent so far."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        for start in range(0, lines, 500):
            if stop.is_set():
                return
            chunk = "".join(map(line, range(start, start + 500)))
            try:
                sock.sendall(chunk.encode())
            except OSError:
                return  # the server died under us: expected
            sent[0] = start + 500
            time.sleep(pause)


def _sender(port: int, base: int, stop: threading.Event, sent: list):
    """Line i is series i % SERIES at base + i // SERIES with value i, about 50k lines/s."""
    _stream(port, lambda i: f"crash.s{i % SERIES:02d} {i} {base + i // SERIES}\n", LINES, 0.01, stop, sent)


def _until_prefix_readable(readable_values, acknowledged: float, timeout: float = 60.0) -> set:
    """readable_values() once it holds a whole prefix of the stream as long as what was
    acknowledged (the restarted server replays its WAL meanwhile), or at the timeout."""
    deadline, values = time.monotonic() + timeout, set()
    while time.monotonic() < deadline:
        values = readable_values()
        if len(values) >= acknowledged and values == set(range(len(values))):
            break
        time.sleep(0.3)
    return values


def _readable(srv, target: str, params: dict) -> list:
    resp = httpx.get(srv.url + "/render", params={"target": target, "format": "json", **params}, timeout=30)
    assert resp.status_code == 200, resp.text
    return resp.json()


@pytest.mark.slow
def test_kill9_mid_stream_loses_nothing_acknowledged(tmp_path):
    (tmp_path / "schemas.conf").write_text(SCHEMAS)
    (tmp_path / "aggregation.conf").write_text(AGGREGATION)
    conf = ["--schemas-file", str(tmp_path / "schemas.conf"), "--aggregation-file", str(tmp_path / "aggregation.conf"),
            "--self-metrics-interval", "0"]
    data = tmp_path / "data"
    base = int(time.time()) - 3000
    srv = ServerProcess(data, *conf, "--flush-interval", "1").start()
    stop, sent = threading.Event(), [0]
    sender = threading.Thread(target=_sender, args=(srv.carbon_port, base, stop, sent))
    sender.start()
    try:
        deadline = time.monotonic() + 60
        acknowledged = 0
        while acknowledged < LINES // 3 and time.monotonic() < deadline:
            acknowledged = _counter(srv, "points.received")
            time.sleep(0.05)
        assert acknowledged >= LINES // 3, "the server did not take the stream"
        assert sent[0] < LINES, "the stream finished before the kill: the test proves nothing"
        srv.kill9()
    finally:
        stop.set()
        sender.join(30)
        if srv.proc.poll() is None:
            srv.kill9()

    again = ServerProcess(data, *conf, "--flush-interval", "0.3").start()
    try:
        fine = {"from": str(base - 1), "until": str(base + LINES // SERIES + 1)}

        def readable_values() -> set:
            vals = set()
            for series in _readable(again, "crash.*", fine):
                s = int(series["target"].rsplit("s", 1)[1])
                for value, ts in series["datapoints"]:
                    if value is not None:
                        assert value == (ts - base) * SERIES + s, f"{series['target']} at {ts} has {value}"
                        vals.add(int(value))
            return vals

        values = _until_prefix_readable(readable_values, acknowledged)
        print(f"killed after {acknowledged:.0f} acknowledged points (sender at {sent[0]}); {len(values)} readable after restart")
        assert len(values) >= acknowledged, f"only {len(values)} of {acknowledged} acknowledged points are readable"
        # TCP keeps order and the WAL keeps order: what survived is a prefix of the stream.
        assert values == set(range(len(values)))

        # The 10 s rollup (sum) must hold each finest point exactly once, in every 10 s slot
        # that holds one, the last (still open) included. Coarse slots reopened by the WAL
        # replay are derived from the stored fine slots after the flush that follows the
        # replay, so they may lag the fine data by that flush: wait for them (bounded).
        coarse = {"from": "-2h", "until": str(base + LINES // SERIES + 1)}

        def coarse_mismatches() -> tuple[list, int]:
            bad, checked = [], 0
            for series in _readable(again, "crash.*", coarse):
                s = int(series["target"].rsplit("s", 1)[1])
                for value, ts in series["datapoints"]:
                    held = [v for v in ((t - base) * SERIES + s for t in range(ts, ts + 10)) if v in values]
                    if held:
                        checked += 1
                        if value != sum(held):
                            bad.append(f"{series['target']} 10 s slot base+{ts - base}: {value} != {sum(held)}")
            return bad, checked

        deadline = time.monotonic() + 30
        bad, checked = coarse_mismatches()
        while bad and time.monotonic() < deadline:
            time.sleep(0.3)
            bad, checked = coarse_mismatches()
        assert not bad, bad[:5]
        assert checked > 0
    finally:
        assert again.stop() == 0, again.log()


def _until_counter(srv, name: str, at_least: float, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while _counter(srv, name) < at_least:
        assert time.monotonic() < deadline, f"{name} stayed below {at_least}"
        time.sleep(0.05)


def test_kill9_right_after_a_flush_keeps_the_open_coarse_slot_whole(tmp_path):
    """Open coarse slots are written only every rollup_provisional_interval; the finest slots
    at every flush. A kill -9 right after a flush that wrote only the finest slots, of a series
    that then sends nothing more: after the restart its open minute must still count every
    point (the WAL kept the points since the coarse slots were last written, and the restart
    derives the slot from them). It held only what the last coarse write had, for good."""
    (tmp_path / "schemas.conf").write_text("[default]\npattern = .*\nretentions = 1s:1h,60s:1d\n")
    (tmp_path / "aggregation.conf").write_text(AGGREGATION)
    (tmp_path / "tsstore.toml").write_text("rollup_provisional_interval = 3600\n")
    conf = ["--schemas-file", str(tmp_path / "schemas.conf"), "--aggregation-file", str(tmp_path / "aggregation.conf"),
            "--config", str(tmp_path / "tsstore.toml"), "--self-metrics-interval", "0", "--flush-interval", "0.3"]
    data = tmp_path / "data"
    minute = (int(time.time()) - 600) // 60 * 60  # an old minute: its slot stays open until a later point
    srv = ServerProcess(data, *conf).start()

    def send(lines: str) -> None:
        with socket.create_connection(("127.0.0.1", srv.carbon_port), timeout=10) as sock:
            sock.sendall(lines.encode())

    try:
        for half in range(2):  # 10 points, flushed; then 10 more, flushed (the finest slots only, at the latest)
            send("".join(f"gap.series 1 {minute + 10 * half + i}\n" for i in range(10)))
            _until_counter(srv, "points.written", 10 * (half + 1))
        for i in range(3):  # other series go on: the WAL moves on to newer files, and the flushes trim it
            send(f"gap.other 1 {int(time.time())}\n")
            _until_counter(srv, "points.received", 21 + i)
            time.sleep(0.7)
    finally:
        srv.kill9()
    for clean_stop in (True, False):  # restarted, stopped cleanly (a final flush), then read
        again = ServerProcess(data, *conf).start()
        try:
            if not clean_stop:
                body = _readable(again, "gap.series", {"from": "-2h", "until": str(minute + 60)})
                assert [v for v, ts in body[0]["datapoints"] if ts == minute] == [20.0], body
        finally:
            assert again.stop() == 0, again.log()


def test_a_long_coarse_interval_does_not_fill_the_wal(tmp_path):
    """The WAL is kept back to the last write of the open coarse slots; with a long
    rollup_provisional_interval they are written early once the WAL holds a quarter of its
    budget, so it is trimmed and no point is refused (it filled and refused them)."""
    (tmp_path / "tsstore.toml").write_text("rollup_provisional_interval = 3600\n")
    (tmp_path / "schemas.conf").write_text(SCHEMAS)  # 1 s slots: every point is a slot written
    srv = ServerProcess(tmp_path / "data", "--config", str(tmp_path / "tsstore.toml"), "--self-metrics-interval", "0",
                        "--schemas-file", str(tmp_path / "schemas.conf"), "--flush-interval", "0.3",
                        "--wal-max-bytes", str(2**20)).start()
    try:
        base = int(time.time()) - 3000
        batch = 10_000  # about 240 KB of WAL; 12 of them are three times its budget
        for b in range(12):
            lines = "".join(f"walbudget.s{i % 100:02d} {i} {base + b * 100 + i // 100}\n" for i in range(batch))
            with socket.create_connection(("127.0.0.1", srv.carbon_port), timeout=10) as sock:
                sock.sendall(lines.encode())
            _until_counter(srv, "points.written", batch * (b + 1))
        counters = httpx.get(srv.url + "/tsstore/status", timeout=5).json()["counters"]
        assert counters.get("dropped.wal_full", 0) == 0 and counters["points.received"] == 12 * batch
        assert counters["wal.files_trimmed"] > 0 and counters["wal.bytes"] < 2**20
    finally:
        assert srv.stop() == 0, srv.log()


def _new_series_sender(port: int, base: int, stop: threading.Event, sent: list, lines: int):
    """Line i is a new series, behind.g<i // 1000>.s<i>, at base with value i, about 25k a second."""
    _stream(port, lambda i: f"behind.g{i // 1000:03d}.s{i:06d} {i} {base}\n", lines, 0.02, stop, sent)


@pytest.mark.slow
def test_kill9_while_new_series_are_written_behind_loses_none(tmp_path):
    """The ingest answers new series before their rows are in the store
    (tsstore.store.creation_behind): a kill -9 while some are pending loses none of their
    acknowledged points (the WAL is trimmed only past points whose series are written)."""
    lines = 60_000
    data = tmp_path / "data"
    base = int(time.time()) - 600
    # flushes while creations are pending: each waits until its series are in the store
    srv = ServerProcess(data, "--self-metrics-interval", "0", "--flush-interval", "0.5").start()
    stop, sent = threading.Event(), [0]
    sender = threading.Thread(target=_new_series_sender, args=(srv.carbon_port, base, stop, sent, lines))
    sender.start()
    pending_seen = 0
    try:
        deadline = time.monotonic() + 60
        acknowledged = 0
        while (acknowledged < 15_000 or not pending_seen) and time.monotonic() < deadline and sent[0] < lines:
            status = httpx.get(srv.url + "/tsstore/status", timeout=5).json()["counters"]
            acknowledged, pending_seen = status.get("points.received", 0), status.get("series.pending_creation", 0)
        assert pending_seen, "no series creation was pending before the kill: the test proves nothing"
        assert sent[0] < lines, "the stream finished before the kill: the test proves nothing"
        srv.kill9()
    finally:
        stop.set()
        sender.join(30)
        if srv.proc.poll() is None:
            srv.kill9()

    again = ServerProcess(data, "--self-metrics-interval", "0").start()
    try:
        def readable_values() -> set:
            values = set()
            for group in range(sent[0] // 1000 + 1):
                for series in _readable(again, f"behind.g{group:03d}.*", {"from": str(base - 60), "until": str(base + 60)}):
                    i = int(series["target"].rsplit(".s", 1)[1])
                    got = [v for v, _ in series["datapoints"] if v is not None]
                    assert got in ([], [i]), f"{series['target']} holds {got}"  # [] while the WAL is replayed
                    if got:
                        values.add(i)
            return values

        values = _until_prefix_readable(readable_values, acknowledged)
        print(f"killed with {pending_seen:.0f} series pending creation, {acknowledged:.0f} acknowledged points "
              f"(sender at {sent[0]}); {len(values)} readable after restart")
        assert len(values) >= acknowledged, f"only {len(values)} of {acknowledged:.0f} acknowledged points are readable"
        assert values == set(range(len(values)))  # a prefix of the stream, as TCP and the WAL keep order
    finally:
        assert again.stop() == 0, again.log()
