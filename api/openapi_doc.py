"""/openapi.json: the read endpoints with the query parameters graphite-web's API takes (the
routes read their parameters themselves, so FastAPI cannot see them). What clients and
schemathesis (benchmarks/fuzz_http.py, tests/api/test_fuzz_http.py) read; one entry per
path, GET only (each also answers POST with the same fields as a form)."""
from __future__ import annotations

_STR = {"type": "string"}
_INT = {"type": "integer"}
_FLAG = {"type": "string", "enum": ["0", "1", "true", "false"]}
_TIME = {"type": "string", "description": "graphite at-time: -1h, now, 20:00_20240101, epoch seconds"}


def _params(**fields) -> list[dict]:
    out = []
    for name, schema in fields.items():
        many = isinstance(schema, list)
        out.append({"name": name.rstrip("_"), "in": "query", "required": False,
                    "schema": {"type": "array", "items": schema[0]} if many else schema,
                    **({"style": "form", "explode": True} if many else {})})
    return out


PATHS = {
    "/render": ("Evaluate targets over a range", _params(
        target=[_STR], from_=_TIME, until=_TIME, now=_TIME, tz=_STR, maxDataPoints=_INT, noNullPoints=_FLAG, jsonp=_STR,
        format={"type": "string", "enum": ["json", "csv", "raw", "pickle", "msgpack", "dygraph", "rickshaw",
                                           "png", "svg", "pdf"]},
        # a few of the graph parameters (tsstore/graph/options.py has them all)
        graphType={"type": "string", "enum": ["line", "pie"]}, width=_INT, height=_INT, title=_STR, bgcolor=_STR,
        colorList=_STR, lineMode=_STR, areaMode=_STR, yMin=_STR, yMax=_STR, logBase=_STR, yUnitSystem=_STR,
        hideLegend=_FLAG, fontSize=_STR, lineWidth=_STR)),
    "/metrics/find": ("Find tree nodes matching a glob", _params(
        query=_STR, from_=_TIME, until=_TIME, local=_INT, wildcards=_FLAG, leavesOnly=_FLAG, position=_INT, jsonp=_STR,
        format={"type": "string", "enum": ["treejson", "completer", "json", "nodelist", "pickle", "msgpack"]})),
    "/metrics/expand": ("Expand globs to paths", _params(query=[_STR], leavesOnly=_FLAG, groupByExpr=_FLAG)),
    "/metrics/index.json": ("Every leaf path", _params(jsonp=_STR)),
    "/tags/findSeries": ("Series matching tag expressions", _params(expr=[_STR])),
    "/tags/autoComplete/tags": ("Tag names", _params(tagPrefix=_STR, expr=[_STR], limit=_INT)),
    "/tags/autoComplete/values": ("Values of one tag", _params(tag=_STR, valuePrefix=_STR, expr=[_STR], limit=_INT)),
    "/events/get_data": ("Events in a range", _params(from_=_TIME, until=_TIME, tags=_STR, jsonp=_STR)),
    "/functions": ("The render functions", _params(grouped=_FLAG, jsonp=_STR)),
    "/version": ("graphite-web's version", []),
    "/tsstore/status": ("This process's counters", []),
}


def openapi_schema(version: str) -> dict:
    paths = {}
    for path, (summary, params) in PATHS.items():
        op_id = path.strip("/").replace("/", "_").replace(".", "_") or "root"
        paths[path] = {"get": {"summary": summary, "operationId": op_id, "parameters": params,
                               "responses": {"200": {"description": "the answer, in the format asked for"},
                                             "400": {"description": "a bad parameter, named in the text"}}}}
    return {"openapi": "3.0.3", "info": {"title": "tsstore (Graphite HTTP API)", "version": version}, "paths": paths}


def install(app, version: str) -> None:
    app.openapi = lambda: openapi_schema(version)
