"""End to end on the embedded store: carbon senders in, Graphite HTTP API out, one server."""
import asyncio
import socket
import threading
import time

import httpx
import pytest

from tests.helpers.servers import free_port, pickle_frame, send_tcp, send_udp, wait_for
from tsstore.config import Settings
from tsstore.ingest import flusher
from tsstore.server import Server
from tsstore.store.embedded import EmbeddedStore

SCHEMAS = """
[default]
pattern = .*
retentions = 10s:1h,60s:1d
"""
AGGREGATION = """
[counts]
pattern = \\.count$
xFilesFactor = 0
aggregationMethod = sum

[default]
pattern = .*
xFilesFactor = 0
aggregationMethod = average
"""


def _settings(tmp_path, **overrides) -> Settings:
    (tmp_path / "schemas.conf").write_text(SCHEMAS)
    (tmp_path / "aggregation.conf").write_text(AGGREGATION)
    base = dict(
        data_dir=str(tmp_path / "data"),
        schemas_file=str(tmp_path / "schemas.conf"),
        aggregation_file=str(tmp_path / "aggregation.conf"),
        carbon_port=free_port(),
        pickle_port=free_port(),
        http_port=free_port(),
        flush_interval=0.2,
        rollup_provisional_interval=0.2,
        self_metrics_interval=0,
    )
    base.update(overrides)
    return Settings(**base)


@pytest.fixture
async def server(tmp_path):
    srv = Server(_settings(tmp_path))
    await srv.start()
    yield srv
    await srv.stop()


def _base() -> int:
    """A timestamp 10 minutes ago on a whole minute, so slots are easy to reason about."""
    return (int(time.time()) - 600) // 60 * 60


async def render(srv, target, **params) -> list:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{srv.ports['http']}") as client:
        resp = await client.get("/render", params={"target": target, "format": "json", **params})
        assert resp.status_code == 200, resp.text
        return resp.json()


def points(series: dict) -> dict[int, float]:
    """{timestamp: value} of the non-null datapoints."""
    return {ts: v for v, ts in series["datapoints"] if v is not None}


async def wait_points(srv, target, count, **params):
    async def enough():
        got = await render(srv, target, **params)
        return got if sum(len(points(s)) for s in got) >= count else None

    return await wait_for(enough, what=f"{count} points of {target}")


async def test_plaintext_points_are_readable_in_their_slots(server):
    base = _base()
    lines = "".join(f"servers.web0{h}.cpu.user {h * 10 + i} {base + i * 10}\n" for h in (1, 2) for i in range(6))
    send_tcp(server.ports["carbon"], lines.encode())
    got = await wait_points(server, "servers.*.cpu.user", 12, **{"from": str(base - 60), "until": str(base + 120)})
    assert [s["target"] for s in got] == ["servers.web01.cpu.user", "servers.web02.cpu.user"]
    assert points(got[0]) == {base + i * 10: float(10 + i) for i in range(6)}
    assert points(got[1]) == {base + i * 10: float(20 + i) for i in range(6)}
    # the series step is the finest rollup (10 s), nulls in between slots that got no point
    stamps = [ts for _, ts in got[0]["datapoints"]]
    assert all(b - a == 10 for a, b in zip(stamps, stamps[1:]))


async def test_resent_points_change_nothing_and_last_write_wins(server):
    base = _base()
    port = server.ports["carbon"]
    send_tcp(port, f"a.resend 1 {base}\na.resend 2 {base + 10}\n".encode())
    send_tcp(port, f"a.resend 1 {base}\na.resend 2 {base + 10}\n".encode())  # a reconnecting sender
    send_tcp(port, f"a.resend 5 {base + 13}\n".encode())  # same 10 s slot as base+10: replaces it
    rng = {"from": str(base - 10), "until": str(base + 30)}

    async def settled():
        got = await render(server, "a.resend", **rng)
        return got and points(got[0]) == {base: 1.0, base + 10: 5.0}

    await wait_for(settled, what="last write wins")


async def test_udp_datagram_with_several_lines(server):
    base = _base()
    send_udp(server.ports["carbon"], f"udp.a 1 {base}\nudp.a 2 {base + 10}\r\nudp.a 3 {base + 20}".encode())
    got = await wait_points(server, "udp.a", 3, **{"from": str(base - 10), "until": str(base + 30)})
    assert points(got[0]) == {base: 1.0, base + 10: 2.0, base + 20: 3.0}


