"""Shared machinery of the compatibility tests: tsstore and the real graphite-web (Debian
package) get the same points (whisper files for graphite-web, carbon lines over TCP for
tsstore, the same storage-schemas) and must answer the same /render requests the same way.

start_pair() starts both (the session-wide `graphite_pair` fixture, tests/compat/conftest.py);
RANGES names the request ranges; COMPARE holds the ways two /render answers are compared
(the `compare` of a case in tests/compat/cases/)."""
import asyncio
import math
import threading
import time

import httpx
import pytest

from tests.compat import graphite_reference
from tests.helpers.servers import free_port, send_tcp, wait_for
from tsstore.config import Settings
from tsstore.ingest.schemas import SchemaResolver, parse_aggregation, parse_schemas
from tsstore.server import Server

SCHEMAS = "[default]\npattern = .*\nretentions = 10s:6h,1m:7d\n"
AGGREGATION = "[counts]\npattern = \\.count$\nxFilesFactor = 0\naggregationMethod = sum\n[default]\npattern = .*\nxFilesFactor = 0\naggregationMethod = average\n"
NOW = (int(time.time()) // 3600) * 3600 - 600  # fixed `now` for both servers, inside the finest retention of the data
HOSTS = ["web01", "web02", "web03", "db01"]


def _data() -> dict[str, list[tuple[int, float]]]:
    """Four hours of 10 s points with gaps, a counter that resets, and a sparse series."""
    out: dict[str, list] = {}
    start = NOW - 4 * 3600
    for h, host in enumerate(HOSTS):
        for metric in ("cpu.user", "cpu.system"):
            pts = []
            for i in range(0, 4 * 360):
                if (i + h) % 17 == 0:  # gaps
                    continue
                pts.append((start + i * 10, round(10 * h + (i % 50) * 0.5 + (3 if metric == "cpu.system" else 0), 2)))
            out[f"servers.{host}.{metric}"] = pts
        counter, pts = 0, []
        for i in range(0, 4 * 360):
            counter = 0 if i == 700 + h else counter + (i % 7) + h
            pts.append((start + i * 10, float(counter)))
        out[f"servers.{host}.requests.count"] = pts
    out["servers.web01.sparse"] = [(start + i * 10, float(i)) for i in range(0, 4 * 360, 37)]
    # Tagged series, sent with their tags in no particular order (both sides canonicalise).
    for n, (metric, tags) in enumerate(TAGGED):
        out[f"{metric};{tags}"] = [(start + i * 10, float((i * (n + 3)) % 97)) for i in range(0, 4 * 360) if (i + n) % 23]
    return out


TAGGED = [
    ("disk.used", "rack=a1;dc=dc1;host=web01"),
    ("disk.used", "dc=dc1;host=web02;rack=a2"),
    ("disk.used", "host=db01;dc=dc2;rack=b1"),
    ("net.rx", "host=web01;dc=dc1"),
    ("net.rx", "dc=dc2;host=db01"),
    ("net.tx", "dc=dc2;host=db01;role=primary"),
]


# Every compatibility test module: `pytestmark = GRAPHITE_MARKS`.
GRAPHITE_MARKS = [pytest.mark.graphite]
if not graphite_reference.available():
    GRAPHITE_MARKS.append(pytest.mark.skip(reason="graphite-web is not installed: scripts/test installs it (apt)"))


def start_pair(tmp_path_factory):
    """graphite-web and tsstore, both holding _data(); yields (reference, tsstore URL)."""
    data = _data()
    work = tmp_path_factory.mktemp("compat")
    resolver = SchemaResolver(parse_schemas(SCHEMAS), parse_aggregation(AGGREGATION))
    ref = graphite_reference.GraphiteReference(work / "graphite").start()
    items = []
    for name, pts in data.items():
        meta = resolver.meta_for(name)
        items.append({"path": name, "archives": [[r.step, r.points] for r in meta.rollups], "xff": meta.xff,
                      "method": meta.aggregation, "points": pts})
    ref.write_whisper(items)
    ref.tag_series([name for name in data if ";" in name])

    (work / "schemas.conf").write_text(SCHEMAS)
    (work / "aggregation.conf").write_text(AGGREGATION)
    # writes allowed from loopback: tests/compat/conftest.py posts the events to both servers
    # (graphite-web takes them unconfigured; tsstore's HTTP writes are off by default)
    settings = Settings(data_dir=str(work / "tsstore"), schemas_file=str(work / "schemas.conf"),
                        aggregation_file=str(work / "aggregation.conf"), carbon_port=free_port(), pickle_port=0,
                        http_port=free_port(), flush_interval=0.2, rollup_provisional_interval=0.2, self_metrics_interval=0,
                        api_write_networks="127.0.0.0/8")
    loop = asyncio.new_event_loop()
    srv = Server(settings)
    loop.run_until_complete(srv.start())
    lines = "".join(f"{name} {v} {ts}\n" for name, pts in data.items() for ts, v in pts)
    send_tcp(srv.ports["carbon"], lines.encode())
    total = sum(len(p) for p in data.values())

    async def flushed():
        return srv.pipeline.counters.get("points.received") >= total and srv.pipeline.applied_since_flush == 0

    loop.run_until_complete(wait_for(flushed, timeout=120, what="tsstore to store every point"))
    loop.run_until_complete(asyncio.sleep(1.0))
    # The server runs on its own loop in this thread; serve requests from a background thread.
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield ref, f"http://127.0.0.1:{settings.http_port}"
    loop.call_soon_threadsafe(loop.stop)
    thread.join(30)
    loop.run_until_complete(srv.stop())  # on the main thread: uvicorn restores signal handlers
    loop.close()
    ref.stop()


RANGES = {
    "last-hour": {"from": str(NOW - 3600), "until": str(NOW)},
    "absolute": {"from": str(NOW - 4 * 3600 + 5), "until": str(NOW - 3 * 3600)},
    "relative": {"from": "-2h", "until": "-1h"},
    "events-hour": {"from": str(NOW - 3600), "until": str(NOW - 60)},  # the hour the test events fall in
    # past the 10 s archive's 6 h: both answer from the 1 min archive (the data's 4 h and 8 h of nulls)
    "coarse": {"from": str(NOW - 12 * 3600), "until": str(NOW)},
}


def ask(url: str, params: dict):
    """(status, JSON body or text) of /render?params."""
    resp = httpx.get(url + "/render", params=params, timeout=60)
    return resp.status_code, resp.json() if resp.status_code == 200 else resp.text


def close(a, b) -> bool:
    """Two JSON values equal, nulls and infinities exactly, numbers to 1e-9."""
    if a is None or b is None:
        return a is b
    if math.isinf(a) or math.isinf(b):
        return a == b
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)

