"""Whisper history in tsstore, compared with graphite-web reading the same whisper files:

* `imported.*`: whisper files of the default schema (10s:6h,1m:7d,10m:5y) with history older
  than the finest retention, several aggregation methods and xFilesFactors, a tagged series
  and a damaged file, brought in by `tsstore import-whisper` while `tsstore serve` runs on
  the data dir (so through its write channel); the running server answers at once.
* `sent.*`: the same points sent over the carbon protocol (what a replay does); points older
  than the finest retention land in the coarse rollups, and read back as whisper shows them.
Every range is compared, the coarse ones included."""
import asyncio
import shutil
import subprocess
import sys
import threading

import httpx
import pytest

from tests.compat import graphite_reference
from tests.compat.harness import GRAPHITE_MARKS, NOW, assert_same_render
from tests.helpers.servers import free_port, send_tcp, wait_for
from tsstore.config import Settings
from tsstore.server import Server

pytestmark = GRAPHITE_MARKS

ARCHIVES = [[10, 2160], [60, 10080], [600, 262800]]  # tsstore's default schema, as whisper archives
# name under the root -> (aggregationMethod, xFilesFactor) of its file
SERIES = {
    "web01.cpu.user": ("average", 0.5),
    "web02.cpu.user": ("average", 0.5),
    "web01.requests.count": ("sum", 0.0),
    "web01.latency.max": ("max", 0.1),
    "web01.latency.min": ("min", 0.1),
    "web01.queue.last": ("last", 0.5),
    "web01.gauge.zeroed": ("avg_zero", 0.5),
    "web01.swing.absmax": ("absmax", 0.5),
}
TAGGED = "disk.used;dc=dc1;host=web01"
# what carbon created those files with (the server's storage-aggregation.conf for `sent.*`)
AGGREGATION = "".join(f"[{name}]\npattern = \\.{name.rsplit('.', 1)[1]}$\nxFilesFactor = {xff}\naggregationMethod = {method}\n"
                      for name, (method, xff) in SERIES.items())


def _points(n: int) -> list[tuple[int, float]]:
    """Four hours of 10 s points, 1 min points from 8 h to 6 days old, 10 min points from 8 to
    60 days old; gaps everywhere (some coarse slots end up below xFilesFactor), and values of
    both signs."""
    pts = [(NOW - 4 * 3600 + i * 10, float((i * (n + 3)) % 41 - 12)) for i in range(4 * 360) if (i + n) % 7]
    pts += [(NOW - 8 * 3600 - i * 60, float((i * (n + 5)) % 53 - 20)) for i in range(0, 8200) if (i + n) % 5]
    pts += [(NOW - 8 * 86400 - i * 600, float((i * (n + 7)) % 31 - 9)) for i in range(0, 7400) if (i + n) % 3]
    return sorted(pts)


RANGES = {
    "hour": (NOW - 3600, NOW),
    "4h": (NOW - 5 * 3600, NOW),  # the finest archive
    "day": (NOW - 2 * 86400, NOW - 86400),  # 1 min archive, history sent straight to it
    "week": (NOW - 7 * 86400 + 600, NOW),  # 1 min archive, its whole retention
    "month": (NOW - 30 * 86400, NOW),  # 10 min archive
    "old": (NOW - 59 * 86400, NOW - 20 * 86400),
    "year": (NOW - 365 * 86400, NOW - 200 * 86400),  # nothing there
}


@pytest.fixture(scope="module")
def history_pair(tmp_path_factory):
    work = tmp_path_factory.mktemp("history")
    ref = graphite_reference.GraphiteReference(work / "graphite").start()
    items = []
    for root in ("imported", "sent"):
        for n, (name, (method, xff)) in enumerate(SERIES.items()):
            items.append({"path": f"{root}.{name}", "archives": ARCHIVES, "xff": xff, "method": method, "points": _points(n)})
    items.append({"path": TAGGED, "archives": ARCHIVES, "xff": 0.5, "method": "average", "points": _points(11)})
    ref.write_whisper(items)
    ref.tag_series([TAGGED])
    whisper_dir = ref.storage / "whisper"
    (whisper_dir / "imported" / "broken.wsp").write_bytes(b"\x00\x00\x00\x01" * 5)  # a truncated header

    (work / "aggregation.conf").write_text(AGGREGATION)
    # tsstore's default schema is the files'; the aggregation rules carbon created them with
    settings = Settings(data_dir=str(work / "tsstore"), aggregation_file=str(work / "aggregation.conf"), carbon_port=free_port(), pickle_port=0, http_port=free_port(),
                        flush_interval=0.2, rollup_provisional_interval=0.2, self_metrics_interval=0)
    loop = asyncio.new_event_loop()
    srv = Server(settings)
    loop.run_until_complete(srv.start())
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{settings.http_port}"
    sent = [i for i in items if i["path"].startswith("sent.")]
    send_tcp(srv.ports["carbon"], "".join(f"{i['path']} {v} {ts}\n" for i in sent for ts, v in i["points"]).encode())
    importer = subprocess.run(
        [sys.executable, "-m", "tsstore.cli", "import-whisper", str(whisper_dir / "imported"), "--prefix", "imported.",
         "--data-dir", settings.data_dir, "--workers", "2"], capture_output=True, text=True, timeout=300)
    # the tagged file alone, in a root of its own: the sent series' files stay out (imported over the
    # slots the server still holds, they would lose to the points it took from carbon first)
    tagged_root = work / "tagged-root"
    shutil.copytree(whisper_dir / "_tagged", tagged_root / "_tagged")
    tagged = subprocess.run(
        [sys.executable, "-m", "tsstore.cli", "import-whisper", str(tagged_root), "--data-dir", settings.data_dir,
         "--done-file", str(work / "tagged.done")], capture_output=True, text=True, timeout=300)

    total = sum(len(i["points"]) for i in sent)

    async def stored():
        return srv.pipeline.counters.get("points.received") >= total and srv.pipeline.applied_since_flush == 0

    future = asyncio.run_coroutine_threadsafe(wait_for(stored, timeout=120, what="tsstore to store the sent points"), loop)
    future.result(150)
    yield ref, url, importer, tagged, work
    loop.call_soon_threadsafe(loop.stop)
    thread.join(30)
    loop.run_until_complete(srv.stop())
    loop.close()
    ref.stop()


