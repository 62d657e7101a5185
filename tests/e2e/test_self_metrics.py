"""Self-metrics are named per instance: two tsstore processes on one host writing to one
Cassandra keyspace each keep their own tsstore.<instance>.* series (by default the host name
and the carbon port), instead of overwriting each other's."""
import socket

import pytest

from tests.e2e.test_ingest import _settings
from tests.helpers.servers import wait_for
from tsstore.ingest.self_metrics import instance_name
from tsstore.server import Server

pytestmark = pytest.mark.cassandra


def test_the_default_instance_is_the_host_and_the_first_listener_port(tmp_path):
    host = socket.gethostname().replace(".", "_")
    assert instance_name(_settings(tmp_path, carbon_port=2003)) == f"{host}_2003"
    assert instance_name(_settings(tmp_path, carbon_port=0, pickle_port=2104)) == f"{host}_2104"
    assert instance_name(_settings(tmp_path, carbon_port=0, pickle_port=0)) == host
    assert instance_name(_settings(tmp_path, self_metrics_instance="ingest-a")) == "ingest-a"


async def test_two_instances_on_one_host_write_their_own_self_metrics(tmp_path, cassandra_url):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = Server(_settings(tmp_path / "a", store=cassandra_url, self_metrics_interval=0.2))
    second = Server(_settings(tmp_path / "b", store=cassandra_url, self_metrics_interval=0.2, self_metrics_instance="ingest-b"))
    await first.start()
    try:
        await second.start()
        try:
            host = socket.gethostname().replace(".", "_")
            expected = {f"tsstore.{host}_{first.settings.carbon_port}", "tsstore.ingest-b"}

            async def both_written():  # each flushes its own self-metrics to the shared keyspace
                nodes = {n.path for n in await first.store.find("tsstore.*")}
                # a series' tree rows of different parents are written side by side: a branch
                # can show before the leaves under it, for a moment
                for instance in expected & nodes:
                    if f"{instance}.points.received" not in {n.path for n in await first.store.find(f"{instance}.points.*")}:
                        return None
                return nodes if expected <= nodes else None

            nodes = await wait_for(both_written, timeout=30, what=f"self-metrics of both instances ({expected})")
            assert nodes == expected
        finally:
            await second.stop()
    finally:
        await first.stop()
