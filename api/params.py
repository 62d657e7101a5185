"""Request parameters as graphite-web reads them: query string and body merged.

Repeated keys from both places are concatenated. Bodies may be a form
(application/x-www-form-urlencoded or multipart, as Grafana sends) or a JSON object.
"""
from __future__ import annotations

from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import orjson
from fastapi import Request

from tsstore.api.responses import ApiError


class Params:
    def __init__(self, items: list[tuple[str, str]]):
        self.items = items

    def getlist(self, key: str) -> list[str]:
        return [v for k, v in self.items if k == key]

    def get(self, key: str, default: str | None = None) -> str | None:
        values = self.getlist(key)
        return values[-1] if values else default

    def __contains__(self, key: str) -> bool:
        return any(k == key for k, _ in self.items)

    def flag(self, key: str) -> bool:
        value = self.get(key)
        return value is not None and value.lower() in ("1", "true", "yes", "on")

    def int(self, key: str, default: int | None = None, minimum: int | None = None) -> int | None:
        """The parameter as an integer (`default` when absent or empty); anything else, or a
        value below `minimum`, is an ApiError naming the parameter."""
        value = self.get(key)
        if value is None or value == "":
            return default
        try:
            number = int(value)
        except ValueError:
            number = None
        if number is None or (minimum is not None and number < minimum):
            wanted = "an integer" if minimum is None else f"an integer >= {minimum}"
            raise ApiError(f"parameter {key!r} must be {wanted}, got {value!r}")
        return number

    def tz(self) -> ZoneInfo:
        """The `tz` parameter as a zone; UTC when absent or unknown (graphite-web ignores an
        unknown zone)."""
        name = self.get("tz")
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                pass
        return ZoneInfo("UTC")


async def read_params(request: Request) -> Params:
    items = list(parse_qsl(request.url.query, keep_blank_values=True))
    if request.method == "POST":
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        body = await request.body()
        if ctype == "application/json" and body:
            try:
                data = orjson.loads(body)
            except orjson.JSONDecodeError as exc:
                raise ApiError(f"request body is not valid JSON: {exc}") from None
            if not isinstance(data, dict):
                raise ApiError("JSON request body must be an object")
            for key, value in data.items():
                for v in value if isinstance(value, list) else [value]:
                    items.append((key, v if isinstance(v, str) else orjson.dumps(v).decode()))
        elif ctype == "multipart/form-data":
            form = await request.form()
            items.extend((k, v) for k, v in form.multi_items() if isinstance(v, str))
        elif body:
            # Grafana's find sends an un-encoded body: a literal '+' must stay a '+'... but a
            # form body decodes '+' as space, which is what graphite-web does too.
            items.extend(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    return Params(items)
