"""Request work off the event loop that serves carbon: every HTTP request but the trivial
ones runs on one of a few threads, each with its own event loop, so a heavy render, find or
tag query never holds up the listeners (or /version) on the main loop; the main loop only
reads the request, carries the response back, and keeps each request's time budget.

An ASGI middleware, so no endpoint knows about it: the body is read on the main loop (up to
max_request_bytes, else 413), the app runs in a worker loop with a receive that replays the
body and then forwards the client's disconnect, and every message it sends is handed back to
the main loop. A request still running after request_timeout seconds is cancelled and, if it
had not started answering, answered 503 naming the setting. Python's GIL is shared, but it
is handed over every few milliseconds; long C-level work that does not release it (a regex
that backtracks) is bounded where it happens (tsstore.index.user_regex).
"""
from __future__ import annotations

import asyncio
import itertools
import threading

INLINE_PATHS = frozenset({"/version", "/version/", "/tsstore/status"})  # answered on the main loop


class RequestThreads:
    """`count` threads, each running an event loop forever."""

    def __init__(self, count: int):
        self.loops = []
        self._threads = []
        for i in range(count):
            loop = asyncio.new_event_loop()
            thread = threading.Thread(target=loop.run_forever, name=f"http-work-{i}", daemon=True)
            thread.start()
            self.loops.append(loop)
            self._threads.append(thread)
        self._next = itertools.cycle(self.loops)

    def submit(self, coro):
        """Run a coroutine on the next worker loop; a concurrent.futures.Future of its result."""
        return asyncio.run_coroutine_threadsafe(coro, next(self._next))

    def close(self) -> None:
        for loop in self.loops:
            loop.call_soon_threadsafe(loop.stop)
        for thread in self._threads:
            thread.join(5)


async def _plain(send, status: int, text: str) -> None:
    body = text.encode() + b"\n"
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


class OffloadMiddleware:
    def __init__(self, app, threads: RequestThreads, timeout: float, max_body: int):
        self.app, self.threads, self.timeout, self.max_body = app, threads, timeout, max_body

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["path"] in INLINE_PATHS:
            return await self.app(scope, receive, send)
        body, size = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away before the body ended
                return
            size += len(message.get("body", b""))
            if size > self.max_body:
                return await _plain(send, 413, f"the request body is over {self.max_body} bytes (setting max_request_bytes)")
            body.append(message)
            if not message.get("more_body"):
                break
        main = asyncio.get_running_loop()
        started = False

        async def worker_receive():
            if body:
                return body.pop(0)
            return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(receive(), main))

        async def worker_send(message):
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(send(message), main))

        work = self.threads.submit(self.app(scope, worker_receive, worker_send))
        try:
            await asyncio.wait_for(asyncio.wrap_future(work), self.timeout)
        except asyncio.TimeoutError:
            work.cancel()  # the request's task on its worker loop ends at its next await
            if not started:
                await _plain(send, 503, f"the request took longer than {self.timeout:g}s (setting request_timeout); "
                                        "narrow the range or the targets")
