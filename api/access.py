"""Who may use the HTTP API: reads are open (as graphite-web's are), writes are off unless
configured, and CORS is for reads only (README: Security).

A write route declares `dependencies=[WRITE]`: allow_write refuses the request unless
api_write_token_file's bearer token or one of api_write_networks allows it. CorsForReads
finds those routes among the routers' routes, so a web page on another origin gets no CORS
headers from them and its preflight is refused.
"""
from __future__ import annotations

import hmac
import ipaddress
from dataclasses import dataclass

from fastapi import Depends, Request
from fastapi.responses import PlainTextResponse
from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import Match

from tsstore.api.responses import ApiError
from tsstore.config import Settings, cors_origins, networks, write_token

SEE = "(README: Security)"
READ_METHODS = ("GET", "HEAD", "POST")  # POST: /render and /metrics/find take form bodies


def _address(text: str | None):
    """An address as a network test wants it (an IPv4-mapped IPv6 address as its IPv4), or None."""
    try:
        ip = ipaddress.ip_address((text or "").strip())
    except ValueError:
        return None
    return (ip.ipv4_mapped or ip) if ip.version == 6 else ip


@dataclass(frozen=True)
class WriteAccess:
    """The write policy of one application, read once from the settings."""

    token: bytes | None
    networks: tuple
    trusted_proxies: tuple

    @classmethod
    def from_settings(cls, settings: Settings) -> "WriteAccess":
        token = write_token(settings)
        return cls(token.encode() if token is not None else None, tuple(networks(settings, "api_write_networks")),
                   tuple(networks(settings, "api_trusted_proxies")))

    @property
    def enabled(self) -> bool:
        return self.token is not None or bool(self.networks)

    def describe(self) -> str:
        """One line for the start-up log."""
        if not self.enabled:
            return "off (reads only; see api_write_token_file, api_write_networks)"
        ways = (["bearer token"] if self.token is not None else []) + [str(n) for n in self.networks]
        return "allowed by " + ", ".join(ways)

    def client(self, request: Request):
        """The client's address: the TCP peer, or, when the peer is a trusted proxy, the last
        X-Forwarded-For address that is not one (None when that address does not parse)."""
        peer = _address(request.client.host if request.client else None)
        forwarded = ",".join(request.headers.getlist("x-forwarded-for"))
        if peer is None or not forwarded or not self._trusted(peer):
            return peer
        hops = [_address(h) for h in forwarded.split(",")]
        for hop in reversed(hops):
            if hop is None or not self._trusted(hop):
                return hop
        return hops[0]  # every hop a trusted proxy: the first is the client

    def _trusted(self, ip) -> bool:
        return any(ip in n for n in self.trusted_proxies)

    def check(self, request: Request) -> None:
        """Return when the request may write; raise the ApiError that says why not otherwise."""
        if not self.enabled:
            raise ApiError("writes through the HTTP API are off: set api_write_token_file (a bearer token) or "
                           f"api_write_networks (client networks) to allow them {SEE}", 403)
        if "origin" in request.headers:
            # Browsers send Origin; scripts and relays do not. A page the user opens must not
            # write through a browser that sits inside api_write_networks.
            raise ApiError("writes are not accepted from web pages: this request carries an Origin header "
                           f"(a browser's); send writes from a script or relay {SEE}", 403)
        auth = request.headers.get("authorization")
        if self.token is not None and auth is not None:
            scheme, _, presented = auth.partition(" ")
            if scheme.lower() != "bearer" or not presented.strip():
                raise ApiError(f"the Authorization header must be 'Bearer <token>' {SEE}", 401,
                               {"WWW-Authenticate": 'Bearer realm="tsstore", error="invalid_request"'})
            if not hmac.compare_digest(presented.strip().encode(), self.token):
                raise ApiError(f"the bearer token does not match the one in api_write_token_file {SEE}", 401,
                               {"WWW-Authenticate": 'Bearer realm="tsstore", error="invalid_token"'})
            return
        client = self.client(request)
        if client is not None and any(client in n for n in self.networks):
            return
        who = f"client {client}" if client is not None else "a client whose address is unknown"
        if self.token is not None:
            where = f"{who} is not in api_write_networks and " if self.networks else ""
            raise ApiError(f"{where}this write needs 'Authorization: Bearer <token>' with the token in "
                           f"api_write_token_file {SEE}", 401, {"WWW-Authenticate": 'Bearer realm="tsstore"'})
        listed = ", ".join(str(n) for n in self.networks)
        raise ApiError(f"{who} may not write: it is not in api_write_networks ({listed}); add its network "
                       f"there or set api_write_token_file {SEE}", 403)


async def allow_write(request: Request) -> None:
    """The dependency of every write route."""
    request.app.state.write_access.check(request)


WRITE = Depends(allow_write)


def is_write_route(route) -> bool:
    """True for a route declared with dependencies=[WRITE]."""
    return any(getattr(d, "dependency", None) is allow_write for d in getattr(route, "dependencies", ()))


class CorsForReads:
    """CORS for the origins in api_cors_origins on the read routes (Starlette's CORSMiddleware);
    none on the write routes, whose preflight is refused, nor for an origin not listed."""

    def __init__(self, app, settings: Settings, routes):
        self.app = app
        self.cors = CORSMiddleware(app, allow_origins=cors_origins(settings), allow_methods=READ_METHODS,
                                   allow_headers=["*"], allow_private_network=True)
        self.writes = [r for r in routes if is_write_route(r)]

    def _is_write(self, scope, method: str) -> bool:
        path = scope["path"]
        # /x/ is redirected to /x when only /x exists: both are the route's path
        paths = (path, path[:-1] if path.endswith("/") else path + "/")
        return any(route.matches({**scope, "method": method, "path": p})[0] == Match.FULL
                   for route in self.writes for p in paths)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        preflight = origin is not None and scope["method"] == "OPTIONS" and "access-control-request-method" in headers
        method = headers["access-control-request-method"].upper() if preflight else scope["method"]
        if self._is_write(scope, method):
            if preflight:
                refused = PlainTextResponse(f"cross-origin writes are refused: {method} {scope['path']} changes "
                                            f"state and is not for web pages {SEE}", 403)
                await refused(scope, receive, send)
            else:
                await self.app(scope, receive, send)  # no CORS headers: allow_write decides
            return
        if preflight and not self.cors.is_allowed_origin(origin):
            refused = PlainTextResponse(f"origin {origin} may not read this API from a web page: list it in "
                                        f"api_cors_origins {SEE}", 403)
            await refused(scope, receive, send)
            return
        await self.cors(scope, receive, send)
