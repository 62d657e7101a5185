"""What the process is: GET /version (graphite-web's release line, so Grafana enables tags
and /functions) and GET /tsstore/status, the process's counters (received, dropped by
reason, WAL bytes, ...).

/tsstore/status is not part of graphite-web's API: for operators and for tests that must know
what the server has acknowledged (e.g. before a kill -9).
"""
from __future__ import annotations

import os
import time

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse

import tsstore
from tsstore import http_workers
from tsstore.api.responses import body_response

router = APIRouter()


@router.get("/version")
@router.get("/version/")
async def version():
    return PlainTextResponse(tsstore.GRAPHITE_VERSION + "\n", media_type="text/html")


@router.get("/tsstore/status")
async def status(request: Request):
    ctx = request.app.state.ctx
    body = {"version": tsstore.__version__, "store": getattr(ctx.store, "kind", "?"), "pid": os.getpid()}
    tree_index = getattr(ctx.store, "tree_index", None)  # finds walk the store's tree without one
    body["path_index"] = tree_index.status() if tree_index is not None else None
    tag_index = getattr(ctx.store, "tag_index", None)
    body["tag_index"] = tag_index.status() if tag_index is not None else None
    if getattr(ctx, "counters", None) is not None:
        body.update(counters=ctx.counters.snapshot(), role="ingest+api")
    else:
        # An API-only process (--http-workers > 1): the ingest process's counters, as it
        # published them at most a second ago.
        published = http_workers.read_status(ctx.settings) or {}
        body.update(counters=published.get("counters", {}), role="api", counters_from_pid=published.get("pid"),
                    counters_age_seconds=round(time.time() - published["at"], 3) if "at" in published else None)
    return body_response(orjson.dumps(body, option=orjson.OPT_SORT_KEYS))
