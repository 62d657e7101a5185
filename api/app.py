"""The FastAPI application: graphite-web's HTTP API over a tsstore Store."""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import orjson
from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, PlainTextResponse, Response

import tsstore
from tsstore.api.errors import BadRequest
from tsstore.api.formats import apply_max_data_points, render_json
from tsstore.api.params import read_params
from tsstore.config import Settings
from tsstore.query import attime
from tsstore.query.engine import EvalContext, QueryError, evaluate_target
from tsstore.store.base import Store
from tsstore.store.errors import StoreUnavailable

log = logging.getLogger(__name__)
NO_CACHE = {"Pragma": "no-cache", "Cache-Control": "no-cache"}


@dataclass
class AppContext:
    store: Store
    settings: Settings = field(default_factory=Settings)
    counters: object = None  # tsstore.counters.Counters of the ingest side, when in the same process


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
    from tsstore.api import functions, status, tags

    app.include_router(status.router)
    app.include_router(functions.router)
    app.include_router(tags.router)

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
        fmt = params.get("format") or ("raw" if "rawData" in params else "json")
        ectx = EvalContext(ctx.store, start, end, now, tz, params, ctx.settings)
        series = []
        for target in targets:
            series.extend(await evaluate_target(target, ectx))
        if fmt != "json":
            raise BadRequest(f"format {fmt!r} is not supported yet; use format=json")
        max_points = params.int("maxDataPoints") if (params.get("maxDataPoints") or "").isdigit() else None
        if max_points and max_points > 0:
            series = apply_max_data_points(series, max_points)
        body = render_json(series, "noNullPoints" in params, ctx.settings.json_infinity_as_null)
        jsonp = params.get("jsonp")
        if jsonp and params.get("format"):
            return Response(f"{jsonp}(".encode() + body + b")", media_type="text/javascript")
        return Response(body, media_type="application/json")

    @app.api_route("/metrics/find", methods=["GET", "POST"])
    @app.api_route("/metrics/find/", methods=["GET", "POST"])
    @app.api_route("/metrics", methods=["GET", "POST"])
    @app.api_route("/metrics/", methods=["GET", "POST"])
    async def find(request: Request):
        params = await read_params(request)
        query = params.get("query")
        if not query:
            raise BadRequest("missing parameter 'query'")
        fmt = params.get("format") or "treejson"
        nodes = await ctx.store.find(query)
        nodes.sort(key=lambda n: n.name)
        if fmt == "treejson":
            prefix = query.rsplit(".", 1)[0] + "." if "." in query else ""
            seen, branches, leaves = set(), [], []
            for node in nodes:
                if node.name in seen:
                    continue
                seen.add(node.name)
                if node.is_branch:
                    branches.append({"text": node.name, "id": prefix + node.name, "allowChildren": 1, "expandable": 1, "leaf": 0})
                else:
                    leaves.append({"text": node.name, "id": prefix + node.name, "allowChildren": 0, "expandable": 0, "leaf": 1})
            out = branches + leaves
            if params.flag("wildcards") and len(out) > 1:
                out.insert(0, {"text": "*", "id": prefix + "*", "allowChildren": int(bool(branches)), "expandable": int(bool(branches)), "leaf": 0})
        elif fmt == "json":
            out = [{"path": n.path, "is_leaf": n.is_leaf} for n in sorted(nodes, key=lambda n: n.path)]
        elif fmt == "completer":
            out = {"metrics": [{"path": n.path + ("." if n.is_branch else ""), "name": n.name, "is_leaf": "0" if n.is_branch else "1"} for n in nodes]}
        else:
            raise BadRequest("Invalid value for 'format' parameter")
        return Response(orjson.dumps(out), media_type="application/json", headers=NO_CACHE)

    @app.get("/version")
    @app.get("/version/")
    async def version():
        return PlainTextResponse(tsstore.GRAPHITE_VERSION + "\n", media_type="text/html")

    return app