def _both(pair, target: str, rng: dict):
    """graphite-web's and tsstore's /render?format=json answers, both asserted to be 200s."""
    ref, ours = pair
    params = {"target": target, "format": "json", "now": str(NOW), **rng}
    ref_status, ref_body = ask(ref.url, params)
    our_status, our_body = ask(ours, params)
    assert our_status == ref_status == 200, (ref_body, our_body)
    return our_body, ref_body


def _assert_same_points(mine: dict, theirs: dict) -> None:
    assert [t for _, t in mine["datapoints"]] == [t for _, t in theirs["datapoints"]], mine["target"]
    bad = [(t, a, b) for (a, t), (b, _) in zip(mine["datapoints"], theirs["datapoints"]) if not close(a, b)]
    assert not bad, f"{mine['target']}: (ts, tsstore, graphite-web) differ at {bad[:5]}"


def assert_same_render(pair, target: str, rng: dict) -> None:
    """/render?format=json of `target` over `rng` answers as graphite-web does: same status,
    same series names in the same order, same timestamps, same values (nulls included), same tags."""
    our_body, ref_body = _both(pair, target, rng)
    assert [s["target"] for s in our_body] == [s["target"] for s in ref_body]
    for mine, theirs in zip(our_body, ref_body):
        _assert_same_points(mine, theirs)
        assert mine["tags"] == theirs["tags"], mine["target"]


def assert_same_values(pair, target: str, rng: dict) -> None:
    """As assert_same_render, but the names and tags are not compared (a known difference)."""
    our_body, ref_body = _both(pair, target, rng)
    assert len(our_body) == len(ref_body)
    for mine, theirs in zip(our_body, ref_body):
        _assert_same_points(mine, theirs)


def assert_same_shape(pair, target: str, rng: dict) -> None:
    """For random walks: the same names, tags and timestamps, and tsstore's values a walk
    from 0 with steps of at most 0.5."""
    our_body, ref_body = _both(pair, target, rng)
    assert [(s["target"], s["tags"]) for s in our_body] == [(s["target"], s["tags"]) for s in ref_body]
    for mine, theirs in zip(our_body, ref_body):
        assert [t for _, t in mine["datapoints"]] == [t for _, t in theirs["datapoints"]]
        values = [v for v, _ in mine["datapoints"]]
        assert values[0] == 0 and all(abs(b - a) <= 0.5 for a, b in zip(values, values[1:]))


COMPARE = {"same": assert_same_render, "values": assert_same_values, "shape": assert_same_shape}