@pytest.mark.parametrize("protocol", [0, 2, 5])
async def test_pickle_frames(server, protocol):
    base = _base()
    items = [(f"pickled.p{protocol}", (base + i * 10, float(i))) for i in range(3)]
    frame = pickle_frame(items, protocol)
    send_tcp(server.ports["pickle"], frame + frame)  # two frames back to back
    got = await wait_points(server, f"pickled.p{protocol}", 3, **{"from": str(base - 10), "until": str(base + 30)})
    assert points(got[0]) == {base: 0.0, base + 10: 1.0, base + 20: 2.0}


async def test_bad_lines_are_counted_and_the_connection_survives(server):
    base = _base()
    garbage = (
        b"only.two 1\n"
        b"four fields here 1 2\n"
        b"bad.value abc " + str(base).encode() + b"\n"
        b"bad.ts 1 notatime\n"
        b"\xff\xfe.bad.utf8 1 " + str(base).encode() + b"\n"
        b"nan.value nan " + str(base).encode() + b"\n"
        + b"x" * 20000 + b" 1 1\n"
    )
    with socket.create_connection(("127.0.0.1", server.ports["carbon"])) as sock:
        sock.sendall(garbage)
        sock.sendall(f"after.garbage 7 {base}\n".encode())  # same connection, still served
    got = await wait_points(server, "after.garbage", 1, **{"from": str(base - 10), "until": str(base + 10)})
    assert points(got[0]) == {base: 7.0}
    counters = server.pipeline.counters
    assert counters.get("lines.bad_field_count") == 2
    assert counters.get("lines.bad_value") == 1
    assert counters.get("lines.bad_timestamp") == 1
    assert counters.get("lines.bad_utf8") == 1
    assert counters.get("lines.line_too_long") == 1
    assert counters.get("lines.nan_values") == 1
    found = await render(server, "nan.value", **{"from": str(base - 10), "until": str(base + 10)})
    assert found == []  # a NaN value is dropped silently, as carbon does: no series is created


async def test_coarse_rollup_uses_the_aggregation_method(server):
    base = _base()
    lines = "".join(f"app.requests.count 2 {base + i * 10}\napp.latency {i} {base + i * 10}\n" for i in range(6))
    send_tcp(server.ports["carbon"], lines.encode())
    await wait_points(server, "app.latency", 6, **{"from": str(base - 10), "until": str(base + 60)})
    # from two hours back is older than the 1 h finest retention: the 60 s rollup answers
    rng = {"from": "-2h", "until": str(base + 60)}

    async def coarse():
        got = await render(server, "app.latency", **rng) + await render(server, "app.requests.count", **rng)
        return got if len(got) == 2 and all(points(s).get(base) is not None for s in got) else None

    got = await wait_for(coarse, what="the 60 s rollup")
    by_name = {s["target"]: points(s) for s in got}
    assert by_name["app.latency"][base] == pytest.approx(2.5)  # average of 0..5
    assert by_name["app.requests.count"][base] == 12.0  # sum of six 2s
    steps = {s["target"]: s["datapoints"][1][1] - s["datapoints"][0][1] for s in got}
    assert set(steps.values()) == {60}


async def test_tagged_series_are_stored_canonically_and_kept_out_of_the_tree(server):
    base = _base()
    send_tcp(server.ports["carbon"], f"disk.used;rack=a1;datacenter=dc1 5 {base}\n".encode())

    async def stored():
        return await server.store.get_series(["disk.used;datacenter=dc1;rack=a1"])

    await wait_for(stored, what="the canonical tagged series")
    assert [n.path for n in await server.store.find("*")] == []


async def test_stop_flushes_everything_to_the_store(tmp_path):
    settings = _settings(tmp_path, flush_interval=3600)
    srv = Server(settings)
    await srv.start()
    base = _base()
    send_tcp(srv.ports["carbon"], "".join(f"flushed.on.stop {i} {base + i * 10}\n" for i in range(5)).encode())

    async def received():
        return srv.pipeline.counters.get("points.received") >= 5

    await wait_for(received, what="5 points received")
    await srv.stop()
    store = EmbeddedStore(settings.data_dir)
    await store.open()
    try:
        slots = await store.read("flushed.on.stop", 0, 10, base, base + 60)
        assert slots.ts.tolist() == [base + i * 10 for i in range(5)]
        assert slots.values[:, 0].tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]
    finally:
        await store.close()


