"""tsstore behind a graphite-web 1.1.8 frontend (CLUSTER_SERVERS = [tsstore]), the way a site
moves a graphite-web cluster onto tsstore: the frontend holds no data of its own and reads
everything through graphite-web's RemoteFinder (/metrics/find?format=pickle&local=1) and
RemoteReader (/render?format=pickle&local=1). What it answers must be what graphite-web over
the whisper files answers on the same data (the graphite_pair reference): finds, renders of
paths, globs and functions, and the PNG it draws."""
import json
import struct
import subprocess
import time

import httpx
import msgpack
import pytest

from tests.compat.graphite_reference import SYSTEM_PYTHON, GraphiteReference
from tests.compat.harness import GRAPHITE_MARKS, NOW, RANGES

pytestmark = GRAPHITE_MARKS


@pytest.fixture(scope="module")
def frontend(graphite_pair, tmp_path_factory):
    """(reference over whisper, frontend over tsstore, tsstore's host:port)."""
    ref, ours = graphite_pair
    host = ours.removeprefix("http://")
    front = GraphiteReference(tmp_path_factory.mktemp("frontend"), settings={
        "CLUSTER_SERVERS": [host],
        "INTRACLUSTER_HTTPS": False,
        "REMOTE_FIND_TIMEOUT": 10.0,  # the defaults (3 s, 6 s) are tight on a busy 2-core machine
        "REMOTE_FETCH_TIMEOUT": 20.0,
        # REMOTE_RETRY_DELAY stays graphite-web's 60 s, as at a site: a find tsstore refuses
        # takes it out of the cluster for that long and the renders after it come back empty
        # (when debugging, the first failing test is the one to read: log_tail() has why)
    }).start()
    yield ref, front, host
    front.stop()


def _get(url: str, path: str, params: dict) -> httpx.Response:
    return httpx.get(url + path, params=params, timeout=60)


def _without_tagged(nodes: list[dict], key: str) -> list[dict]:
    """graphite-web over whisper lists carbon's `_tagged` folder; tsstore never shows it
    (COMPATIBILITY.md), so neither does a frontend over tsstore."""
    return [n for n in nodes if n.get(key) != "_tagged"]


TREE_QUERIES = [
    {"query": "*"},
    {"query": "servers.*"},
    {"query": "servers.web01.*"},
    {"query": "servers.*.cpu.*"},
    {"query": "servers.{web01,db01}.c*", "wildcards": "1"},
    {"query": "servers.web01.*", "leavesOnly": "1", "from": str(NOW - 3600), "until": str(NOW)},
    {"query": "nothing.*"},
]


@pytest.mark.parametrize("params", TREE_QUERIES, ids=lambda p: "&".join(f"{k}={v}" for k, v in p.items()))
def test_find_treejson_through_the_frontend(frontend, params):
    ref, front, _ = frontend
    theirs, mine = _get(ref.url, "/metrics/find", params), _get(front.url, "/metrics/find", params)
    assert mine.status_code == theirs.status_code == 200, front.log_tail()
    assert mine.json() == _without_tagged(theirs.json(), "text")


@pytest.mark.parametrize("query", ["servers.*.cpu.u", "servers.web0", "servers..user", "*"])
def test_find_completer_through_the_frontend(frontend, query):
    ref, front, _ = frontend
    params = {"query": query, "format": "completer"}
    theirs, mine = _get(ref.url, "/metrics/find", params), _get(front.url, "/metrics/find", params)
    assert mine.status_code == theirs.status_code == 200, front.log_tail()
    theirs, mine = _without_tagged(theirs.json()["metrics"], "name"), mine.json()["metrics"]
    # both sort by name only; among equal names the order is the finder's (a directory listing
    # for whisper, a shuffle of remote results in graphite-web's store), so compare those as sets
    assert [m["name"] for m in mine] == [m["name"] for m in theirs]
    key = lambda m: (m["name"], m.get("path", ""))  # noqa: E731
    assert sorted(mine, key=key) == sorted(theirs, key=key)


