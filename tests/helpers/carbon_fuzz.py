"""A bounded fuzzer for the carbon ports: mutated valid input and random bytes, as plaintext
lines (TCP and UDP) and pickle frames (well-formed length prefixes around mutated or hostile
payloads, and broken prefixes). Used by tests/e2e/test_fuzz_carbon.py with a small budget and
benchmarks/fuzz_carbon.py with a large one."""
from __future__ import annotations

import pickle
import random
import socket
import struct
import time

VALID_LINES = [b"servers.web01.cpu.user 12.5 %d", b"a.b;tag=v;dc=x 1 %d", b"x.y -1e300 %d", b"z 0 -1", b"q.r 3 %d.75"]
SPECIAL = [b"\x00", b"\r", b"\n", b"\xff", b"\xc3", b" ", b"\t", b";", b"=", b"nan", b"inf", b"-inf", b"1e400",
           b"99999999999999999999999", b"-", b".", b"..", b"\xe2\x82\xac", b"~", b"*", b"{", b"["]
HOSTILE_PICKLES = [b"cos\nsystem\n(S'true'\ntR.", b"\x80\x04\x95\x00\x00\x00\x00\x00\x00\x00\x00c__builtin__\neval\n.",
                   b"\x80\x02]q\x00(h\x00h\x00e.", b"(" * 5000 + b"t" * 5000 + b".", b"\x80\x02}(K\x01K\x02u."]


def mutate(data: bytes, rnd: random.Random) -> bytes:
    data = bytearray(data)
    for _ in range(rnd.randint(1, 4)):
        choice = rnd.random()
        pos = rnd.randint(0, len(data))
        if choice < 0.3 and data:
            data[min(pos, len(data) - 1)] = rnd.randint(0, 255)
        elif choice < 0.6:
            data[pos:pos] = rnd.choice(SPECIAL)
        elif choice < 0.8 and data:
            del data[pos:pos + rnd.randint(1, 8)]
        else:
            data[pos:pos] = bytes(rnd.randint(0, 255) for _ in range(rnd.randint(1, 32)))
    return bytes(data)


def plaintext(rnd: random.Random, count: int) -> bytes:
    now = int(time.time())
    out = []
    for _ in range(count):
        r = rnd.random()
        if r < 0.7:
            line = mutate(rnd.choice(VALID_LINES).replace(b"%d", str(now).encode()), rnd)
        elif r < 0.9:
            line = bytes(rnd.randint(0, 255) for _ in range(rnd.randint(0, 80)))
        else:
            line = b"x" * rnd.randint(16_000, 20_000)  # around the line-length limit
        out.append(line + b"\n")
    return b"".join(out)


def pickle_frames(rnd: random.Random, count: int) -> list[bytes]:
    now = int(time.time())
    frames = []
    for i in range(count):
        r = rnd.random()
        if r < 0.5:
            items = [(f"fuzz.p{rnd.randint(0, 50)}", (now - rnd.randint(0, 3600), rnd.random())) for _ in range(rnd.randint(1, 20))]
            payload = mutate(pickle.dumps(items, protocol=rnd.randint(0, 5)), rnd)
        elif r < 0.7:
            payload = rnd.choice(HOSTILE_PICKLES)
        else:
            payload = bytes(rnd.randint(0, 255) for _ in range(rnd.randint(0, 200)))
        if rnd.random() < 0.05:
            frames.append(struct.pack(">I", rnd.choice([0, 1 << 20 | 1, 0xFFFFFFFF])) + payload)  # broken prefixes
        else:
            frames.append(struct.pack(">I", len(payload)) + payload)
    return frames


def run(carbon_port: int, pickle_port: int, lines: int, frames: int, seed: int = 0, seconds: float = 60.0) -> dict:
    """Send the fuzz; returns what was sent. Bounded by count and by time."""
    rnd = random.Random(seed)
    deadline = time.monotonic() + seconds
    sent = {"lines": 0, "udp_datagrams": 0, "frames": 0, "connections": 0}
    while sent["lines"] < lines and time.monotonic() < deadline:
        chunk = plaintext(rnd, min(2000, lines - sent["lines"]))
        with socket.create_connection(("127.0.0.1", carbon_port), timeout=10) as sock:
            sock.sendall(chunk)
        sent["connections"] += 1
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            for piece in chunk.split(b"\n")[:200]:
                if len(piece) < 60_000:
                    udp.sendto(piece + b"\n", ("127.0.0.1", carbon_port))
                    sent["udp_datagrams"] += 1
        sent["lines"] += chunk.count(b"\n")
    while sent["frames"] < frames and time.monotonic() < deadline:
        batch = pickle_frames(rnd, min(200, frames - sent["frames"]))
        try:
            with socket.create_connection(("127.0.0.1", pickle_port), timeout=10) as sock:
                for frame in batch:
                    sock.sendall(frame)
        except OSError:
            pass  # the server may close a connection after a broken frame: that is its answer
        sent["connections"] += 1
        sent["frames"] += len(batch)
    return sent