async def test_pickle_elements_with_bad_timestamps_are_counted(server):
    base = _base()
    items = [("pk.bad", (1e300, 1.0)), ("pk.bad", (float("nan"), 1.0)), ("pk.good", (base, 2.0)), ("pk.good", (base + 10, float("nan")))]
    send_tcp(server.ports["pickle"], pickle_frame(items))
    got = await wait_points(server, "pk.good", 1, **{"from": str(base - 10), "until": str(base + 20)})
    assert points(got[0]) == {base: 2.0}
    assert server.pipeline.counters.get("pickle.bad_timestamp") == 2
    assert server.pipeline.counters.get("pickle.nan_values") == 1


@pytest.mark.parametrize("store", ["embedded", pytest.param("cassandra", marks=pytest.mark.cassandra)])
async def test_late_points_and_a_restart_keep_the_coarse_rollup_exact(tmp_path, request, store):
    """Late points re-derive closed 60 s slots from the stored 10 s slots, several slots of the
    same series in one flush (they once overwrote each other); after a restart whose WAL replay
    reopens those completed slots, and more points into the minute that was open, every 60 s
    slot still equals the average of the latest 10 s values. Many series at once, on the
    embedded store and on Cassandra."""
    extra = {} if store == "embedded" else {"store": request.getfixturevalue("cassandra_url")}
    base = _base()
    names = [f"late.s{i:03d}.value" for i in range(40)]
    fine = {n: {base + k * 10: float(i + k) for k in range(18)} for i, n in enumerate(names)}
    coarse_rng = {"from": "-2h", "until": str(base + 179)}

    def want(minutes):
        return {n: [sum(v for t, v in fine[n].items() if m <= t < m + 60) / 6 for m in minutes] for n in names}

    async def coarse_equals(srv, minutes):
        async def check():
            got = await render(srv, "late.*.value", **coarse_rng)
            have = {s["target"]: [points(s).get(m) for m in minutes] for s in got}
            return have if have == want(minutes) else None
        await wait_for(check, timeout=30, what="the 60 s rollup to equal the 10 s average")

    first = Server(_settings(tmp_path, **extra))
    await first.start()
    try:
        # minutes 0-2 in order, then late rewrites into minutes 0 and 1 (closed coarse slots)
        send_tcp(first.ports["carbon"], "".join(f"{n} {fine[n][t]} {t}\n" for n in names for t in sorted(fine[n])).encode())
        await wait_points(first, names[-1], 18, **{"from": str(base - 10), "until": str(base + 180)})
        send_tcp(first.ports["carbon"], "".join(f"{n} 100 {base + 10}\n{n} 200 {base + 70}\n" for n in names).encode())
        for n in names:
            fine[n].update({base + 10: 100.0, base + 70: 200.0})
        await coarse_equals(first, (base, base + 60))
    finally:
        await first.stop()
    # restart (the WAL still holds the late points), then more points inside minute 2
    second = Server(_settings(tmp_path, **{**extra, "carbon_port": free_port(), "http_port": free_port()}))
    await second.start()
    try:
        send_tcp(second.ports["carbon"], "".join(f"{n} 300 {base + 150}\n{n} 0 {base + 190}\n" for n in names).encode())
        for n in names:
            fine[n][base + 150] = 300.0
        await coarse_equals(second, (base, base + 60, base + 120))
    finally:
        await second.stop()


async def _status(srv) -> dict:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{srv.ports['http']}") as client:
        return (await client.get("/tsstore/status")).json()["counters"]


async def test_udp_datagrams_the_kernel_dropped_are_counted(server):
    """The loop is held while a burst of datagrams arrives: the kernel drops what its buffer
    cannot hold, and udp.kernel_drops says how many."""
    before = await _status(server)
    assert before["udp.kernel_drops"] == 0 and before["udp.receive_buffer_bytes"] > 0
    line = b"udp.burst.x 1 %d\n" % int(time.time()) + b"#" * 1400  # ~1.4 KB each
    sent = 0
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        # the listener cannot read while this coroutine holds the loop
        while sent < 20_000:
            sock.sendto(line, ("127.0.0.1", server.ports["udp"]))
            sent += 1
    after = await _status(server)
    assert 0 < after["udp.kernel_drops"] < sent


async def test_status_gauges_are_current_when_read(server):
    send_tcp(server.ports["carbon"], b"".join(b"gauge.now.s%d 1 %d\n" % (i, int(time.time())) for i in range(7)))

    async def received():
        return (await _status(server)).get("points.received", 0) >= 7

    await wait_for(received, what="the points to be taken")
    status = await _status(server)  # self-metrics are off: only a read-time refresh can set these
    assert status["series.known"] >= 7 and "queue.pending_points" in status and status["wal.bytes"] > 0


