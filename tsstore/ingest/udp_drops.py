"""UDP datagrams the kernel dropped before tsstore read them (its receive buffer was full):
no socket call reports them to asyncio, so they are read from the socket's row of
/proc/net/udp (its `drops` column, found by the socket's inode) whenever the counters are
read: `udp.kernel_drops` in /tsstore/status and the self-metrics. The receive buffer is
enlarged at start (the kernel caps it at net.core.rmem_max; `udp.receive_buffer_bytes` shows
what it granted)."""
from __future__ import annotations

import os
import socket

RECEIVE_BUFFER = 8 << 20  # bytes asked for; bursts of a busy relay fit in it
_TABLES = ("/proc/net/udp", "/proc/net/udp6")


def enlarge_receive_buffer(sock: socket.socket, size: int = RECEIVE_BUFFER) -> int:
    """Ask for `size` bytes of receive buffer; the bytes the kernel granted."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, size)
    except OSError:
        pass
    return sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)


def kernel_drops(inode: int) -> int | None:
    """The drops count of the UDP socket with this inode, or None where /proc has none."""
    wanted = str(inode)
    for table in _TABLES:
        try:
            with open(table) as f:
                next(f)  # the header
                for line in f:
                    fields = line.split()
                    if len(fields) > 12 and fields[9] == wanted:
                        return int(fields[12])
        except OSError:
            continue
    return None


def watch(sock: socket.socket, counters) -> None:
    """Enlarge the buffer and report the socket's kernel drops with the counters."""
    counters.set("udp.receive_buffer_bytes", enlarge_receive_buffer(sock))
    inode = os.fstat(sock.fileno()).st_ino
    counters.add_gauge_source(lambda c: c.set("udp.kernel_drops", kernel_drops(inode) or 0))
