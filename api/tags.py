"""The /tags endpoints over the store's tag index (graphite-web's shapes)."""
from __future__ import annotations

import re

from fastapi import APIRouter, Request

from tsstore.index import tagquery
from tsstore.index import tags as tagmod
from tsstore.api.errors import json_error, json_response
from tsstore.api.params import read_params

router = APIRouter()
AUTOCOMPLETE_LIMIT = 100




def _limit(params, default=None):
    value = params.get("limit")
    try:
        return int(value) if value not in (None, "") else default
    except ValueError:
        return default


@router.api_route("/tags/tagSeries", methods=["GET", "POST"])
async def tag_series(request: Request):
    if request.method != "POST":
        return json_error("use POST", 405)
    params = await read_params(request)
    path = params.get("path")
    if not path:
        return json_error("no path specified")
    try:
        return json_response(tagmod.canonical(path))
    except tagmod.InvalidTagError as exc:
        return json_error(str(exc))


@router.api_route("/tags/tagMultiSeries", methods=["GET", "POST"])
async def tag_multi_series(request: Request):
    if request.method != "POST":
        return json_error("use POST", 405)
    params = await read_params(request)
    paths = params.getlist("path") or params.getlist("path[]")
    if not paths:
        return json_error("no paths specified")
    try:
        return json_response([tagmod.canonical(p) for p in paths])
    except tagmod.InvalidTagError as exc:
        return json_error(str(exc))


@router.api_route("/tags/delSeries", methods=["GET", "POST"])
async def del_series(request: Request):
    """Remove series from the tag index, as graphite-web does: seriesByTag no longer finds
    them; their points stay in the store until they expire."""
    if request.method != "POST":
        return json_error("use POST", 405)
    params = await read_params(request)
    paths = params.getlist("path") or params.getlist("path[]")
    if not paths:
        return json_error("no path specified")
    try:
        names = [tagmod.canonical(p) for p in paths]
    except tagmod.InvalidTagError as exc:
        return json_error(str(exc))
    await request.app.state.ctx.store.forget_tagged(names)
    return json_response(True)


@router.api_route("/tags/findSeries", methods=["GET", "POST"])
async def find_series(request: Request):
    params = await read_params(request)
    exprs = params.getlist("expr") or params.getlist("expr[]")
    if not exprs:
        return json_error("no tag expressions specified")
    try:
        names = await tagquery.find_series(request.app.state.ctx.store, exprs)
    except tagquery.TagQueryError as exc:
        return json_error(str(exc))
    return json_response(names)


async def _series_for(request, exprs):
    try:
        return await tagquery.find_series(request.app.state.ctx.store, exprs)
    except tagquery.TagQueryError as exc:
        raise ValueError(str(exc)) from None


@router.api_route("/tags/autoComplete/tags", methods=["GET", "POST"])
async def autocomplete_tags(request: Request):
    params = await read_params(request)
    store = request.app.state.ctx.store
    prefix = params.get("tagPrefix") or ""
    limit = _limit(params, AUTOCOMPLETE_LIMIT)
    exprs = params.getlist("expr") or params.getlist("expr[]")
    if exprs:
        try:
            names = await _series_for(request, exprs)
        except ValueError as exc:
            return json_error(str(exc))
        used = {tagquery.parse_expr(e).tag for e in exprs}
        found = {t for n in names for t in tagmod.parse_tags(n) if t not in used}
    else:
        found = set(await store.tag_names())
    return json_response(sorted(t for t in found if t.startswith(prefix))[:limit])


@router.api_route("/tags/autoComplete/values", methods=["GET", "POST"])
async def autocomplete_values(request: Request):
    params = await read_params(request)
    store = request.app.state.ctx.store
    tag = params.get("tag")
    if not tag:
        return json_error("no tag specified")
    prefix = params.get("valuePrefix") or ""
    limit = _limit(params, AUTOCOMPLETE_LIMIT)
    exprs = params.getlist("expr") or params.getlist("expr[]")
    if exprs:
        try:
            names = await _series_for(request, [*exprs, f"{tag}!="])
        except ValueError as exc:
            return json_error(str(exc))
        values = {tagmod.parse_tags(n).get(tag) for n in names} - {None}
    else:
        values = set(await store.tag_values(tag))
    return json_response(sorted(v for v in values if v.startswith(prefix))[:limit])


@router.get("/tags")
@router.get("/tags/")
async def list_tags(request: Request):
    params = await read_params(request)
    names = await request.app.state.ctx.store.tag_names()
    flt = params.get("filter")
    if flt:
        try:
            rx = re.compile(flt)
        except re.error as exc:
            return json_error(f"bad filter regex: {exc}")
        names = [t for t in names if rx.match(t)]
    limit = _limit(params)
    return json_response([{"tag": t} for t in names[:limit]])


@router.get("/tags/{tag}")
async def tag_details(tag: str, request: Request):
    params = await read_params(request)
    values = await request.app.state.ctx.store.tag_values(tag)
    if not values:
        return json_response(None)
    flt = params.get("filter")
    items = sorted(values.items())
    if flt:
        try:
            rx = re.compile(flt)
        except re.error as exc:
            return json_error(f"bad filter regex: {exc}")
        items = [(v, c) for v, c in items if rx.match(v)]
    limit = _limit(params)
    return json_response({"tag": tag, "values": [{"value": v, "count": c} for v, c in items[:limit]]})
