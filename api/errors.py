"""HTTP errors with messages that name the problem."""
from __future__ import annotations


class BadRequest(Exception):
    """Answered as HTTP 400 with the message as the body."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def json_response(obj, status: int = 200):
    """orjson bytes as application/json (the tags and events endpoints answer this way)."""
    import orjson
    from fastapi.responses import Response

    return Response(orjson.dumps(obj), status_code=status, media_type="application/json")


def json_error(message: str, status: int = 400):
    """{"error": message} with the status, as graphite-web's JSON endpoints report problems."""
    return json_response({"error": message}, status)
