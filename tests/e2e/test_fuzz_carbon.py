"""Fuzzed carbon input (a small budget; benchmarks/fuzz_carbon.py runs a large one) against a
real server process: it never crashes or logs a traceback, keeps answering, and still takes
and shows a valid point afterwards."""
import os
import time

import httpx

from tests.helpers import carbon_fuzz
from tests.helpers.servers import ServerProcess, send_tcp

LINES = int(os.environ.get("TSSTORE_FUZZ_LINES", "20000"))
FRAMES = int(os.environ.get("TSSTORE_FUZZ_FRAMES", "1000"))


def test_fuzzed_carbon_input_crashes_nothing(tmp_path):
    srv = ServerProcess(tmp_path / "data", "--flush-interval", "0.5", "--self-metrics-interval", "0").start()
    try:
        sent = carbon_fuzz.run(srv.carbon_port, srv.pickle_port, LINES, FRAMES, seed=7, seconds=120)
        assert sent["lines"] >= LINES and sent["frames"] >= FRAMES
        assert srv.proc.poll() is None, srv.log()
        now = int(time.time())
        send_tcp(srv.carbon_port, f"fuzz.after 42 {now}\n".encode())
        deadline, values = time.monotonic() + 30, []
        while time.monotonic() < deadline and 42 not in values:
            body = httpx.get(srv.url + "/render", params={"target": "fuzz.after", "from": "-5min", "format": "json"},
                             timeout=10).json()
            values = [v for v, _ in body[0]["datapoints"]] if body else []
            time.sleep(0.2)
        assert 42 in values
        counters = httpx.get(srv.url + "/tsstore/status", timeout=10).json()["counters"]
        refused = {k: v for k, v in counters.items() if k.startswith(("lines.", "pickle.")) and v}
        print(sent, refused)
        assert counters.get("lines.line_too_long", 0) > 0 and any(k.startswith("pickle.") for k in refused), refused
    finally:
        code = srv.stop()
    assert code == 0
    assert "Traceback" not in srv.log(), srv.log()
