"""The options of a Cassandra store: parse and check a cassandra:// URL into a CassandraConfig.

    cassandra://[user:pass@]h1,h2[:port]/keyspace[?dc=&replication=&rf=&consistency=&tls=
                 &tls_ca=&inflight=&shards=&batch_kb=&data_dir=]

Unknown options, a missing host, a bad port or keyspace and non-positive counts are a
ValueError naming the URL, so a typo fails at startup rather than at the first write.
"""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit


REPLICATIONS = ("SimpleStrategy", "NetworkTopologyStrategy")
# The driver's consistency levels a store may read and write at (SERIAL ones are for
# transactions only).
CONSISTENCIES = ("ONE", "TWO", "THREE", "QUORUM", "ALL", "LOCAL_QUORUM", "EACH_QUORUM", "LOCAL_ONE", "ANY")


@dataclass
class CassandraConfig:
    hosts: list[str]
    port: int = 9042
    keyspace: str = "tsstore"
    username: str | None = None
    password: str | None = None
    local_dc: str = "datacenter1"
    replication: str = "SimpleStrategy"
    replication_factor: int = 1
    replication_given: bool = False  # the URL names rf or replication (compared with an existing keyspace's)
    consistency: str = "LOCAL_QUORUM"
    tls: bool = False
    tls_ca: str | None = None
    inflight: int = 256
    shards: int = 256  # partitions per (level, window) for new keyspaces (store_meta keeps the real one)
    batch_bytes: int = 5 * 1024  # per unlogged batch: Cassandra warns above 5 KiB by default
    data_dir: str | None = None  # the server's data directory, when local (for disk_bytes)


def parse_cassandra_url(url: str) -> CassandraConfig:
    """cassandra://[user:pass@]h1,h2[:port]/keyspace[?dc=&replication=&rf=&consistency=&tls=&tls_ca=&inflight=&data_dir=]"""
    parts = urlsplit(url)
    if parts.scheme != "cassandra":
        raise ValueError(f"not a cassandra:// URL: {url!r}")
    netloc = parts.netloc
    user = password = None
    if "@" in netloc:
        cred, netloc = netloc.rsplit("@", 1)
        user, _, password = cred.partition(":")
        user, password = unquote(user), unquote(password)
    port = 9042
    hosts = []
    for h in netloc.split(","):
        if not h:
            continue
        if ":" in h:
            h, p = h.rsplit(":", 1)
            try:
                port = int(p)
            except ValueError:
                raise ValueError(f"bad port {p!r} in {url!r}") from None
        hosts.append(h)
    if not hosts:
        raise ValueError(f"no Cassandra host in {url!r}: use cassandra://host1,host2:9042/keyspace")
    keyspace = parts.path.strip("/") or "tsstore"
    if not keyspace.replace("_", "").isalnum():
        raise ValueError(f"keyspace {keyspace!r} must be letters, digits and underscores")
    q = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    known = {"dc", "replication", "rf", "consistency", "tls", "tls_ca", "inflight", "shards", "batch_kb", "data_dir"}
    unknown = set(q) - known
    if unknown:
        raise ValueError(f"unknown option(s) {', '.join(sorted(unknown))} in {url!r}; known: {', '.join(sorted(known))}")
    try:
        config = CassandraConfig(
            hosts, port, keyspace, user, password,
            local_dc=q.get("dc", "datacenter1"),
            replication=q.get("replication", "SimpleStrategy"),
            replication_factor=int(q.get("rf", 1)),
            replication_given="rf" in q or "replication" in q,
            consistency=q.get("consistency", "LOCAL_QUORUM").upper(),
            tls=q.get("tls", "0") in ("1", "true", "yes"),
            tls_ca=q.get("tls_ca"),
            inflight=int(q.get("inflight", 256)),
            shards=int(q.get("shards", 256)),
            batch_bytes=int(float(q.get("batch_kb", 5)) * 1024),
            data_dir=q.get("data_dir"),
        )
    except ValueError as exc:
        raise ValueError(f"bad option in {url!r}: {exc}") from None
    for name, value, low in (("rf", config.replication_factor, 1), ("inflight", config.inflight, 1),
                             ("shards", config.shards, 1), ("batch_kb", config.batch_bytes, 1)):
        if value < low:
            raise ValueError(f"bad option in {url!r}: {name} must be positive, got {q.get(name)!r}")
    if config.replication not in REPLICATIONS:
        raise ValueError(f"bad option in {url!r}: replication must be {' or '.join(REPLICATIONS)}, "
                         f"got {config.replication!r}")
    if config.consistency not in CONSISTENCIES:
        raise ValueError(f"bad option in {url!r}: consistency must be one of {', '.join(CONSISTENCIES)}, "
                         f"got {q.get('consistency')!r}")
    return config
