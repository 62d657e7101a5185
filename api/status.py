"""GET /tsstore/status: the process's counters (received, dropped by reason, WAL bytes, ...).

Not part of graphite-web's API: for operators and for tests that must know what the
server has acknowledged (e.g. before a kill -9).
"""
from __future__ import annotations

import os

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response

import tsstore

router = APIRouter()


@router.get("/tsstore/status")
async def status(request: Request):
    ctx = request.app.state.ctx
    counters = ctx.counters.snapshot() if getattr(ctx, "counters", None) is not None else {}
    # With http_workers > 1 any process may answer: "role" says whether this one runs ingest
    # (and so has the ingest counters) or only serves the API.
    body = {"version": tsstore.__version__, "store": getattr(ctx.store, "kind", "?"), "counters": counters,
            "pid": os.getpid(), "role": "ingest+api" if counters else "api"}
    return Response(orjson.dumps(body, option=orjson.OPT_SORT_KEYS), media_type="application/json")
