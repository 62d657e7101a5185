"""The FastAPI application: graphite-web's HTTP API over a tsstore Store."""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import PlainTextResponse, Response

import tsstore
from tsstore.api.errors import BadRequest
from tsstore.api.formats import (
    apply_max_data_points,
    render_csv,
    render_dygraph,
    render_json,
    render_msgpack,
    render_pickle,
    render_raw,
    render_rickshaw,
)
from tsstore.api.params import read_params
from tsstore.config import Settings
from tsstore.query import attime
from tsstore.query.engine import EvalContext, evaluate_target
from tsstore.query.errors import QueryError
from tsstore.store.base import Store
from tsstore.store.errors import StoreUnavailable

log = logging.getLogger(__name__)
NO_CACHE = {"Pragma": "no-cache", "Cache-Control": "no-cache"}
IMAGE_FORMATS = ("png", "svg", "pdf")


@dataclass
class AppContext:
    store: Store
    settings: Settings = field(default_factory=Settings)
    counters: object = None  # tsstore.ingest.counters.Counters of the ingest side, when in the same process


def _tz(name: str | None):
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass  # graphite-web ignores an unknown zone
    return ZoneInfo("UTC")


def create_app(ctx: AppContext) -> FastAPI:
    app = FastAPI(title="tsstore", version=tsstore.__version__, docs_url=None, redoc_url=None)
    app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["*"], allow_headers=["*"])
    app.state.ctx = ctx
    from tsstore.api import events, functions, metrics, status, tags

    app.include_router(status.router)
    app.include_router(metrics.router)
    app.include_router(functions.router)
    app.include_router(tags.router)
    app.include_router(events.router)

    @app.exception_handler(BadRequest)
    async def bad_request(request: Request, exc: BadRequest):
        return PlainTextResponse(exc.message, status_code=400)

    @app.exception_handler(QueryError)
    async def bad_query(request: Request, exc: QueryError):
        return PlainTextResponse(str(exc), status_code=400)

    @app.exception_handler(StoreUnavailable)
    async def store_down(request: Request, exc: StoreUnavailable):
        return PlainTextResponse(f"the store is unavailable: {exc}", status_code=503)

    @app.exception_handler(attime.AtTimeError)
    async def bad_time(request: Request, exc: attime.AtTimeError):
        return PlainTextResponse(str(exc), status_code=400)

    @app.api_route("/render", methods=["GET", "POST"])
    @app.api_route("/render/", methods=["GET", "POST"])
    async def render(request: Request):
        params = await read_params(request)
        targets = [t for t in params.getlist("target") if t.strip()] or [
            t for t in params.getlist("target[]") if t.strip()
        ]
        tz = _tz(params.get("tz"))
        start, end, now = attime.resolve_range(
            {"from": params.get("from"), "until": params.get("until"), "now": params.get("now"), "tz": tz}
        )
        fmt = params.get("format") or ("raw" if "rawData" in params else "pickle" if "pickle" in params else "json")
        ectx = EvalContext(ctx.store, start, end, now, tz, params, ctx.settings)
        series = []
        for target in targets:
            series.extend(await evaluate_target(target, ectx))
        if fmt in IMAGE_FORMATS:
            raise BadRequest(f"format={fmt} is not supported: tsstore renders data, not images; use format=json (what Grafana asks for)")
        limit = ctx.settings.max_points_per_render
        points = sum(len(s.values) for s in series)
        if limit and points > limit:
            raise BadRequest(f"the request would return {points} points; the limit is {limit} (setting max_points_per_render)")
        if fmt == "csv":
            return Response(render_csv(series, tz), media_type="text/csv")
        if fmt == "raw":
            return Response(render_raw(series), media_type="text/plain")
        if fmt == "pickle":
            return Response(render_pickle(series), media_type="application/pickle")
        if fmt == "msgpack":
            return Response(render_msgpack(series), media_type="application/x-msgpack")
        if fmt == "json":
            max_points = params.int("maxDataPoints") if (params.get("maxDataPoints") or "").isdigit() else None
            if max_points and max_points > 0:
                series = apply_max_data_points(series, max_points)
            body = render_json(series, "noNullPoints" in params, ctx.settings.json_infinity_as_null)
        elif fmt == "dygraph":
            body = render_dygraph(series)
        elif fmt == "rickshaw":
            body = render_rickshaw(series)
        else:
            raise BadRequest(f"unknown format {fmt!r}: use json, csv, raw, pickle, msgpack, dygraph or rickshaw")
        if params.get("pretty") and fmt == "json":
            body = json.dumps(json.loads(body), indent=2).replace("Infinity", "1e9999").encode()
        jsonp = params.get("jsonp")
        if jsonp and params.get("format"):
            return Response(f"{jsonp}(".encode() + body + b")", media_type="text/javascript")
        return Response(body, media_type="application/json")

    @app.get("/version")
    @app.get("/version/")
    async def version():
        return PlainTextResponse(tsstore.GRAPHITE_VERSION + "\n", media_type="text/html")

    return app
