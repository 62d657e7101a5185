"""The HTTP/1.1 protocol the API is served with: uvicorn's h11 protocol, with its refusals of a
bad request head answered so that the client reads them.

h11 stops buffering a request head (request line + headers) past `max_incomplete_event_size`
(the setting max_request_head_bytes) and uvicorn then writes a 400 and closes the socket at
once. The client is still sending the rest of its request (a 1 MB URL), so the kernel answers
the unread bytes with a reset and the client sees "connection reset" instead of the answer.
Here the refusal says what was too long (414 for the request line, 431 for the headers), the
write side is shut down after it, and what the client still sends is read and dropped until it
closes (at most LINGER_SECONDS), as a web server's lingering close does.
"""
from __future__ import annotations

from uvicorn.protocols.http.h11_impl import H11Protocol

LINGER_SECONDS = 10.0  # how long a refused client may keep sending before the socket is closed


class HeadLimitedH11Protocol(H11Protocol):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._refused = False
        self._linger = None

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return  # the rest of a refused request: read and dropped
        super().data_received(data)

    def send_400_response(self, msg: str) -> None:
        """uvicorn calls this when h11 refuses what the client sent; h11 keeps the bytes it
        refused (trailing_data), which tell whether the head was too long and which part."""
        limit = self.config.h11_max_incomplete_event_size
        pending, _ = self.conn.trailing_data
        if limit is not None and len(pending) > limit:
            if b"\n" not in pending:
                status, reason = 414, "URI Too Long"
                msg = (f"the request line is longer than {limit} bytes (setting max_request_head_bytes); "
                       "send long targets in a POST body")
            else:
                status, reason = 431, "Request Header Fields Too Large"
                msg = f"the request headers are longer than {limit} bytes (setting max_request_head_bytes)"
        else:
            status, reason = 400, "Bad Request"
        body = msg.encode("utf-8")
        head = (f"HTTP/1.1 {status} {reason}\r\ncontent-type: text/plain; charset=utf-8\r\n"
                f"content-length: {len(body)}\r\nconnection: close\r\n\r\n").encode("ascii")
        self.transport.write(head + body)
        self._refused = True
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self._linger = self.loop.call_later(LINGER_SECONDS, self.transport.close)

    def eof_received(self) -> bool | None:
        if self._refused:
            self.transport.close()  # the client has sent everything: nothing is left unread
        return super().eof_received()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._linger is not None:
            self._linger.cancel()
        super().connection_lost(exc)
