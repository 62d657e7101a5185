"""The real graphite-web (Debian package graphite-web, run by the system python3) on
loopback, with its own settings, whisper directory and database in a work folder, so
compatibility tests can ask it and tsstore the same questions on the same data."""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import httpx

SYSTEM_PYTHON = "/usr/bin/python3"

SETTINGS = """\
from graphite.settings import *  # noqa: F401,F403  (Debian's graphite-web defaults)
import os
SECRET_KEY = "tsstore-compat-tests"
STORAGE_DIR = {storage!r}
WHISPER_DIR = os.path.join(STORAGE_DIR, "whisper")
STANDARD_DIRS = [WHISPER_DIR]
CERES_DIR = os.path.join(STORAGE_DIR, "ceres")
RRD_DIR = os.path.join(STORAGE_DIR, "rrd")
LOG_DIR = os.path.join(STORAGE_DIR, "log")
INDEX_FILE = os.path.join(STORAGE_DIR, "index")
CARBONLINK_HOSTS = []
CLUSTER_SERVERS = []
TAGDB = "graphite.tags.localdatabase.LocalDatabaseTagDB"
DATABASES = {{"default": {{"ENGINE": "django.db.backends.sqlite3", "NAME": os.path.join(STORAGE_DIR, "graphite.db")}}}}
DEBUG = False
ALLOWED_HOSTS = ["*"]
TIME_ZONE = "UTC"
"""

WHISPER_WRITER = """\
import json, os, sys, whisper
for item in json.load(sys.stdin):
    if ";" in item["path"]:  # a tagged series: graphite's own layout under _tagged/
        from graphite.tags.utils import TaggedSeries
        canonical = TaggedSeries.parse(item["path"]).path
        path = os.path.join(sys.argv[1], TaggedSeries.encode(canonical, os.sep)) + ".wsp"
    else:
        path = os.path.join(sys.argv[1], *item["path"].split(".")) + ".wsp"
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if not os.path.exists(path):
        whisper.create(path, [tuple(a) for a in item["archives"]], item["xff"], item["method"])
    if item["points"]:
        whisper.update_many(path, [tuple(p) for p in item["points"]])
"""


def available() -> bool:
    return Path("/usr/lib/python3/dist-packages/graphite/settings.py").exists() and shutil.which(SYSTEM_PYTHON) is not None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# graphite.settings resolves these renamed settings while it is imported, before the lines of
# compat_settings that follow its import run: the names it reads must be written too.
RENAMED = {"REMOTE_FIND_TIMEOUT": "FIND_TIMEOUT", "REMOTE_FETCH_TIMEOUT": "FETCH_TIMEOUT"}


class GraphiteReference:
    def __init__(self, workdir: Path, settings: dict | None = None):
        """settings: graphite-web settings written after the defaults above, e.g.
        {"CLUSTER_SERVERS": ["127.0.0.1:8080"], "INTRACLUSTER_HTTPS": False, "FIND_TIMEOUT": 10}
        for a frontend that reads another server through graphite-web's RemoteFinder."""
        self.workdir = Path(workdir)
        self.storage = self.workdir / "storage"
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.settings = dict(settings or {})
        for old, new in RENAMED.items():
            if old in self.settings:
                self.settings.setdefault(new, self.settings[old])

    def settings_text(self) -> str:
        extra = "".join(f"{name} = {value!r}\n" for name, value in self.settings.items())
        return SETTINGS.format(storage=str(self.storage)) + extra

    @property
    def env(self) -> dict:
        return dict(os.environ, PYTHONPATH=str(self.workdir), DJANGO_SETTINGS_MODULE="compat_settings",
                    GRAPHITE_SETTINGS_MODULE="compat_settings")

    def start(self, timeout: float = 60, workers: int = 0) -> "GraphiteReference":
        """workers=0: Django's runserver (tests); N: gunicorn with N workers (benchmarks)."""
        for d in ("whisper", "log", "log/webapp"):
            (self.storage / d).mkdir(parents=True, exist_ok=True)
        (self.workdir / "compat_settings.py").write_text(self.settings_text())
        migrate = subprocess.run([SYSTEM_PYTHON, "-m", "django", "migrate", "--run-syncdb", "-v", "0"],
                                 env=self.env, capture_output=True, text=True, timeout=300)
        if migrate.returncode:
            raise RuntimeError(f"graphite-web migrate failed:\n{migrate.stderr[-3000:]}")
        self.log = open(self.workdir / "graphite-web.log", "ab")
        if workers:
            cmd = ["/usr/bin/gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{self.port}", "graphite.wsgi:application"]
        else:
            cmd = [SYSTEM_PYTHON, "-m", "django", "runserver", "--noreload", f"127.0.0.1:{self.port}"]
        self.proc = subprocess.Popen(cmd, env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"graphite-web exited:\n{self.log_tail()}")
            try:
                if httpx.get(self.url + "/metrics/find", params={"query": "*"}, timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"graphite-web did not answer within {timeout}s:\n{self.log_tail()}")

    def log_tail(self) -> str:
        """The end of the server's output and of graphite-web's own logs (LOG_DIR, <storage>/log:
        exception.log holds a RemoteFinder's failures, info.log its finds and renders)."""
        parts = [self.workdir / "graphite-web.log", *sorted((self.storage / "log").glob("*.log"))]
        return "\n".join(f"== {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in parts if p.exists())

    def write_whisper(self, items: list[dict]) -> None:
        """items: {path, archives [(step, points)], xff, method, points [(ts, value)]}."""
        proc = subprocess.run([SYSTEM_PYTHON, "-c", WHISPER_WRITER, str(self.storage / "whisper")],
                              input=json.dumps(items), capture_output=True, text=True, timeout=300)
        if proc.returncode:
            raise RuntimeError(f"writing whisper files failed:\n{proc.stderr[-3000:]}")

    def tag_series(self, names: list[str]) -> None:
        """Add tagged series to graphite-web's own tag database (as carbon does on ingest)."""
        resp = httpx.post(self.url + "/tags/tagMultiSeries", data={"path": names}, timeout=60)
        resp.raise_for_status()

    def get(self, path: str, params) -> httpx.Response:
        return httpx.get(self.url + path, params=params, timeout=60)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
