"""/tsstore/series/*: what is stored, by subtree (tsstore's own endpoints; graphite-web has
none). /tsstore/series/count?query=<glob>&limit=N lists the nodes the glob matches with the
series under each, most first: the cardinality of `servers.*`, or with `*.*` the top N
prefixes of two levels."""
from __future__ import annotations

from fastapi import APIRouter, Request

from tsstore.api.params import read_params
from tsstore.api.responses import ApiError, JsonErrorRoute, json_response

router = APIRouter(route_class=JsonErrorRoute)
COUNT_LIMIT = 100


@router.get("/tsstore/series/count")
async def count(request: Request):
    params = await read_params(request)
    query = params.get("query")
    if not query:
        raise ApiError("missing parameter 'query': /tsstore/series/count?query=<glob>&limit=N")
    limit = params.int("limit", COUNT_LIMIT, minimum=1)
    counted = await request.app.state.ctx.store.count_series(query)
    if counted is None:
        raise ApiError("the path index is still being built (/tsstore/status: path_index); ask again in a few seconds", 503)
    return json_response({"query": query, "matched": len(counted),
                          "nodes": [{"path": path, "series": n} for path, n in counted[:limit]]})
