"""A real tsstore server (embedded store) with carbon data sent to it, and a real headless
Chromium (Debian's chromium and chromium-driver) driven by selenium, for the built-in page.

Chromium missing is a failure that says how to install it: scripts/test installs it.
"""
from __future__ import annotations

import math
import time
from pathlib import Path

import httpx
import pytest

from tests.helpers.servers import ServerProcess, send_tcp

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
# As root on a closed network: without these Chromium refuses to start, or hangs on its
# background connections to Google's hosts.
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage", "--window-size=1400,1000"]

FINE, FINE_SPAN, COARSE_SPAN = 10, 6 * 3600, 26 * 3600  # the default schema keeps 10 s for 6 h, then 1 min
LEAVES = ["servers.web01.cpu.user", "servers.web01.cpu.system", "servers.web02.cpu.user",
          "servers.web02.cpu.system", "servers.web01.disk.used", "apps.checkout.requests"]
TAGGED = ["disk.free;host=web01;dc=east", "disk.free;host=web02;dc=west"]
HOSTILE = "odd.<b_id=xss>(bold)</b>"  # markup if put in as HTML, and characters the target grammar reserves
GAP = (25 * 60, 15 * 60)  # servers.web01.disk.used has no points from 25 to 15 minutes ago
EVENT_AGE = 30 * 60  # the event is 30 minutes old


def _value(i: int, t: int) -> float:
    return round(50 + (10 + 8 * i) * math.sin(t / (1800 + 700 * i) + i) + 5 * math.sin(t / 190 + i), 3)


def carbon_lines(now: int) -> bytes:
    """26 hours of every series: 10 s points for the last 6 h, 1 min points before."""
    times = list(range(now - COARSE_SPAN, now - FINE_SPAN, 60))
    times += list(range(now - FINE_SPAN, now + 1, FINE))
    out = []
    for i, name in enumerate(LEAVES + TAGGED + [HOSTILE]):
        for t in times:
            if name == "servers.web01.disk.used" and now - GAP[0] <= t < now - GAP[1]:
                continue
            out.append(f"{name} {_value(i, t)} {t}\n")
    return "".join(out).encode()


@pytest.fixture(scope="session")
def page_server(tmp_path_factory):
    """A server with the data above, one event, and HTTP writes open to loopback (for the event)."""
    data = tmp_path_factory.mktemp("ui") / "data"
    srv = ServerProcess(data, "--api-write-networks", "127.0.0.0/8", "--flush-interval", "0.5").start()
    now = int(time.time()) // FINE * FINE
    send_tcp(srv.carbon_port, carbon_lines(now))
    httpx.post(srv.url + "/events", json={"what": "deploy v1.2", "tags": ["release"], "data": "by CI",
                                          "when": now - EVENT_AGE}).raise_for_status()
    deadline = time.monotonic() + 60
    while True:  # every series readable, to its newest point
        got = httpx.get(srv.url + "/render", params={"target": ["servers.*.*.*", "apps.*.*", "seriesByTag('name=disk.free')"],
                                                     "from": str(now - 30), "until": str(now + 10), "format": "json"}).json()
        if len(got) == 8 and all(any(v is not None and t == now for v, t in s["datapoints"]) for s in got):
            break
        if time.monotonic() > deadline:
            raise AssertionError(f"the data sent was not readable within 60 s: {got}\n{srv.log()}")
        time.sleep(0.2)
    srv.now = now
    yield srv
    srv.stop()


def _driver(user_data_dir: Path):
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not Path(p).exists()]
    if missing:
        pytest.fail(f"{' and '.join(missing)} missing: the browser tests need Debian's Chromium; install it with "
                    "`apt-get install -y chromium chromium-driver` (scripts/test does when run as root)")
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS + [f"--user-data-dir={user_data_dir}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # the console, read by the tests
    # the driver named: selenium never looks for (or downloads) one of its own
    return webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)


@pytest.fixture(scope="session")
def chrome(tmp_path_factory):
    driver = _driver(tmp_path_factory.mktemp("chromium-profile"))
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()
