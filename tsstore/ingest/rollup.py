"""The rollup aggregator: compiled (ext/rollup.pyx) or its pure-Python twin."""
from tsstore._ext import load

_impl = load("tsstore.ingest._rollup")
RollupAggregator = _impl.RollupAggregator
Drained = _impl.Drained
COMPILED = not _impl.__name__.endswith("_py")