def test_a_find_keeps_tsstore_in_the_cluster(frontend):
    """The issue's symptom: the frontend's finds ask tsstore for format=pickle; a refusal marked
    tsstore down for REMOTE_RETRY_DELAY and the next render came back empty."""
    ref, front, _ = frontend
    assert _get(front.url, "/metrics/find", {"query": "servers.web01.cpu.*"}).status_code == 200
    params = {"target": "servers.web01.cpu.user", "format": "json", "now": str(NOW), **RANGES["last-hour"]}
    mine = _get(front.url, "/render", params).json()
    assert [s["target"] for s in mine] == ["servers.web01.cpu.user"], front.log_tail()
    assert mine == _get(ref.url, "/render", params).json()


TARGETS = [
    "servers.web01.cpu.user",
    "servers.*.cpu.user",
    "servers.{web01,db01}.cpu.*",
    "servers.web0[12].cpu.system",
    "servers.web01.sparse",
    "sumSeries(servers.*.cpu.user)",
    "averageSeries(servers.*.cpu.system)",
    "maxSeries(servers.web0*.cpu.*)",
    "aliasByNode(servers.*.cpu.user, 1)",
    "highestMax(servers.*.cpu.*, 2)",
    "perSecond(servers.*.requests.count)",
    "summarize(servers.web01.requests.count, '10min', 'sum')",
    "movingAverage(servers.web01.cpu.user, '5min')",  # the frontend fetches 5 min before `from`
    "timeShift(servers.db01.cpu.user, '1h')",  # ... and a range an hour earlier
    "asPercent(servers.web01.cpu.user, servers.web01.cpu.system)",
    "seriesByTag('name=disk.used')",  # the frontend passes it to tsstore, which resolves the tags
]
FRONTEND_RANGES = ("last-hour", "absolute", "relative", "coarse")


@pytest.mark.parametrize("range_name", FRONTEND_RANGES)
@pytest.mark.parametrize("target", TARGETS)
def test_render_through_the_frontend(frontend, target, range_name):
    """The frontend's JSON equals the reference's: names, tags, timestamps and every value
    (both are graphite-web writing the same floats, so byte-for-byte equal JSON)."""
    ref, front, _ = frontend
    params = {"target": target, "format": "json", "now": str(NOW), **RANGES[range_name]}
    theirs, mine = _get(ref.url, "/render", params), _get(front.url, "/render", params)
    assert mine.status_code == theirs.status_code == 200, front.log_tail()
    assert theirs.json(), "the reference found no series: the case tests nothing"
    assert mine.json() == theirs.json()


def _png_size(body: bytes) -> tuple[int, int]:
    """(width, height) from the IHDR chunk of a PNG, after checking the signature."""
    assert body[:8] == b"\x89PNG\r\n\x1a\n", body[:60]
    length, kind = struct.unpack(">I4s", body[8:16])
    assert kind == b"IHDR" and length == 13
    return struct.unpack(">II", body[16:24])


@pytest.mark.parametrize("params", [
    {"target": "servers.web01.cpu.user", **RANGES["last-hour"]},
    {"target": ["servers.*.cpu.user", "sumSeries(servers.*.cpu.system)"], "width": "800", "height": "400",
     "title": "federated", **RANGES["coarse"]},
], ids=["one-series", "legend-coarse"])
def test_png_through_the_frontend(frontend, params):
    """The frontend draws the same picture as graphite-web over whisper: a valid PNG of the
    requested size, byte-for-byte the reference's (same data, same drawing code)."""
    ref, front, _ = frontend
    params = {**params, "format": "png", "now": str(NOW)}
    theirs, mine = _get(ref.url, "/render", params), _get(front.url, "/render", params)
    assert mine.status_code == theirs.status_code == 200, front.log_tail()
    assert mine.headers["content-type"] == "image/png"
    assert _png_size(mine.content) == _png_size(theirs.content) == (int(params.get("width", 330)),
                                                                    int(params.get("height", 250)))
    assert mine.content == theirs.content


