"""/render: targets evaluated over a time range, answered in one of graphite-web's formats.

FORMATS names every data format tsstore writes; the image formats (png, svg, pdf: pictures
drawn by tsstore.graph) are the others, and png is what a request without a format gets, as
from graphite-web. An unknown format is refused (graphite-web draws a PNG for it; a typo'd
format=jsno answered with a picture helps nobody), as are bad graph parameters, before any
target is evaluated. The targets are all parsed, and their number of expressions checked
(max_expressions_per_render), before any is evaluated; the points and series they read and
make are charged to the render's budget as they are built (tsstore/query/budget.py), and the
points returned are checked before anything is written or drawn.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable
from zoneinfo import ZoneInfo

import orjson
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
from tsstore.graph.options import GraphParameterError, parse_graph_options
from tsstore.graph.picture import MEDIA_TYPES as IMAGE_FORMATS
from tsstore.graph.picture import line_picture, pie_picture, pie_value
from tsstore.query import attime
from tsstore.query.context import EvalContext
from tsstore.query.engine import evaluate, parse_targets

router = APIRouter()


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


def _format_name(params: Params) -> str:
    """The format asked for: `format`, else the legacy rawData / pickle flags, else png."""
    name = params.get("format") or ("raw" if "rawData" in params else "pickle" if "pickle" in params else "png")
    if name not in FORMATS and name not in IMAGE_FORMATS:
        *others, last = [*FORMATS, *IMAGE_FORMATS]
        raise ApiError(f"unknown format {name!r}: use {', '.join(others)} or {last}")
    return name


def _graph_options(params: Params) -> dict:
    try:
        return parse_graph_options(params)
    except GraphParameterError as exc:
        raise ApiError(str(exc)) from None


def _pie_target(target: str) -> tuple[str, float] | None:
    """A pie target written name:value is a slice as it stands (graphite-web's rule: any ':')."""
    if ":" not in target:
        return None
    name, value = target.split(":", 1)
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise ApiError(f"invalid pie target {target!r}: a target with ':' must be name:number (finite)")
    return name, number


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
    name = _format_name(params)
    graph = _graph_options(params) if name in IMAGE_FORMATS else None
    pie = graph is not None and graph.get("graphType") == "pie"
    slices = {i: s for i, s in enumerate(_pie_target(t) for t in targets) if s} if pie else {}
    nodes = parse_targets([t for i, t in enumerate(targets) if i not in slices], ctx.settings.max_expressions_per_render)
    ectx = EvalContext(ctx.store, start, end, now, tz, params, ctx.settings)  # one budget for all the targets
    evaluated = []
    for node in nodes:
        evaluated.append(await evaluate(node, ectx))
    series = [s for group in evaluated for s in group]
    limit = ctx.settings.max_points_per_render
    points = sum(len(s.values) for s in series)
    if limit and points > limit:
        raise ApiError(f"the request would return {points} points; the limit is {limit} (setting max_points_per_render)")
    if graph is not None:
        return _picture(name, graph, targets, slices, evaluated, series, tz, params)
    fmt = FORMATS[name]
    max_points = params.int("maxDataPoints") if (params.get("maxDataPoints") or "").isdigit() else None
    opts = RenderOptions(tz, max_points, "noNullPoints" in params, bool(params.get("pretty")),
                         ctx.settings.json_infinity_as_null)
    # jsonp wraps only a format the request names (rawData=1&jsonp=cb stays plain), as graphite-web
    jsonp = params.get("jsonp") if fmt.jsonp and params.get("format") else None
    return body_response(fmt.write(series, opts), fmt.media_type, jsonp)


def _pie_slices(targets: list[str], slices: dict, evaluated: list, mode: str) -> list[tuple[str, float]]:
    """The slices in the order of the targets: a literal one where it stands, else one per
    series of the target's evaluation."""
    groups = iter(evaluated)
    out = []
    for i in range(len(targets)):
        if i in slices:
            out.append(slices[i])
        else:
            out.extend((s.name, pie_value(s, mode)) for s in next(groups))
    return out


def _picture(name: str, graph: dict, targets, slices, evaluated, series, tz, params: Params):
    try:
        if graph.get("graphType") == "pie":
            body = pie_picture(_pie_slices(targets, slices, evaluated, graph.get("pieMode", "average")), graph, name)
        else:
            body = line_picture(series, graph, tz, name)
    except GraphParameterError as exc:  # found while drawing: a series' own color, an axis past float's range
        raise ApiError(str(exc)) from None
    if name == "svg" and params.get("jsonp"):  # graphite-web: the markup as a JSON string
        return body_response(orjson.dumps(body.decode()), IMAGE_FORMATS[name], params.get("jsonp"))
    return body_response(body, IMAGE_FORMATS[name])
