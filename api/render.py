"""/render: targets evaluated over a time range, answered in one of graphite-web's formats.

FORMATS names every format tsstore writes. A format outside it (the image formats with their
own message) is refused before any target is evaluated. The targets are all parsed, and their
number of expressions checked (max_expressions_per_render), before any is evaluated; the
points and series they read and make are charged to the render's budget as they are built
(tsstore/query/budget.py), and the points returned are checked before anything is written.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request

from tsstore.api.formats import (
    apply_max_data_points,
    render_csv,
    render_dygraph,
    render_msgpack,
    render_pickle,
    render_raw,
    render_rickshaw,
)
from tsstore.api.params import Params, read_params
from tsstore.api.render_json import pretty, render_json
from tsstore.api.responses import ApiError, body_response
from tsstore.query import attime
from tsstore.query.context import EvalContext
from tsstore.query.engine import evaluate, parse_targets

router = APIRouter()
IMAGE_FORMATS = ("png", "svg", "pdf")


@dataclass(frozen=True)
class RenderOptions:
    """What the writers read from the request besides the series."""

    tz: ZoneInfo
    max_data_points: int | None  # json only: consolidate to at most this many points
    no_null_points: bool  # json only
    pretty: bool  # json only
    inf_as_null: bool  # json only (setting json_infinity_as_null)


@dataclass(frozen=True)
class Format:
    write: Callable[[list, RenderOptions], bytes]
    media_type: str
    jsonp: bool = False  # graphite-web wraps these in the named jsonp callback


def _write_json(series: list, opts: RenderOptions) -> bytes:
    if opts.max_data_points:
        series = apply_max_data_points(series, opts.max_data_points)
    body = render_json(series, opts.no_null_points, opts.inf_as_null)
    return pretty(body) if opts.pretty else body


FORMATS: dict[str, Format] = {
    "json": Format(_write_json, "application/json", jsonp=True),
    "csv": Format(lambda series, opts: render_csv(series, opts.tz), "text/csv"),
    "raw": Format(lambda series, opts: render_raw(series), "text/plain"),
    "pickle": Format(lambda series, opts: render_pickle(series), "application/pickle"),
    "msgpack": Format(lambda series, opts: render_msgpack(series), "application/x-msgpack"),
    "dygraph": Format(lambda series, opts: render_dygraph(series), "application/json", jsonp=True),
    "rickshaw": Format(lambda series, opts: render_rickshaw(series), "application/json", jsonp=True),
}


def _format(params: Params) -> Format:
    name = params.get("format") or ("raw" if "rawData" in params else "pickle" if "pickle" in params else "json")
    if name in IMAGE_FORMATS:
        raise ApiError(f"format={name} is not supported: tsstore renders data, not images; use format=json (what Grafana asks for)")
    if name not in FORMATS:
        *others, last = FORMATS
        raise ApiError(f"unknown format {name!r}: use {', '.join(others)} or {last}")
    return FORMATS[name]


@router.api_route("/render", methods=["GET", "POST"])
@router.api_route("/render/", methods=["GET", "POST"])
async def render(request: Request):
    ctx = request.app.state.ctx
    params = await read_params(request)
    targets = [t for t in params.getlist("target") if t.strip()] or [
        t for t in params.getlist("target[]") if t.strip()
    ]
    tz = params.tz()
    start, end, now = attime.resolve_range(
        {"from": params.get("from"), "until": params.get("until"), "now": params.get("now"), "tz": tz}
    )
    fmt = _format(params)
    nodes = parse_targets(targets, ctx.settings.max_expressions_per_render)
    ectx = EvalContext(ctx.store, start, end, now, tz, params, ctx.settings)  # one budget for all the targets
    series = []
    for node in nodes:
        series.extend(await evaluate(node, ectx))
    limit = ctx.settings.max_points_per_render
    points = sum(len(s.values) for s in series)
    if limit and points > limit:
        raise ApiError(f"the request would return {points} points; the limit is {limit} (setting max_points_per_render)")
    max_points = params.int("maxDataPoints") if (params.get("maxDataPoints") or "").isdigit() else None
    opts = RenderOptions(tz, max_points, "noNullPoints" in params, bool(params.get("pretty")),
                         ctx.settings.json_infinity_as_null)
    # jsonp wraps only a format the request names: a bare /render stays plain JSON
    jsonp = params.get("jsonp") if fmt.jsonp and params.get("format") else None
    return body_response(fmt.write(series, opts), fmt.media_type, jsonp)
