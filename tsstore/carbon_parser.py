"""The carbon plaintext parser: compiled (ext/carbon_parser.pyx) or its pure-Python twin."""
from tsstore._ext import load

_impl = load("carbon_parser")
SeriesRegistry = _impl.SeriesRegistry
CarbonLineParser = _impl.CarbonLineParser
PointBatch = _impl.PointBatch
DROP_REASONS = _impl.DROP_REASONS
COMPILED = not _impl.__name__.endswith("_py")
