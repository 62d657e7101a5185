"""The local Unix-socket channels of the ingest process (tsstore.write_channel,
tsstore.memory_channel): frames of a 4-byte big-endian length and a msgpack body (never
pickle: nothing received is executed), and the server both run, one request and one reply
frame at a time per connection, on a socket in the data dir that only its owner may use."""
from __future__ import annotations

import asyncio
import logging
import os
import struct
from pathlib import Path

import msgpack

log = logging.getLogger(__name__)

MAX_FRAME = 512 << 20  # bytes; clients send and ask in batches well below this
_LENGTH = struct.Struct("!I")


async def read_frame(reader: asyncio.StreamReader):
    (size,) = _LENGTH.unpack(await reader.readexactly(_LENGTH.size))
    if size > MAX_FRAME:
        raise ValueError(f"frame of {size} bytes is over the {MAX_FRAME}-byte limit")
    return msgpack.unpackb(await reader.readexactly(size), raw=False)


def frame(obj) -> bytes:
    body = msgpack.packb(obj, use_bin_type=True)
    return _LENGTH.pack(len(body)) + body


class LocalSocketServer:
    """Serves answer() on `path` (mode 0600) while the ingest process runs. A request answer()
    cannot read (ValueError, TypeError, KeyError) gets {"error": "bad request: ..."}; other
    failures go to failed() (default: raised, which drops the client)."""

    name = "local channel"  # for the log
    too_long_hint = ""  # what a user loses when the socket path is too long

    def __init__(self, path: Path):
        self.path = path
        self._server: asyncio.AbstractServer | None = None
        self._clients: set[asyncio.StreamWriter] = set()

    async def answer(self, request: dict):
        raise NotImplementedError

    def failed(self, exc: Exception) -> dict:
        raise exc

    async def start(self):
        if len(os.fsencode(self.path)) > 100:  # sun_path is 108 bytes
            log.warning("%s off: %s is too long for a Unix socket path; %s", self.name, self.path, self.too_long_hint)
            return self
        self.path.unlink(missing_ok=True)  # left by a killed process; the data-dir lock is ours
        old_umask = os.umask(0o177)
        try:
            self._server = await asyncio.start_unix_server(self._serve, path=str(self.path))
        finally:
            os.umask(old_umask)
        return self

    async def stop(self) -> None:
        """Stop listening and close every client's connection."""
        if self._server is not None:
            self._server.close()
            for writer in list(self._clients):
                writer.close()
            await self._server.wait_closed()
            self.path.unlink(missing_ok=True)
            self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._clients.add(writer)
        try:
            while True:
                try:
                    request = await read_frame(reader)
                except asyncio.IncompleteReadError:
                    return
                try:
                    reply = {"ok": await self.answer(request)}
                except (ValueError, TypeError, KeyError) as exc:
                    reply = {"error": f"bad request: {exc}"}
                except Exception as exc:
                    reply = self.failed(exc)
                writer.write(frame(reply))
                await writer.drain()
        except (ValueError, ConnectionError) as exc:
            log.warning("%s: dropped a client: %s", self.name, exc)
        finally:
            self._clients.discard(writer)
            writer.close()