async def test_status_shows_what_the_series_structures_take(server):
    """memory.*: the process's RSS and what the name registry, the rollup state and the filter
    of the names the store holds allocated; they grow with the series received and stay
    within the RSS."""
    before = await _status(server)
    now = int(time.time())
    send_tcp(server.ports["carbon"], b"".join(b"memory.gauge.s%d 1 %d\n" % (i, now) for i in range(30_000)))

    async def applied():  # the rollup state grows as points are applied
        return (await _status(server)).get("aggregator.points", 0) >= before.get("aggregator.points", 0) + 30_000

    await wait_for(applied, what="the points to be applied")
    after = await _status(server)
    for key in ("memory.registry_bytes", "memory.rollup_state_bytes"):
        assert after[key] - before[key] >= 30_000 * 20, key  # each series holds at least its name and open slot
    assert after["memory.name_filter_bytes"] - before["memory.name_filter_bytes"] >= 30_000 * 8  # a hash per name
    parts = (after["memory.registry_bytes"] + after["memory.rollup_state_bytes"] + after["memory.rows_held_bytes"]
             + after["memory.name_filter_bytes"])
    assert 0 < parts < after["memory.rss_bytes"]


async def test_many_pickle_frames_in_one_burst_are_decoded_in_order(server):
    """Frames are decoded off the loop with the connection paused past a few queued: every
    frame is taken, in the order sent (the last value of a slot wins)."""
    ts = _base()
    frames = b"".join(pickle_frame([("burst.order", (ts, float(i))), (f"burst.n{i}", (ts, 1.0))]) for i in range(60))
    send_tcp(server.ports["pickle"], frames)

    async def all_taken():
        return (await _status(server)).get("pickle.points", 0) >= 120

    await wait_for(all_taken, what="every frame's points")
    await server.pipeline._committer.wait_empty()

    async def settled():  # after the flush that follows the last frame
        flushed = server.pipeline.applied_since_flush == 0  # before the read: the read then shows it
        got = await render(server, "burst.order", **{"from": str(ts - 60), "until": str(ts + 60)})
        return flushed and got and points(got[0])

    assert await wait_for(settled, what="the slot after the last flush") == {ts: 59.0}


async def test_a_flush_started_mid_burst_does_not_hold_the_consumer_back(tmp_path, monkeypatch):
    """The consumer applies a run of records without yielding. When one of them makes the
    flusher full, the flush it starts must take the applied rows at once: the next records
    are applied (and readable) while the store is still writing, and the consumer waits only
    once as many points again were applied (it waited for the whole flush at the next record)."""
    monkeypatch.setattr(flusher, "FLUSH_POINTS", 300)
    monkeypatch.setattr(flusher, "FLUSH_POINTS_PER_SERIES", 0)
    srv = Server(_settings(tmp_path, flush_interval=600, rollup_provisional_interval=600))
    await srv.start()
    store_busy = threading.Event()
    try:
        ts, names = _base(), [f"burst.flush.s{i}" for i in range(10)]
        send_tcp(srv.ports["carbon"], b"".join(b"%s 0 %d\n" % (n.encode(), ts) for n in names))
        await wait_points(srv, "burst.flush.*", 10)  # the series exist: configuring needs no store
        consumer, committer = srv.pipeline._consumer, srv.pipeline._committer
        srv.store._writer.submit(store_busy.wait)  # a flush started now cannot end
        async with consumer.applying:  # the records queue up, to be applied as one run
            for batch in range(5):  # 500 points in 5 records: the third makes the flusher full
                send_tcp(srv.ports["carbon"], b"".join(
                    b"%s %d %d\n" % (n.encode(), batch * 10 + k, ts + 10 * (batch * 10 + k + 1))
                    for n in names for k in range(10)))
                await wait_for(lambda: _committed(committer, consumer, 100 * (batch + 1)), what="the records")
        got = await wait_points(srv, "burst.flush.*", 10 + 500, **{"from": str(ts - 10), "until": str(ts + 600)})
        assert sorted(len(points(s)) for s in got) == [51] * 10
        assert srv.pipeline._flusher.running  # the flush is still held up by the store
    finally:
        store_busy.set()
        await srv.stop()


