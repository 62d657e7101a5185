"""Store errors the ingest pipeline reacts to."""


class StoreUnavailable(Exception):
    """The store cannot take writes right now (down, timing out); retry with backoff."""


class StoreDiskFull(StoreUnavailable):
    """The disk under the store is full; writes are retried until space comes back."""
