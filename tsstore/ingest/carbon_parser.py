"""The carbon plaintext parser: compiled (ext/carbon_parser.pyx) or its pure-Python twin
(tsstore/_carbon_parser_py.py, which documents the behaviour); TSSTORE_NO_EXTENSIONS=1
forces the twin.

    registry = SeriesRegistry()                  # shared by every connection
    parser = CarbonLineParser(registry)          # one per connection
    batch = parser.feed(data, now=int(time.time()))
    batch.sids, batch.timestamps, batch.values   # numpy arrays; registry.name_of(sid)
"""
from tsstore._ext import load

_impl = load("tsstore.ingest._carbon_parser")
SeriesRegistry = _impl.SeriesRegistry
CarbonLineParser = _impl.CarbonLineParser
PointBatch = _impl.PointBatch
DROP_REASONS = _impl.DROP_REASONS
COMPILED = not _impl.__name__.endswith("_py")

__all__ = ["SeriesRegistry", "CarbonLineParser", "PointBatch", "DROP_REASONS", "COMPILED"]
