"""Events for Grafana annotations: POST /events (a write: tsstore.api.access), GET
/events/get_data, GET /events/<id>, in graphite-web's shapes (tsstore.events holds the rules,
the store keeps the events). Problems are answered {"error": message}."""
from __future__ import annotations

import time
from datetime import datetime, timezone

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response

from tsstore import events as ev
from tsstore.api.access import WRITE
from tsstore.api.responses import ApiError, JsonErrorRoute, body_response, json_response
from tsstore.query.attime import AtTimeError, parse_time

router = APIRouter(route_class=JsonErrorRoute)
MAX_EVENT_ID = 2**63 - 1  # SQLite INTEGER and Cassandra bigint


@router.post("/events", dependencies=[WRITE])
@router.post("/events/", dependencies=[WRITE])
async def post_event(request: Request):
    body = await request.body()
    try:
        event = ev.from_post(orjson.loads(body))
    except orjson.JSONDecodeError as exc:
        raise ApiError(f"the event body is not valid JSON: {exc}") from None
    except ev.InvalidEvent as exc:
        raise ApiError(str(exc)) from None
    await request.app.state.ctx.store.add_event(event)
    return Response(status_code=200)


async def _fetch(request: Request) -> list[dict]:
    """The events a get_data or list request asks for (from/until, tags, set)."""
    q = request.query_params
    now = datetime.now(timezone.utc)
    try:
        start = parse_time(q["from"], now) if q.get("from") is not None else 0
        end = parse_time(q["until"], now) if q.get("until") is not None else time.time()
    except AtTimeError as exc:
        raise ApiError(f"bad from/until: {exc}") from None
    tags = q.get("tags")
    found = await request.app.state.ctx.store.events_between(start, end)
    return [e.as_json() for e in ev.select(found, tags.split(" ") if tags is not None else None, q.get("set"))]


@router.get("/events/get_data")
@router.get("/events/get_data/")
async def get_data(request: Request):
    return body_response(orjson.dumps(await _fetch(request)), jsonp=request.query_params.get("jsonp"))


@router.get("/events")
@router.get("/events/")
async def list_events(request: Request):
    # graphite-web answers an HTML page here; a JSON list of the same events serves scripts better.
    return json_response(await _fetch(request))


@router.get("/events/{event_id}")
@router.get("/events/{event_id}/")
async def event_detail(request: Request, event_id: str):
    # ASCII digits only ('¹'.isdigit() is true but int() refuses it); ids are 64-bit integers
    # in both stores, so a larger one names no event (the stores would overflow on it)
    if not (event_id.isascii() and event_id.isdigit()):
        raise ApiError(f"event id must be a number, got {event_id!r}", 404)
    if int(event_id) > MAX_EVENT_ID:
        raise ApiError(f"event id {event_id} is beyond the largest id ({MAX_EVENT_ID}): no such event", 404)
    event = await request.app.state.ctx.store.get_event(int(event_id))
    if event is None:
        raise ApiError("Event matching query does not exist", 404)
    when = datetime.fromtimestamp(event.when, timezone.utc).isoformat().replace("+00:00", "Z")
    return json_response({"id": event.id, "when": when, "what": event.what, "data": event.data, "tags": event.tags})
