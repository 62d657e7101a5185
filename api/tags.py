"""The /tags endpoints over the store's tag index (graphite-web's shapes). tagSeries,
tagMultiSeries and delSeries are writes in graphite-web's API and are gated as such
(tsstore.api.access). Problems are answered {"error": message}; a `limit` that is not a
non-negative integer is one."""
from __future__ import annotations


from fastapi import APIRouter, Request

from tsstore.api.access import WRITE
from tsstore.api.params import read_params
from tsstore.api.responses import ApiError, JsonErrorRoute, json_response
from tsstore.index import tagquery
from tsstore.index.user_regex import UserRegexError, compile_user
from tsstore.index import tags as tagmod

router = APIRouter(route_class=JsonErrorRoute)
AUTOCOMPLETE_LIMIT = 100


def _limit(params, default=None):
    return params.int("limit", default, minimum=0)


def _canonical(paths: list[str]) -> list[str]:
    try:
        return [tagmod.canonical(p) for p in paths]
    except tagmod.InvalidTagError as exc:
        raise ApiError(str(exc)) from None


def _filter(params):
    """The `filter` parameter as a compiled regex, or None."""
    flt = params.get("filter")
    if not flt:
        return None
    try:
        return compile_user(flt)
    except UserRegexError as exc:
        raise ApiError(f"bad filter regex: {exc}") from None


def _post_only(request: Request) -> None:
    if request.method != "POST":
        raise ApiError("use POST", 405)


async def _find(request: Request, exprs: list[str]) -> list[str]:
    try:
        return await tagquery.find_series(request.app.state.ctx.store, exprs)
    except tagquery.TagQueryError as exc:
        raise ApiError(str(exc)) from None


def _parsed(expr: str) -> tagquery.TagExpr:
    try:
        return tagquery.parse_expr(expr)
    except tagquery.TagQueryError as exc:
        raise ApiError(str(exc)) from None


async def _from_tag_index(request: Request, method: str, *args):
    """A query of the in-memory tag index (tsstore.index.tag_index), or None without a built one."""
    tag_index = getattr(request.app.state.ctx.store, "tag_index", None)
    if tag_index is None:
        return None
    try:
        return await tag_index.answer(method, *args)
    except tagquery.TagQueryError as exc:
        raise ApiError(str(exc)) from None


@router.api_route("/tags/tagSeries", methods=["GET", "POST"], dependencies=[WRITE])
async def tag_series(request: Request):
    _post_only(request)
    params = await read_params(request)
    path = params.get("path")
    if not path:
        raise ApiError("no path specified")
    return json_response(_canonical([path])[0])


@router.api_route("/tags/tagMultiSeries", methods=["GET", "POST"], dependencies=[WRITE])
async def tag_multi_series(request: Request):
    _post_only(request)
    params = await read_params(request)
    paths = params.getlist("path") or params.getlist("path[]")
    if not paths:
        raise ApiError("no paths specified")
    return json_response(_canonical(paths))


@router.api_route("/tags/delSeries", methods=["GET", "POST"], dependencies=[WRITE])
async def del_series(request: Request):
    """Remove series from the tag index, as graphite-web does: seriesByTag no longer finds
    them; their points stay in the store until they expire."""
    _post_only(request)
    params = await read_params(request)
    paths = params.getlist("path") or params.getlist("path[]")
    if not paths:
        raise ApiError("no path specified")
    await request.app.state.ctx.store.forget_tagged(_canonical(paths))
    return json_response(True)


@router.api_route("/tags/findSeries", methods=["GET", "POST"])
async def find_series(request: Request):
    params = await read_params(request)
    exprs = params.getlist("expr") or params.getlist("expr[]")
    if not exprs:
        raise ApiError("no tag expressions specified")
    return json_response(await _find(request, exprs))


@router.api_route("/tags/autoComplete/tags", methods=["GET", "POST"])
async def autocomplete_tags(request: Request):
    params = await read_params(request)
    prefix = params.get("tagPrefix") or ""
    limit = _limit(params, AUTOCOMPLETE_LIMIT)
    exprs = params.getlist("expr") or params.getlist("expr[]")
    if exprs:
        used = {_parsed(e).tag for e in exprs}
        found = await _from_tag_index(request, "tag_names", exprs)
        if found is None:  # the store's own queries (no index, or not built yet)
            found = {t for n in await _find(request, exprs) for t in tagmod.parse_tags(n)}
        found = set(found) - used
    else:
        found = set(await request.app.state.ctx.store.tag_names())
    return json_response(sorted(t for t in found if t.startswith(prefix))[:limit])


@router.api_route("/tags/autoComplete/values", methods=["GET", "POST"])
async def autocomplete_values(request: Request):
    params = await read_params(request)
    tag = params.get("tag")
    if not tag:
        raise ApiError("no tag specified")
    prefix = params.get("valuePrefix") or ""
    limit = _limit(params, AUTOCOMPLETE_LIMIT)
    exprs = params.getlist("expr") or params.getlist("expr[]")
    if exprs:
        values = await _from_tag_index(request, "tag_values", tag, exprs)
        if values is None:
            values = {tagmod.parse_tags(n).get(tag) for n in await _find(request, [*exprs, f"{tag}!="])} - {None}
        values = set(values)
    else:
        values = set(await request.app.state.ctx.store.tag_values(tag))
    return json_response(sorted(v for v in values if v.startswith(prefix))[:limit])


@router.get("/tags")
@router.get("/tags/")
async def list_tags(request: Request):
    params = await read_params(request)
    rx, limit = _filter(params), _limit(params)
    names = await request.app.state.ctx.store.tag_names()
    if rx is not None:
        names = [t for t in names if rx.match(t)]
    return json_response([{"tag": t} for t in names[:limit]])


@router.get("/tags/{tag}")
async def tag_details(tag: str, request: Request):
    params = await read_params(request)
    rx, limit = _filter(params), _limit(params)
    values = await request.app.state.ctx.store.tag_values(tag)
    if not values:
        return json_response(None)
    items = sorted(values.items())
    if rx is not None:
        items = [(v, c) for v, c in items if rx.match(v)]
    return json_response({"tag": tag, "values": [{"value": v, "count": c} for v, c in items[:limit]]})