async def test_while_a_flush_is_held_up_the_consumer_applies_until_two_flushes_of_rows(tmp_path, monkeypatch):
    """A flush the store holds up (a slow first flush after a burst of new series, an outage)
    does not stop the consumer once a flush's worth of points arrived after it began: points
    go on being applied, and readable, until the aggregator holds HELD_FLUSHES flushes' worth
    of rows; then it waits, and the WAL keeps the rest until the store takes the flush."""
    monkeypatch.setattr(flusher, "FLUSH_POINTS", 300)
    monkeypatch.setattr(flusher, "FLUSH_POINTS_PER_SERIES", 0)
    srv = Server(_settings(tmp_path, flush_interval=1, rollup_provisional_interval=600))
    await srv.start()
    store_busy = threading.Event()
    pipeline = srv.pipeline
    ts, names = _base() - 1200, [f"held.flush.s{i}" for i in range(10)]  # 1,000 s of points, all past

    async def send(first: int, last: int):  # a record of each slot's points
        for k in range(first, last + 1, 10):
            received = pipeline.counters.get("points.received") + 10 * len(range(k, min(k + 10, last + 1)))
            send_tcp(srv.ports["carbon"], b"".join(b"%s %d %d\n" % (n.encode(), j, ts + 10 * j)
                                                   for j in range(k, min(k + 10, last + 1)) for n in names))

            async def in_the_wal(received=received):
                return pipeline.counters.get("points.received") >= received

            await wait_for(in_the_wal, what="the record")

    try:
        await send(0, 0)
        await wait_points(srv, "held.flush.*", 10, **{"from": str(ts - 10), "until": str(ts + 1100)})
        srv.store._writer.submit(store_busy.wait)  # from now on a flush cannot end
        await send(1, 1)  # the next flush (every second) takes these and waits for the store
        await asyncio.sleep(1.5)
        assert pipeline._flusher.running
        await send(2, 41)  # 400 points after the flush began: a flush's worth, and room left
        await wait_points(srv, "held.flush.*", 10 * 42, **{"from": str(ts - 10), "until": str(ts + 1100)})
        await send(42, 100)  # past two flushes' worth of rows: the consumer waits

        async def at_the_limit():
            return pipeline.aggregator.rows_held >= 600

        await wait_for(at_the_limit, what="two flushes' worth of rows held")
        await asyncio.sleep(0.5)
        held = pipeline.aggregator.rows_held
        assert held < 1000, held  # not all 1,010 points (and their closed minutes): it waits
        await asyncio.sleep(0.3)
        assert pipeline.aggregator.rows_held == held
        store_busy.set()
        got = await wait_points(srv, "held.flush.*", 10 * 101, **{"from": str(ts - 10), "until": str(ts + 1100)})
        assert all(points(s) == {ts + 10 * k: float(k) for k in range(101)} for s in got)
    finally:
        store_busy.set()
        await srv.stop()


async def test_a_slow_flush_makes_room_for_the_consumer_as_it_writes_its_parts(tmp_path, monkeypatch):
    """At the limit of rows held the consumer waits only until the running flush has written
    and released some of its parts, not until that flush ends: a slow first flush after a
    burst (24 s at a million new series) no longer holds every point behind it that long."""
    monkeypatch.setattr(flusher, "FLUSH_POINTS", 300)
    monkeypatch.setattr(flusher, "FLUSH_POINTS_PER_SERIES", 0)
    monkeypatch.setattr(flusher, "FLUSH_PART_ROWS", 8)  # parts of a few series
    srv = Server(_settings(tmp_path, flush_interval=1, rollup_provisional_interval=600))
    await srv.start()
    pipeline = srv.pipeline
    assert pipeline._flusher.store is srv.store
    ts, names = _base() - 1200, [f"room.flush.s{i}" for i in range(10)]
    window = {"from": str(ts - 10), "until": str(ts + 1100)}
    writes_allowed = asyncio.Semaphore(0)
    write_batch = srv.store.write_batch

    async def one_write_at_a_time(batch):  # the store takes a write only when the test allows it
        await writes_allowed.acquire()
        await write_batch(batch)

    async def readable() -> int:
        return sum(len(points(s)) for s in await render(srv, "room.flush.*", **window))

    try:
        send_tcp(srv.ports["carbon"], b"".join(b"%s 0 %d\n" % (n.encode(), ts) for n in names))
        await wait_points(srv, "room.flush.*", 10, **window)
        srv.store.write_batch = one_write_at_a_time  # from now on each write waits for the test
        for k in range(1, 101, 10):  # a record of ten slots' points at a time
            received = pipeline.counters.get("points.received") + 100
            send_tcp(srv.ports["carbon"], b"".join(b"%s %d %d\n" % (n.encode(), j, ts + 10 * j)
                                                   for j in range(k, k + 10) for n in names))

            async def in_the_wal(received=received):
                return pipeline.counters.get("points.received") >= received

            await wait_for(in_the_wal, what="the record")

        async def at_the_limit():
            return pipeline.aggregator.rows_held >= 600

        await wait_for(at_the_limit, what="two flushes' worth of rows held")
        await asyncio.sleep(0.5)
        at_limit = await readable()
        assert at_limit < 1010  # the consumer waits
        flush_ended = pipeline._flusher.flushed  # set when the flush under way ends

        async def more_readable():
            return await readable() > at_limit

        for _ in range(40):  # one write at a time, each given a second to make room
            writes_allowed.release()
            try:
                await wait_for(more_readable, timeout=1.0, interval=0.05)
                break
            except AssertionError:
                continue
        assert await more_readable(), "no point applied after the flush's writes"
        assert not flush_ended.is_set()  # made readable before the flush ended
        for _ in range(10_000):
            writes_allowed.release()
        got = await wait_points(srv, "room.flush.*", 1010, **window)
        assert all(points(s) == {ts + 10 * k: float(k) for k in range(101)} for s in got)
    finally:
        srv.store.write_batch = write_batch
        for _ in range(10_000):
            writes_allowed.release()
        await srv.stop()


