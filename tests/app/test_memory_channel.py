"""The memory channel between the ingest process and the other HTTP processes: answers
round-trip exactly, a request the server cannot answer leaves the store's answer standing,
and a client with no server (or one that went away) reads the store alone and reconnects."""
import asyncio

import numpy as np

from tsstore.memory_channel import MemoryChannelClient, MemoryChannelServer
from tsstore.model import Slots

HELD = {"a.b": Slots(np.array([10, 20], np.int64), np.array([[1.5], [2.5]])),
        "a.c": Slots(np.array([60], np.int64), np.array([[6.0, 2.0, 1.0, 5.0, 5.0]]))}


def _recent(names, level_of, start, end):
    assert all(level_of[n][0] in (0, 1) for n in names), level_of
    return {n: HELD[n].between(start, end) for n in names if n in HELD}


async def test_answers_round_trip_and_a_lost_server_is_survived(tmp_path):
    server = await MemoryChannelServer(_recent, tmp_path).start()
    client = MemoryChannelClient(tmp_path)
    try:
        got = await client(["a.b", "a.c", "a.none"], {"a.b": (0, 10), "a.c": (1, 60), "a.none": (0, 10)}, 0, 100)
        assert sorted(got) == ["a.b", "a.c"] and client.reachable
        assert got["a.b"].ts.tolist() == [10, 20] and got["a.b"].values.tolist() == [[1.5], [2.5]]
        assert got["a.c"].values.tolist() == [[6.0, 2.0, 1.0, 5.0, 5.0]]
        assert (await client(["a.b"], {"a.b": (0, 10)}, 15, 100))["a.b"].ts.tolist() == [20]
    finally:
        await server.stop()
    assert await client(["a.b"], {"a.b": (0, 10)}, 0, 100) == {}  # the server went away: the store alone
    assert client.reachable is False
    server = await MemoryChannelServer(_recent, tmp_path).start()
    try:
        await asyncio.sleep(1.1)  # the client tries again at most once a second
        assert sorted(await client(["a.b"], {"a.b": (0, 10)}, 0, 100)) == ["a.b"]
    finally:
        await server.stop()


async def test_a_request_the_server_refuses_leaves_the_store_answer(tmp_path):
    def refuse(names, level_of, start, end):
        raise KeyError("no such level")

    server = await MemoryChannelServer(refuse, tmp_path).start()
    try:
        assert await MemoryChannelClient(tmp_path)(["a.b"], {"a.b": (0, 10)}, 0, 100) == {}
    finally:
        await server.stop()


async def test_no_ingest_process_means_the_store_alone(tmp_path):
    client = MemoryChannelClient(tmp_path / "nowhere")
    assert await client(["a.b"], {"a.b": (0, 10)}, 0, 100) == {}
    assert client.reachable is False


async def test_garbage_in_the_pending_series_requests_is_refused_and_the_store_answer_stands(tmp_path):
    """The requests for pending series (names since a cursor, metadata) with values of the wrong
    kind get the channel's error answer; the client reads the store alone, and the next good
    request is answered on the same server."""
    from tsstore.local_socket import frame, read_frame

    server = await MemoryChannelServer(_recent, tmp_path).start()  # a store that creates at once: nothing pending
    try:
        reader, writer = await asyncio.open_unix_connection(str(tmp_path / "memory.sock"))
        for bad in ({"pending_after": "not a number"}, {"pending_after": None}, {"metas": 5},
                    {"pending_after": 0, "tagged": "yes"}):
            writer.write(frame(bad))
            await writer.drain()
            reply = await read_frame(reader)
            assert reply["error"].startswith("bad request"), (bad, reply)
        writer.close()
        client = MemoryChannelClient(tmp_path)
        assert await client.pending_names() == "" and await client.ingest_metas(["a.b"]) == {}
        assert await client.pending_tagged_names() == ""
        assert client.reachable
    finally:
        await server.stop()
