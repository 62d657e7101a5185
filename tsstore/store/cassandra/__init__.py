"""The Cassandra store: the store itself (store.CassandraStore), its URL options (options),
the keyspace schema and prepared statements (schema) and bounded concurrent requests with
per-partition batching (requests)."""