async def _committed(committer, consumer, count: int) -> bool:
    return committer.pending_points == 0 and consumer.live.points >= count


async def test_a_flush_in_parts_writes_every_series_and_keeps_what_arrives_meanwhile(tmp_path, monkeypatch):
    """A flush takes its series a few at a time (parts of FLUSH_PART_ROWS rows). Points that
    arrive while it writes are applied and readable at once; those of series whose part was
    already taken go to the next flush, the others into their part; the store ends up with
    every point and exact coarse slots."""
    monkeypatch.setattr(flusher, "FLUSH_PART_ROWS", 8)  # about one series a part
    monkeypatch.setattr(flusher, "FLUSH_POINTS", 150)
    monkeypatch.setattr(flusher, "FLUSH_POINTS_PER_SERIES", 0)
    settings = _settings(tmp_path, flush_interval=3600, rollup_provisional_interval=0)
    srv = Server(settings)
    await srv.start()
    store_busy = threading.Event()
    ts, names = _base(), [f"parts.flush.s{i:02d}" for i in range(30)]
    try:
        send_tcp(srv.ports["carbon"], b"".join(b"%s 1 %d\n" % (n.encode(), ts) for n in names))
        await wait_points(srv, "parts.flush.*", 30)  # the series exist
        srv.store._writer.submit(store_busy.wait)  # the flush about to start holds at its first write
        send_tcp(srv.ports["carbon"], b"".join(b"%s %d %d\n" % (n.encode(), k, ts + 10 * k)
                                               for k in range(1, 6) for n in names))  # 150: a flush starts
        async def flushing():
            return srv.pipeline._flusher.running

        await wait_for(flushing, what="the flush")
        send_tcp(srv.ports["carbon"], b"".join(b"%s %d %d\n" % (n.encode(), k, ts + 10 * k)
                                               for k in range(6, 9) for n in names))
        got = await wait_points(srv, "parts.flush.*", 30 * 9, **{"from": str(ts - 10), "until": str(ts + 120)})
        assert all(points(s) == {ts + 10 * k: float(k) for k in range(9)} | {ts: 1.0} for s in got)
        assert srv.pipeline._flusher.running
    finally:
        store_busy.set()
        await srv.stop()
    store = EmbeddedStore(settings.data_dir)
    await store.open()
    try:
        for name in names:
            fine = await store.read(name, 0, 10, ts, ts + 120)
            assert dict(zip(fine.ts.tolist(), fine.values[:, 0].tolist())) == {ts: 1.0} | {
                ts + 10 * k: float(k) for k in range(1, 9)}, name
            minute = await store.read(name, 1, 60, ts, ts + 120)  # SUM, COUNT, MIN, MAX, LAST of its finest slots
            assert minute.ts.tolist() == [ts, ts + 60], name
            assert minute.values.tolist() == [[16.0, 6.0, 1.0, 5.0, 5.0], [21.0, 3.0, 6.0, 8.0, 8.0]], name
    finally:
        await store.close()
