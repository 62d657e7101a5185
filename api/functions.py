"""/functions and /functions/<name>, served from the function registry (what Grafana's
query editor reads). Problems are answered {"error": message}."""
from __future__ import annotations

import math

import orjson
from fastapi import APIRouter, Request

from tsstore.api.render_json import INFINITY
from tsstore.api.responses import ApiError, JsonErrorRoute, body_response
from tsstore.query.functions import loader

router = APIRouter(route_class=JsonErrorRoute)
PIE = {"average", "maximum", "minimum"}


def _dumps(obj, pretty: bool) -> bytes:
    body = orjson.dumps(_finite(obj), option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS if pretty else 0)
    return body.replace(b'"__INF__"', INFINITY.encode())


def _finite(obj):
    """JSON has no infinity: graphite-web writes 1e9999 (keepLastValue's default limit)."""
    if isinstance(obj, float) and math.isinf(obj):
        return "__INF__"
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_finite(v) for v in obj]
    return obj


@router.api_route("/functions", methods=["GET", "POST", "PUT", "DELETE"])
@router.api_route("/functions/", methods=["GET", "POST", "PUT", "DELETE"])
async def functions(request: Request):
    if request.method != "GET":
        raise ApiError("only GET is allowed", 405)
    q = request.query_params
    if q.get("type") == "pie":
        out = {name: {"name": name, "group": "Pie", "description": f"pie chart slice value: {name}"} for name in sorted(PIE)}
        return body_response(_dumps(out, bool(q.get("pretty"))))
    group = q.get("group")
    grouped = q.get("grouped", "").lower() in ("1", "true")
    out: dict = {}
    for name, fn in sorted(loader.all_functions().items()):
        if group and fn.group != group:
            continue
        if grouped:
            out.setdefault(fn.group, {})[name] = fn.info()
        else:
            out[name] = fn.info()
    return body_response(_dumps(out, bool(q.get("pretty"))))


@router.get("/functions/{name}")
async def function_info(name: str, request: Request):
    fn = loader.get(name)
    if fn is None:
        raise ApiError(f"Function not found: {name}", 404)
    return body_response(_dumps(fn.info(), bool(request.query_params.get("pretty"))))
