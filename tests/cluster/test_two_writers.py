"""Two tsstore writers of the same series on the three-node cluster (tests/cluster/conftest.py),
one with its clock 5 s behind the other's (libfaketime), as a relay failover or a rebalance
makes them: the slots of every series alternate between the writers, and every third slot
reaches both (a relay sending to both). Afterwards a third process reads every finest point
back, and every coarse slot equal to the sum of the finest points in it. Other series get
different values from the two writers for the same slots: the writer with the higher writer
id wins every one of them, the one whose clock is behind (the id is the data dir's, not a
clock's). The sends cross a storage window two sends in: neither writer writes the first window
COMPACT_AFTER times, so only its compaction when the writes move on shows each the other's
rows there."""
from __future__ import annotations

import time
from collections import defaultdict
from pathlib import Path

import httpx
import pytest

from tests.helpers.servers import ServerProcess, send_tcp, wait_until
from tsstore.store.base import WINDOW_SLOTS
from tsstore.writer_id import FILE_NAME as WRITER_ID_FILE

pytestmark = [pytest.mark.cassandra, pytest.mark.cluster, pytest.mark.slow]

SCHEMAS = "[default]\npattern = .*\nretentions = 1s:2h,10s:1d\n"
AGGREGATION = "[default]\npattern = .*\nxFilesFactor = 0\naggregationMethod = sum\n"
SERIES = 40
CONFLICTED = 10  # series two.c*: every slot reaches both writers, with a different value from each
ROUNDS = 300  # one finest slot (1 s) each
ROUNDS_PER_SEND = 10  # sent every SEND_EVERY seconds: the writers flush and compact in between
SEND_EVERY = 1.0
FAKETIME = Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1")  # Debian's faketime


def value(s: int, r: int) -> float:
    return float(s * 1000 + r)


def writers_of(r: int) -> tuple[int, ...]:
    """Which writers get round r: the first, the second, or both (a third of the slots)."""
    return ((0,), (1,), (0, 1))[r % 3]


def _render(srv: ServerProcess, start: int, end: int) -> dict[tuple[str, int], float]:
    resp = httpx.get(srv.url + "/render", timeout=60,
                     params={"target": "two.*", "from": str(start), "until": str(end), "format": "json"})
    assert resp.status_code == 200, resp.text
    return {(s["target"], t): v for s in resp.json() for v, t in s["datapoints"] if v is not None}


def _written(srv: ServerProcess):
    c = httpx.get(srv.url + "/tsstore/status", timeout=10).json()["counters"]
    return c.get("points.written", 0) >= c.get("points.received", 0) > 0


def test_two_writers_of_the_same_series_one_clock_behind(cassandra_cluster, tmp_path):
    if not FAKETIME.exists():
        raise AssertionError(f"{FAKETIME} is missing: scripts/install-faketime (apt-get install faketime)")
    (tmp_path / "schemas.conf").write_text(SCHEMAS)
    (tmp_path / "aggregation.conf").write_text(AGGREGATION)
    url = cassandra_cluster.url("two_writers", "rf=3&consistency=LOCAL_QUORUM")
    conf = ["--store", url, "--schemas-file", str(tmp_path / "schemas.conf"), "--aggregation-file",
            str(tmp_path / "aggregation.conf"), "--flush-interval", "0.5", "--self-metrics-interval", "0"]
    # the writer whose clock is behind has the higher writer id (chosen in its data dir): by the
    # clocks it would lose
    for name, writer in (("ahead", 100), ("behind", 3000)):
        (tmp_path / name).mkdir()
        (tmp_path / name / WRITER_ID_FILE).write_text(f"{writer}\n")
    ahead = ServerProcess(tmp_path / "ahead", *conf).start(timeout=90)
    # libfaketime preloaded into tsstore itself (the faketime command would fork, and keep SIGTERM from it)
    behind = ServerProcess(tmp_path / "behind", *conf, wrapper=("env", f"LD_PRELOAD={FAKETIME}", "FAKETIME=-5s")).start(timeout=90)
    writers = (ahead, behind)
    # a window boundary (finest step 1 s) two sends in, the last round a minute or more ago,
    # the first less than the finest level's 2 h ago
    boundary = (int(time.time()) - ROUNDS - 60) // WINDOW_SLOTS * WINDOW_SLOTS
    base = boundary - 2 * ROUNDS_PER_SEND
    try:
        for first in range(0, ROUNDS, ROUNDS_PER_SEND):
            for w, srv in enumerate(writers):
                lines = "".join(f"two.s{s:02d} {value(s, r)} {base + r}\n" for r in range(first, first + ROUNDS_PER_SEND)
                                if w in writers_of(r) for s in range(SERIES))
                lines += "".join(f"two.c{s:02d} {value(s, r) + 1 + w} {base + r}\n"
                                 for r in range(first, first + ROUNDS_PER_SEND) for s in range(CONFLICTED))
                send_tcp(srv.carbon_port, lines.encode())
            time.sleep(SEND_EVERY)
        for srv in writers:
            wait_until(lambda srv=srv: _written(srv), timeout=60, what="every point written")
        rederived = [httpx.get(srv.url + "/tsstore/status", timeout=10).json()["counters"].get("rollup_slots.rederived", 0)
                     for srv in writers]
        print(f"coarse slots re-derived from the store: ahead {rederived[0]}, behind {rederived[1]}")
    finally:
        stopped = [srv.stop() for srv in writers]  # the final flushes: open coarse slots too
    assert stopped == [0, 0], [srv.log() for srv in writers]
    reader = ServerProcess(tmp_path / "reader", *conf).start(timeout=90)
    try:
        finest = _render(reader, base - 1, base + ROUNDS)
        want = {(f"two.s{s:02d}", base + r): value(s, r) for s in range(SERIES) for r in range(ROUNDS)}
        missing = sorted(set(want) - set(finest))
        assert not missing, f"{len(missing)} of {len(want)} finest points missing, e.g. {missing[:5]}"
        assert {k: finest[k] for k in want} == want
        # two values for every slot of two.c*: the higher writer id's (behind's, w=1) wins each
        want_conflicted = {(f"two.c{s:02d}", base + r): value(s, r) + 2 for s in range(CONFLICTED) for r in range(ROUNDS)}
        wrong = {k: (finest.get(k), v) for k, v in want_conflicted.items() if finest.get(k) != v}
        assert not wrong, f"{len(wrong)} of {len(want_conflicted)} conflicted slots not the higher writer id's (got, want), " \
                          f"e.g. {sorted(wrong.items())[:5]}"
        # from further back than the finest level keeps (2 h): the 10 s level, for the whole range
        coarse = _render(reader, int(time.time()) - 3 * 3600, int(time.time()))
        # each 10 s slot: the sum of the rounds in it (base need not be 10 s aligned)
        want_coarse: dict[tuple[str, int], float] = defaultdict(float)
        for r in range(ROUNDS):
            slot = (base + r) // 10 * 10
            for s in range(SERIES):
                want_coarse[(f"two.s{s:02d}", slot)] += value(s, r)
            for s in range(CONFLICTED):
                want_coarse[(f"two.c{s:02d}", slot)] += value(s, r) + 2
        wrong = {k: (coarse.get(k), v) for k, v in want_coarse.items() if coarse.get(k) != v}
        assert not wrong, f"{len(wrong)} of {len(want_coarse)} coarse slots differ from the sum of their finest " \
                          f"points (got, want), e.g. {sorted(wrong.items())[:5]}"
    finally:
        reader.stop()
