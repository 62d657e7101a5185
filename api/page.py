"""The built-in page: GET / answers index.html, GET /ui/<file> its script and style sheet
(api/static/, shipped as package data). It browses the tree, picks targets and draws their
graph in the browser from the read endpoints (/metrics/find, /render?format=json, /functions,
/tags, /events/get_data); the server draws nothing here.

Only the files listed in ASSETS are served, by name, so no request path reaches the disk.
"""
from __future__ import annotations

from functools import cache
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import Response

from tsstore.api.responses import ApiError

router = APIRouter()
STATIC = Path(__file__).with_name("static")
ASSETS = {
    "app.js": "text/javascript; charset=utf-8",
    "app.css": "text/css; charset=utf-8",
}
# no-cache: a browser revalidates, so an upgraded server's page never runs a stale script
HEADERS = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
# The page runs its own files only: were a name from the store ever put in as markup, no
# script or style in it would run; and no other site may frame the page.
PAGE_HEADERS = {**HEADERS, "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
                                                       "frame-ancestors 'self'; base-uri 'none'; form-action 'none'"}


@cache
def _read(name: str) -> bytes:
    return (STATIC / name).read_bytes()


@router.get("/", include_in_schema=False)
async def index():
    return Response(_read("index.html"), media_type="text/html; charset=utf-8", headers=PAGE_HEADERS)


@router.get("/ui/{name}", include_in_schema=False)
async def asset(name: str):
    media_type = ASSETS.get(name)
    if media_type is None:
        raise ApiError(f"no such file of the built-in page: {name!r}; it has {', '.join(sorted(ASSETS))}", 404)
    return Response(_read(name), media_type=media_type, headers=HEADERS)