REMOTE_FIND = """
import json, sys
from graphite.finders.remote import RemoteFinder
from graphite.finders.utils import FindQuery
answers = []
for host, pattern, start, end in json.load(sys.stdin):
    nodes = RemoteFinder(host).find_nodes(FindQuery(pattern, start, end))
    answers.append(sorted([n.path, n.is_leaf, type(n.intervals).__name__ if n.is_leaf else None,
                           [list(i.tuple) for i in n.intervals] if n.is_leaf else None] for n in nodes))
print(json.dumps(answers))
"""
CLUSTER_QUERIES = [("servers.web01.*", None, None), ("servers.*.cpu.*", NOW - 3600, NOW), ("nothing.*", None, None)]


def _assert_same_nodes(mine: list, theirs: list, asked_at: float) -> None:
    """Same paths and kinds; a leaf's one interval starts where whisper's does (now - the 7 d
    retention, to a few seconds) and ends at the time of the request (whisper: the file's
    mtime, when the reference's data was written)."""
    assert [n[:2] for n in mine] == [n[:2] for n in theirs]
    for (*_, ours), (*_, refs) in zip(mine, theirs):
        if refs is None:
            assert ours is None
            continue
        [(start, end)], [(ref_start, ref_end)] = ours, refs
        assert abs(start - ref_start) < 5 and ref_end <= end <= time.time() + 1 and end >= asked_at - 1


def test_remote_finder_reads_tsstore_pickle(frontend):
    """graphite-web's own RemoteFinder (system python) asks tsstore and the reference the same
    finds (local=1, format=pickle, from/until) and gets the same nodes: tsstore's intervals
    arrive as tuples, which it turns into an IntervalSet as it does whisper's objects."""
    ref, front, host = frontend
    asks = [[h, pattern, start, end] for pattern, start, end in CLUSTER_QUERIES for h in (host, ref.url.removeprefix("http://"))]
    asked_at = time.time()
    proc = subprocess.run([SYSTEM_PYTHON, "-c", REMOTE_FIND], input=json.dumps(asks), env=front.env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-3000:]
    answers = json.loads(proc.stdout)
    for (pattern, *_), mine, theirs in zip(CLUSTER_QUERIES, answers[::2], answers[1::2]):
        assert bool(mine) == (pattern != "nothing.*")
        assert all(n[2] in ("IntervalSet", None) for n in mine)
        _assert_same_nodes(mine, theirs, asked_at)


def test_find_msgpack_as_graphite_web_writes_it(frontend):
    """format=msgpack: the same maps graphite-web's msgpack_nodes writes (path, is_leaf, and a
    leaf's intervals as [start, end] arrays), in application/x-msgpack. Read here with msgpack
    itself: graphite-web 1.1.8's own reader cannot decode a map on Python >= 3.10 (its bundled
    umsgpack uses collections.Hashable; msgpack >= 1.0 rejects the encoding= it passes), so a
    frontend keeps the default pickle (COMPATIBILITY.md)."""
    ref, _, host = frontend
    for pattern, start, end in CLUSTER_QUERIES:
        params = {"local": "1", "format": "msgpack", "query": pattern,
                  **({"from": start, "until": end} if start else {})}
        asked_at = time.time()
        theirs, mine = _get(ref.url, "/metrics/find/", params), _get(f"http://{host}", "/metrics/find/", params)
        assert mine.status_code == theirs.status_code == 200
        assert mine.headers["content-type"] == theirs.headers["content-type"] == "application/x-msgpack"

        def nodes(resp):
            return sorted([n["path"], n["is_leaf"], None, n.get("intervals")] for n in msgpack.unpackb(resp.content, raw=False))

        _assert_same_nodes(nodes(mine), nodes(theirs), asked_at)
