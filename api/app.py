"""The FastAPI application: graphite-web's HTTP API over a tsstore Store.

create_app wires the middleware, the endpoint routers and the exception handlers that turn
refusals into plain-text answers (the JSON endpoints answer theirs through
tsstore.api.responses.JsonErrorRoute).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware

import tsstore
from tsstore.api import events, functions, metrics, render, status, tags
from tsstore.api.responses import ApiError, text_error
from tsstore.config import Settings
from tsstore.index.globs import GlobError
from tsstore.query.attime import AtTimeError
from tsstore.query.errors import QueryError
from tsstore.store.base import Store
from tsstore.store.errors import StoreUnavailable


@dataclass
class AppContext:
    store: Store
    settings: Settings = field(default_factory=Settings)
    counters: object = None  # tsstore.ingest.counters.Counters of the ingest side, when in the same process


def create_app(ctx: AppContext) -> FastAPI:
    app = FastAPI(title="tsstore", version=tsstore.__version__, docs_url=None, redoc_url=None)
    app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["*"], allow_headers=["*"])
    app.state.ctx = ctx
    for module in (status, metrics, functions, tags, events, render):
        app.include_router(module.router)

    @app.exception_handler(ApiError)
    async def refused(request: Request, exc: ApiError):
        return text_error(exc.message, exc.status)

    @app.exception_handler(QueryError)
    async def bad_query(request: Request, exc: QueryError):
        return text_error(str(exc))

    @app.exception_handler(GlobError)
    async def bad_glob(request: Request, exc: GlobError):
        return text_error(str(exc))

    @app.exception_handler(AtTimeError)
    async def bad_time(request: Request, exc: AtTimeError):
        return text_error(str(exc))

    @app.exception_handler(StoreUnavailable)
    async def store_down(request: Request, exc: StoreUnavailable):
        return text_error(f"the store is unavailable: {exc}", 503)

    return app
