"""The FastAPI application: graphite-web's HTTP API over a tsstore Store.

create_app wires the access rules (tsstore.api.access: open reads, writes only when
configured, CORS for reads), the endpoint routers with the built-in page's (tsstore.api.page)
and the exception handlers that turn refusals into plain-text answers (the JSON endpoints
answer theirs through tsstore.api.responses.JsonErrorRoute).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import FastAPI, Request

import tsstore
from tsstore.api import events, functions, metrics, openapi_doc, page, render, series, status, tags
from tsstore.api.access import CorsForReads, WriteAccess
from tsstore.api.offload import OffloadMiddleware, RequestThreads
from tsstore.api.responses import ApiError, text_error
from tsstore.config import Settings
from tsstore.index.globs import GlobError
from tsstore.index.user_regex import UserRegexError
from tsstore.query.attime import AtTimeError
from tsstore.query.errors import QueryError
from tsstore.store.base import Store
from tsstore.store.errors import StoreUnavailable


@dataclass
class AppContext:
    store: Store
    settings: Settings = field(default_factory=Settings)
    counters: object = None  # tsstore.ingest.counters.Counters of the ingest side, when in the same process
    threads: RequestThreads | None = None  # where requests run (create_app starts them when absent)
    lifecycle: object = None  # tsstore.lifecycle.operations.SeriesLifecycle (or its channel): deletes, renames


def create_app(ctx: AppContext) -> FastAPI:
    app = FastAPI(title="tsstore", version=tsstore.__version__, docs_url=None, redoc_url=None)
    app.state.ctx = ctx
    openapi_doc.install(app, tsstore.__version__)
    app.state.write_access = WriteAccess.from_settings(ctx.settings)  # a bad setting fails here, not per request
    routers = [module.router for module in (status, metrics, functions, tags, events, render, series, page)]
    for router in routers:
        app.include_router(router)
    app.add_middleware(CorsForReads, settings=ctx.settings, routes=[r for router in routers for r in router.routes])
    if ctx.threads is None:
        ctx.threads = RequestThreads(ctx.settings.request_threads)
    # outermost: everything below runs on a request thread (the CORS answers too)
    app.add_middleware(OffloadMiddleware, threads=ctx.threads, timeout=ctx.settings.request_timeout,
                       max_body=ctx.settings.max_request_bytes)

    @app.exception_handler(ApiError)
    async def refused(request: Request, exc: ApiError):
        return text_error(exc.message, exc.status, exc.headers)

    @app.exception_handler(QueryError)
    async def bad_query(request: Request, exc: QueryError):
        return text_error(str(exc))

    @app.exception_handler(GlobError)
    @app.exception_handler(UserRegexError)  # a request's regex ran out of time while matching
    async def bad_pattern(request: Request, exc: ValueError):
        return text_error(str(exc))

    @app.exception_handler(AtTimeError)
    async def bad_time(request: Request, exc: AtTimeError):
        return text_error(str(exc))

    @app.exception_handler(StoreUnavailable)
    async def store_down(request: Request, exc: StoreUnavailable):
        return text_error(f"the store is unavailable: {exc}", 503)

    return app
