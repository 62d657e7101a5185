"""/metrics/find, /metrics/expand and /metrics/index.json (graphite-web's shapes).

/metrics/find also answers format=pickle and format=msgpack: the node lists graphite-web 1.1's
RemoteFinder reads when a graphite-web frontend lists tsstore in CLUSTER_SERVERS.
"""
from __future__ import annotations

import pickle
import time
from datetime import datetime, timezone
from urllib.parse import unquote_plus

import msgpack
import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response

from tsstore.api.params import Params, read_params
from tsstore.api.responses import NO_CACHE, ApiError, body_response
from tsstore.model import Node
from tsstore.lifecycle.find_range import active_since
from tsstore.query import attime
from tsstore.store.activity import activity_slack
from tsstore.store.with_memory import names_of
from tsstore.store.base import Store

router = APIRouter()


def _respond(obj, params, headers=NO_CACHE) -> Response:
    body = orjson.dumps(obj, option=orjson.OPT_INDENT_2 if params.get("pretty") else 0)
    return body_response(body, jsonp=params.get("jsonp"), headers=headers)


def _find_range(params: Params) -> tuple[int | None, int | None]:
    """`from` and `until` of a find, read as graphite-web's find_view reads them: absent or
    -1 is open, anything else an at-time (against `now` and `tz`); a bad one is a 400 naming
    it. With find_range_filter (the default), a node with no point since `from` is left out
    (tsstore.lifecycle.find_range); `until` selects nothing (the last write is kept, not the first)."""
    tz = params.tz()
    now = datetime.now(timezone.utc)

    def at(key: str) -> int | None:
        value = params.get(key)
        if value is None or (key != "now" and value == "-1"):
            return None
        try:
            return attime.parse_time(value or "now", now, tz)  # graphite-web reads '' as now
        except attime.AtTimeError as exc:
            raise ApiError(f"Invalid value {value!r} for param {key}: {exc}") from None

    if (when := at("now")) is not None:
        now = datetime.fromtimestamp(when, timezone.utc)
    start, end = at("from"), at("until")
    if start is not None and end is not None and end < start:
        raise ApiError(f"Invalid find range: param until ({end}) is before param from ({start})")
    return start, end


async def _active(store, query: str, since: int, settings) -> list[Node]:
    return await active_since(store, query, await store.find(query), since, activity_slack(settings.flush_interval))


async def _cluster_nodes(store: Store, nodes: list[Node]) -> list[dict]:
    """The nodes as graphite-web's pickle_nodes/msgpack_nodes list them: path, is_leaf and,
    for a leaf, the (start, end) intervals the store can answer, as whisper's reader gives
    them: now - the longest retention to now. A path that is both a branch and a leaf is
    listed as both (graphite-web's whisper finder yields the directory and the file)."""
    metas = await store.get_series([n.path for n in nodes if n.is_leaf])
    now = int(time.time())
    out = []
    for n in sorted(nodes, key=lambda n: n.path):
        if n.is_branch:
            out.append({"path": n.path, "is_leaf": False})
        if n.is_leaf:
            meta = metas.get(n.path)
            # tuples, not graphite.intervals objects: RemoteFinder turns them into an IntervalSet
            # and a client needs no graphite module to load them
            intervals = [(now - meta.max_retention, now)] if meta else []
            out.append({"path": n.path, "is_leaf": True, "intervals": intervals})
    return out


# format -> (writer, content type RemoteFinder recognises). Pickle protocol 2: graphite-web
# on Python 2 loads it too; graphite-web's restricted unpickler finds only builtin types in it.
CLUSTER_FORMATS = {
    "pickle": (lambda nodes: pickle.dumps(nodes, protocol=2), "application/pickle"),
    "msgpack": (lambda nodes: msgpack.packb(nodes, use_bin_type=True), "application/x-msgpack"),
}
FIND_FORMATS = ("treejson", "completer", "json", "nodelist", *CLUSTER_FORMATS)


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
    if fmt not in FIND_FORMATS:
        *others, last = FIND_FORMATS
        raise ApiError(f"Invalid value for 'format' parameter: {fmt!r}; use {', '.join(others)} or {last}")
    # tsstore has no remote finders: every find is local, but `local` must be what graphite-web accepts
    params.int("local", 0)
    start, _ = _find_range(params)
    if fmt == "completer":
        query = query.replace("..", "*.")
        if not query.endswith("*"):
            query += "*"
    store = request.app.state.ctx.store
    settings = request.app.state.ctx.settings
    since = start if start is not None and settings.find_range_filter else None
    wildcards = params.flag("wildcards")
    if fmt == "treejson":
        # a name once, a branch if it is one anywhere (graphite-web's treejson), without a path per match
        if since is None:
            uniq = await store.find_names(query, params.flag("leavesOnly"))
        else:
            uniq = names_of(await _active(store, query, since, settings), params.flag("leavesOnly"))
        prefix = query.rsplit(".", 1)[0] + "." if "." in query else ""
        branches = [n for n in uniq if n.is_branch]
        leaves = [n for n in uniq if not n.is_branch]
        out = [{"text": unquote_plus(n.name), "id": prefix + n.name, "allowChildren": 1, "expandable": 1, "leaf": 0} for n in branches]
        out += [{"text": unquote_plus(n.name), "id": prefix + n.name, "allowChildren": 0, "expandable": 0, "leaf": 1} for n in leaves]
        if wildcards and len(out) > 1:
            flag = int(bool(branches))
            out.insert(0, {"text": "*", "id": prefix + "*", "allowChildren": flag, "expandable": flag, "leaf": 0})
        return _respond(out, params)
    nodes = await store.find(query) if since is None else await _active(store, query, since, settings)
    if params.flag("leavesOnly"):
        nodes = [n for n in nodes if n.is_leaf]
    if fmt in CLUSTER_FORMATS:
        write, media_type = CLUSTER_FORMATS[fmt]
        return body_response(write(await _cluster_nodes(store, nodes)), media_type, headers=NO_CACHE)
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
    # graphite-web's json_nodes: the cluster listing, with a leaf's intervals as {start, end}
    out = await _cluster_nodes(store, nodes)
    for node in out:
        if node["is_leaf"]:
            node["intervals"] = [{"start": start, "end": end} for start, end in node["intervals"]]
    return _respond(out, params)


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
