"""/tsstore/series/*: the series lifecycle (tsstore's own endpoints; graphite-web has none;
README: Series lifecycle).

* GET /tsstore/series/count?query=<glob>&limit=N: the nodes the glob matches with the series
  under each, most first (the cardinality of `servers.*`; with `*.*` the top N prefixes).
* GET /tsstore/series/stale?query=<glob>&tagged=<expr>&before=<time>: the series not written
  since `before`, with their last writes.
* POST /tsstore/series/delete (query=, tagged=, before=, dry_run=1): delete the series a glob
  (a branch: everything under it) or tag expressions select, optionally only the stale ones;
  the dry run lists them. A write: refused unless the API allows writes.
* POST /tsstore/series/rename (from=<path>, to=<path>, dry_run=1): move a subtree. A write.
* GET /tsstore/series/deletions?since=<time>&limit=N: the deletion log (default: 30 days).
"""
from __future__ import annotations

import json
from collections import OrderedDict
from datetime import datetime, timezone

from fastapi import APIRouter, Request

from tsstore.api.access import WRITE
from tsstore.api.params import Params, read_params
from tsstore.api.responses import ApiError, JsonErrorRoute, json_response
from tsstore.lifecycle.operations import SeriesLifecycle
from tsstore.lifecycle.selection import MAX_SERIES, Selection, SelectionError
from tsstore.query import attime

router = APIRouter(route_class=JsonErrorRoute)
COUNT_LIMIT = 100
DELETIONS_LIMIT = 1000
DELETIONS_SINCE = 30 * 86400  # seconds back the deletion log is listed without since=


@router.get("/tsstore/series/count")
async def count(request: Request):
    params = await read_params(request)
    query = params.get("query")
    if not query:
        raise ApiError("missing parameter 'query': /tsstore/series/count?query=<glob>&limit=N")
    limit = params.int("limit", COUNT_LIMIT, minimum=1)
    counted = await request.app.state.ctx.store.count_series(query)
    if counted is None:
        raise ApiError("the path index is still being built (/tsstore/status: path_index); ask again in a few seconds", 503)
    return json_response({"query": query, "matched": len(counted),
                          "nodes": [{"path": path, "series": n} for path, n in counted[:limit]]})


def _time(params: Params, key: str) -> int | None:
    value = params.get(key)
    if value is None:
        return None
    try:
        return attime.parse_time(value, datetime.now(timezone.utc), params.tz())
    except attime.AtTimeError as exc:
        raise ApiError(f"Invalid value {value!r} for param {key}: {exc}") from None


def _selection(params: Params) -> Selection:
    selection = Selection(tuple(params.getlist("query")), tuple(params.getlist("tagged")), _time(params, "before"))
    try:
        selection.check()
    except ValueError as exc:
        raise ApiError(str(exc)) from None
    return selection


def _lifecycle(request: Request):
    ctx = request.app.state.ctx
    if ctx.lifecycle is None:  # an application made without a server (tools, tests): this process's store
        ctx.lifecycle = SeriesLifecycle(ctx.store)
    return ctx.lifecycle


def _requester(request: Request) -> dict:
    client = request.app.state.write_access.client(request)
    return {"via": "http", "client": str(client) if client is not None else None}


async def _answer(call):
    try:
        return json_response(await call)
    except SelectionError as exc:
        raise ApiError(str(exc)) from None


@router.get("/tsstore/series/stale")
async def stale(request: Request):
    params = await read_params(request)
    if params.get("before") is None:
        raise ApiError("missing parameter 'before': /tsstore/series/stale?query=<glob>&before=<time, e.g. -30d>")
    return await _answer(_lifecycle(request).stale(_selection(params), params.int("limit", MAX_SERIES, minimum=1)))


@router.post("/tsstore/series/delete", dependencies=[WRITE])
async def delete(request: Request):
    params = await read_params(request)
    return await _answer(_lifecycle(request).delete(_selection(params), params.flag("dry_run"), _requester(request)))


@router.post("/tsstore/series/rename", dependencies=[WRITE])
async def rename(request: Request):
    params = await read_params(request)
    source, target = params.get("from"), params.get("to")
    if not source or not target:
        raise ApiError("missing parameter: /tsstore/series/rename needs from=<path> and to=<path>")
    return await _answer(_lifecycle(request).rename(source, target, params.flag("dry_run"), _requester(request)))


@router.get("/tsstore/series/deletions")
async def deletions(request: Request):
    params = await read_params(request)
    since = _time(params, "since")
    if since is None:
        since = int(datetime.now(timezone.utc).timestamp()) - DELETIONS_SINCE
    limit = params.int("limit", DELETIONS_LIMIT, minimum=1)
    store = request.app.state.ctx.store
    if not getattr(store, "keeps_deletion_log", False):
        raise ApiError(f"the {store.kind} store keeps no deletion log", 404)
    rows = await store.deletions_since(float(since), limit)
    requests: OrderedDict[str, dict] = OrderedDict()
    for at, name, request_text in rows:
        entry = requests.setdefault(request_text, {"at": at, "request": json.loads(request_text), "names": []})
        entry["names"].append(name)
    return json_response({"since": since, "rows": len(rows), "rows_cut": len(rows) >= limit,
                          "deletions": list(requests.values())})
