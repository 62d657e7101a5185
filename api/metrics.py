"""/metrics/find, /metrics/expand and /metrics/index.json (graphite-web's shapes)."""
from __future__ import annotations

from urllib.parse import unquote_plus

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response

from tsstore.api.params import read_params
from tsstore.api.responses import NO_CACHE, ApiError, body_response
from tsstore.model import Node

router = APIRouter()


def _respond(obj, params, headers=NO_CACHE) -> Response:
    body = orjson.dumps(obj, option=orjson.OPT_INDENT_2 if params.get("pretty") else 0)
    return body_response(body, jsonp=params.get("jsonp"), headers=headers)


def _dedupe_prefer_branch(nodes: list[Node]) -> list[Node]:
    by_name: dict[str, Node] = {}
    for n in nodes:
        if n.name not in by_name or (n.is_branch and not by_name[n.name].is_branch):
            by_name[n.name] = n
    return sorted(by_name.values(), key=lambda n: n.name)


@router.api_route("/metrics/find", methods=["GET", "POST"])
@router.api_route("/metrics/find/", methods=["GET", "POST"])
@router.api_route("/metrics", methods=["GET", "POST"])
@router.api_route("/metrics/", methods=["GET", "POST"])
async def find(request: Request):
    params = await read_params(request)
    query = params.get("query")
    if not query:
        raise ApiError("missing parameter 'query': /metrics/find?query=<glob>")
    fmt = params.get("format") or "treejson"
    if fmt not in ("treejson", "completer", "json", "nodelist"):
        raise ApiError("Invalid value for 'format' parameter")
    if fmt == "completer":
        query = query.replace("..", "*.")
        if not query.endswith("*"):
            query += "*"
    store = request.app.state.ctx.store
    nodes = await store.find(query)
    if params.flag("leavesOnly"):
        nodes = [n for n in nodes if n.is_leaf]
    wildcards = params.flag("wildcards")
    if fmt == "treejson":
        prefix = query.rsplit(".", 1)[0] + "." if "." in query else ""
        uniq = _dedupe_prefer_branch(nodes)
        branches = [n for n in uniq if n.is_branch]
        leaves = [n for n in uniq if not n.is_branch]
        out = [{"text": unquote_plus(n.name), "id": prefix + n.name, "allowChildren": 1, "expandable": 1, "leaf": 0} for n in branches]
        out += [{"text": unquote_plus(n.name), "id": prefix + n.name, "allowChildren": 0, "expandable": 0, "leaf": 1} for n in leaves]
        if wildcards and len(out) > 1:
            flag = int(bool(branches))
            out.insert(0, {"text": "*", "id": prefix + "*", "allowChildren": flag, "expandable": flag, "leaf": 0})
        return _respond(out, params)
    if fmt == "completer":
        # every match, sorted by its last node (graphite-web lists web01.cpu and web02.cpu both)
        out = [{"path": n.path + ("." if n.is_branch else ""), "name": n.name, "is_leaf": "0" if n.is_branch else "1"}
               for n in sorted(nodes, key=lambda n: (n.name, n.path))]
        if wildcards and len(out) > 1:
            out.append({"name": "*"})
        return _respond({"metrics": out}, params)
    if fmt == "nodelist":
        position = params.int("position", -1)
        values = set()
        for n in nodes:
            parts = n.path.split(".")
            try:
                values.add(parts[position])
            except IndexError:
                pass
        return _respond({"nodes": sorted(values)}, params)
    return _respond([{"path": n.path, "is_leaf": n.is_leaf} for n in sorted(nodes, key=lambda n: n.path)], params)


@router.api_route("/metrics/expand", methods=["GET", "POST"])
@router.api_route("/metrics/expand/", methods=["GET", "POST"])
async def expand(request: Request):
    params = await read_params(request)
    queries = params.getlist("query")
    if not queries:
        raise ApiError("missing parameter 'query': /metrics/expand?query=<glob>")
    store = request.app.state.ctx.store
    leaves_only = params.flag("leavesOnly")
    grouped: dict[str, list[str]] = {}
    for q in queries:
        nodes = await store.find(q)
        grouped[q] = sorted({n.path for n in nodes if n.is_leaf or not leaves_only})
    if params.flag("groupByExpr"):
        return _respond({"results": grouped}, params)
    return _respond({"results": sorted({p for paths in grouped.values() for p in paths})}, params)


@router.get("/metrics/index.json")
async def index_json(request: Request):
    """Every leaf path, sorted. It walks the whole tree: slow on millions of series."""
    params = await read_params(request)
    nodes = await request.app.state.ctx.store.find("**")
    return _respond(sorted(n.path for n in nodes if n.is_leaf), params, headers={})
