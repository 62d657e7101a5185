"""How every endpoint answers: errors, JSON bodies, jsonp and cache headers, in one place.

Errors are raised as ApiError(message, status, headers). Their shape follows graphite-web's views: the
render, find and expand endpoints answer plain text (the application's exception handler);
the JSON endpoints (tags, events, functions) answer {"error": message}, which their routers
get by using JsonErrorRoute, as graphite-web's @jsonResponse views do.
"""
from __future__ import annotations

import re

import orjson
from fastapi.responses import PlainTextResponse, Response
from fastapi.routing import APIRoute

# graphite-web's find views send these; its render and index views do not.
NO_CACHE = {"Pragma": "no-cache", "Cache-Control": "no-cache"}


class ApiError(Exception):
    """A request the API refuses, answered with `status` and a message that names the problem."""

    def __init__(self, message: str, status: int = 400, headers: dict | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.headers = headers  # e.g. WWW-Authenticate on a 401


def text_error(message: str, status: int = 400, headers: dict | None = None) -> Response:
    return PlainTextResponse(message, status_code=status, headers=headers)


def json_response(obj, status: int = 200, headers: dict | None = None) -> Response:
    """orjson bytes as application/json."""
    return Response(orjson.dumps(obj), status_code=status, media_type="application/json", headers=headers)


def json_error(message: str, status: int = 400, headers: dict | None = None) -> Response:
    """{"error": message}, as graphite-web's JSON endpoints report problems."""
    return json_response({"error": message}, status, headers)


# A jsonp callback is written into a script the browser runs: only a (dotted, ASCII) JavaScript
# identifier, so a request cannot make tsstore answer a script of its choosing.
JSONP_CALLBACK = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*(\.[A-Za-z_$][A-Za-z0-9_$]*)*")


def body_response(body: bytes, media_type: str = "application/json", jsonp: str | None = None,
                  headers: dict | None = None) -> Response:
    """`body` as `media_type`, or as `jsonp(body)` in text/javascript when a callback is named
    (an ApiError naming the parameter when it is not a JavaScript identifier)."""
    if jsonp:
        if not JSONP_CALLBACK.fullmatch(jsonp):
            raise ApiError(f"parameter 'jsonp' must be a JavaScript function name such as cb or a.b_c$1 "
                           f"(ASCII letters, digits, _ and $; dotted), got {jsonp!r}")
        return Response(f"{jsonp}(".encode() + body + b")", media_type="text/javascript",
                        headers={**(headers or {}), "X-Content-Type-Options": "nosniff"})
    return Response(body, media_type=media_type, headers=headers)


class JsonErrorRoute(APIRoute):
    """The route class of the JSON endpoints: an ApiError raised in them is answered
    {"error": message} with its status instead of the application's plain text."""

    def get_route_handler(self):
        handler = super().get_route_handler()

        async def answer(request):
            try:
                return await handler(request)
            except ApiError as exc:
                return json_error(exc.message, exc.status, exc.headers)

        return answer