def test_import_goes_through_the_running_server_and_names_the_bad_file(history_pair):
    importer = history_pair[2]
    assert importer.returncode == 1, importer.stderr  # one file failed
    assert "the running server of" in importer.stderr
    assert "broken.wsp: truncated header" in importer.stderr
    assert f"{len(SERIES)} files" in importer.stderr.splitlines()[-2]


# Averages whose 10 min slots tsstore builds from 10 s points with gaps: graphite-web shows the
# average of the minutes' averages, tsstore the exact average (COMPATIBILITY.md, first table);
# test_coarse_averages_sent_over_carbon_are_exact checks those against the points.
EXACT_NOT_WHISPER = {(f"sent.{name}", "month") for name, (method, _) in SERIES.items() if method == "average"}


@pytest.mark.parametrize("target", [f"imported.{name}" for name in SERIES] + [f"sent.{name}" for name in SERIES])
@pytest.mark.parametrize("rng", list(RANGES))
def test_render_every_range_as_graphite_web(history_pair, target, rng):
    ref, url = history_pair[:2]
    start, until = RANGES[rng]
    if (target, rng) in EXACT_NOT_WHISPER:
        until = NOW - 4 * 3600 - 600  # before the 10 s points: 10 min slots of sent 1 min points, equal to whisper's
    assert_same_render((ref, url), target, {"from": str(start), "until": str(until)})


@pytest.mark.parametrize("target", sorted(t for t, _ in EXACT_NOT_WHISPER))
def test_coarse_averages_sent_over_carbon_are_exact(history_pair, target):
    """The month view's 10 min slots over the sent 10 s points: the mean of the points in
    each slot, null where fewer than xFilesFactor of its 60 finest slots have one."""
    url = history_pair[1]
    n = list(SERIES).index(target.split(".", 1)[1])
    xff = SERIES[target.split(".", 1)[1]][1]
    start = NOW - 30 * 86400
    body = httpx.get(url + "/render", params={"target": target, "format": "json", "from": str(start),
                                               "until": str(NOW), "now": str(NOW)}, timeout=60).json()
    shown = {ts: v for v, ts in body[0]["datapoints"] if ts >= NOW - 4 * 3600}
    slots: dict[int, list[float]] = {}
    for ts, v in _points(n):
        if ts >= NOW - 4 * 3600:
            slots.setdefault(ts // 600 * 600, []).append(v)
    want = {slot: (sum(vs) / len(vs) if len(vs) / 60 >= xff else None) for slot, vs in slots.items()}
    assert len(want) == 24
    for slot, value in want.items():
        assert shown.get(slot) == pytest.approx(value), f"{target} slot {slot}"


@pytest.mark.parametrize("target", [
    "sumSeries(imported.web0*.cpu.user)",
    "summarize(imported.web01.requests.count, '1d', 'sum')",
    "averageSeries(sent.*.cpu.user)",
    "seriesByTag('name=disk.used')",
    "imported.web01.{latency,queue}.*",
])
@pytest.mark.parametrize("rng", ["4h", "week", "old"])
def test_render_functions_over_history_as_graphite_web(history_pair, target, rng):
    ref, url = history_pair[:2]
    start, until = RANGES[rng]
    assert_same_render((ref, url), target, {"from": str(start), "until": str(until)})


@pytest.mark.parametrize("query", ["*", "imported.*", "imported.web01.*", "imported.*.cpu.*", "sent.web01.latency.*",
                                   "imported.broken"])
def test_find_as_graphite_web(history_pair, query):
    ref, url = history_pair[:2]
    params = {"query": query, "format": "completer"}
    ours = httpx.get(url + "/metrics/find", params=params, timeout=30).json()["metrics"]
    theirs = ref.get("/metrics/find", params).json()["metrics"]
    # graphite-web lists the damaged file (it never opens it on find); tsstore did not import it
    theirs = [m for m in theirs if m["path"] != "imported.broken"]
    if query == "*":
        theirs = [m for m in theirs if m["path"] != "_tagged."]
    assert sorted(m["path"] for m in ours) == sorted(m["path"] for m in theirs)


def test_a_second_run_skips_what_was_imported(history_pair):
    ref, url, _, _, work = history_pair
    again = subprocess.run(
        [sys.executable, "-m", "tsstore.cli", "import-whisper", str(ref.storage / "whisper" / "imported"), "--prefix",
         "imported.", "--data-dir", str(work / "tsstore")], capture_output=True, text=True, timeout=120)
    assert f"{len(SERIES)} already imported" in again.stderr
    assert "importing 1 into" in again.stderr  # only the broken file is tried again
