"""Frames of the local Unix-socket channels (tsstore.write_channel, tsstore.memory_channel):
a 4-byte big-endian length and a msgpack body (never pickle: nothing received is executed)."""
from __future__ import annotations

import asyncio
import struct

import msgpack

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
