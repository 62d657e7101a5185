"""storage-schemas.conf and storage-aggregation.conf, read exactly as carbon reads them.

Sections apply in file order, option names are case-insensitive, `pattern` is a Python
regex tried with re.search (unanchored) against the full name (canonical for tagged
series), and the first matching section wins. Both are fixed when a series is created.
"""
from __future__ import annotations

import configparser
import functools
import logging
import re
import struct
from dataclasses import dataclass

import numpy as np

from tsstore.model import Rollup, SeriesMeta

log = logging.getLogger(__name__)

# carbon's units: exactly one lowercase letter.
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
# whisper-create also accepts any prefix of these words: an extension we allow.
_WORDS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400, "weeks": 604800, "years": 31536000}
METHODS = ("average", "sum", "min", "max", "last", "avg_zero", "absmax", "absmin")
DEFAULT_ROLLUPS = (Rollup(60, 10080),)  # carbon's fallback when no section matches: 1 min for 7 days

DEFAULT_SCHEMAS_TEXT = """\
[tsstore]
pattern = ^carbon\\.|^tsstore\\.
retentions = 60:90d

[default]
pattern = .*
retentions = 10s:6h,1m:7d,10m:5y
"""

# carbon's shipped example, except `.count` sums (the example says max, which turns counts
# into peaks when rolled up); xFilesFactor 0 for counts since a missing count is zero events.
DEFAULT_AGGREGATION_TEXT = """\
[min]
pattern = \\.min$
xFilesFactor = 0.1
aggregationMethod = min

[max]
pattern = \\.max$
xFilesFactor = 0.1
aggregationMethod = max

[count]
pattern = \\.count$
xFilesFactor = 0
aggregationMethod = sum

[default_average]
pattern = .*
xFilesFactor = 0.5
aggregationMethod = average
"""


class SchemaError(ValueError):
    """A configuration file carbon would refuse (tsstore refuses to start, naming it)."""


def _unit_seconds(unit: str) -> int:
    if unit in UNITS:
        return UNITS[unit]
    for word, secs in _WORDS.items():
        if len(unit) > 1 and word.startswith(unit):
            return secs
    raise ValueError(f"unknown unit {unit!r} (use s, m, h, d, w or y)")


def _parse_amount(text: str) -> tuple[int, str | None]:
    m = re.fullmatch(r"(\d+)([a-z]*)", text)
    if not m:
        raise ValueError(f"{text!r} is not <integer>[unit]")
    return int(m.group(1)), (m.group(2) or None)


def parse_archive(text: str) -> Rollup:
    try:
        precision_text, duration_text = text.strip().split(":")
    except ValueError:
        raise ValueError(f"archive {text.strip()!r} is not PRECISION:DURATION") from None
    amount, unit = _parse_amount(precision_text.strip())
    precision = amount * (_unit_seconds(unit) if unit else 1)
    amount, unit = _parse_amount(duration_text.strip())
    points = amount * _unit_seconds(unit) // precision if unit else amount
    if precision <= 0 or points <= 0:
        raise ValueError(f"archive {text.strip()!r} must have a positive precision and at least one point")
    return Rollup(precision, points)


def parse_retentions(text: str) -> tuple[Rollup, ...]:
    """'10s:6h,1m:7d' -> (Rollup(10, 2160), Rollup(60, 10080)), validated as whisper does."""
    rollups = sorted((parse_archive(a) for a in text.split(",") if a.strip()), key=lambda r: r.step)
    if not rollups:
        raise ValueError("no archives")
    for finer, coarser in zip(rollups, rollups[1:]):
        if finer.step == coarser.step:
            raise ValueError(f"two archives with the same precision {finer.step}s")
        if coarser.step % finer.step:
            raise ValueError(f"precision {coarser.step}s is not a multiple of {finer.step}s")
        if coarser.retention <= finer.retention:
            raise ValueError(f"archive {coarser.step}s covers {coarser.retention}s, not more than the finer {finer.retention}s")
        if finer.points < coarser.step // finer.step:
            raise ValueError(f"archive {finer.step}s has {finer.points} points, fewer than the {coarser.step // finer.step} one {coarser.step}s slot needs")
    return tuple(rollups)


def _read_ini(text: str, source: str) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=False)  # option names lowercased, as carbon
    try:
        parser.read_string(text, source=source)
    except configparser.Error as exc:
        raise SchemaError(f"{source}: not a valid INI file: {exc}") from None
    return parser


@dataclass(frozen=True)
class SchemaRule:
    section: str
    pattern: re.Pattern
    rollups: tuple[Rollup, ...]


@dataclass(frozen=True)
class AggregationRule:
    section: str
    pattern: re.Pattern
    xff: float | None
    method: str | None


def _compile(pattern: str, source: str, section: str) -> re.Pattern:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise SchemaError(f"{source}, section [{section}]: bad pattern {pattern!r}: {exc}") from None


def parse_schemas(text: str, source: str = "storage-schemas.conf") -> list[SchemaRule]:
    rules = []
    parser = _read_ini(text, source)
    for section in parser.sections():
        opts = dict(parser.items(section))
        if "pattern" not in opts or "retentions" not in opts:
            log.warning("%s: section [%s] lacks pattern or retentions; skipped", source, section)
            continue
        try:
            rollups = parse_retentions(opts["retentions"])
        except ValueError as exc:
            raise SchemaError(f"{source}, section [{section}]: retentions {opts['retentions']!r}: {exc}") from None
        rules.append(SchemaRule(section, _compile(opts["pattern"], source, section), rollups))
    return rules


def parse_aggregation(text: str, source: str = "storage-aggregation.conf") -> list[AggregationRule]:
    rules = []
    parser = _read_ini(text, source)
    for section in parser.sections():
        opts = dict(parser.items(section))
        if "pattern" not in opts:
            log.warning("%s: section [%s] has no pattern; skipped", source, section)
            continue
        xff = opts.get("xfilesfactor")
        method = opts.get("aggregationmethod")
        if xff is not None:
            try:
                xff = float(xff)
            except ValueError:
                raise SchemaError(f"{source}, section [{section}]: xFilesFactor {xff!r} is not a number") from None
            if not 0 <= xff <= 1:
                raise SchemaError(f"{source}, section [{section}]: xFilesFactor {xff} is outside [0, 1]")
            # whisper keeps it as a float32, so 0.1 is 0.10000000149 and exactly 1 known slot
            # of 10 is below it: rounded the same way, the same slots are null as in whisper
            xff = float(struct.unpack("f", struct.pack("f", xff))[0])
        if method is not None and method not in METHODS:
            raise SchemaError(f"{source}, section [{section}]: aggregationMethod {method!r} is not one of {', '.join(METHODS)}")
        rules.append(AggregationRule(section, _compile(opts["pattern"], source, section), xff, method))
    return rules


def _read_file(path: str | None, default_text: str, what: str) -> tuple[str, str]:
    if path is None:
        return default_text, f"built-in {what}"
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.read(), path
    except OSError as exc:
        raise SchemaError(f"cannot read {what} {path}: {exc.strerror}") from None


def load_schemas_text(path: str | None) -> list[SchemaRule]:
    return parse_schemas(*_read_file(path, DEFAULT_SCHEMAS_TEXT, "storage-schemas.conf"))


def load_aggregation_text(path: str | None) -> list[AggregationRule]:
    return parse_aggregation(*_read_file(path, DEFAULT_AGGREGATION_TEXT, "storage-aggregation.conf"))


class SchemaResolver:
    """What a new series is created with: first matching schema and aggregation section."""

    def __init__(self, schemas: list[SchemaRule], aggregation: list[AggregationRule]):
        self.schemas, self.aggregation = schemas, aggregation

    @functools.lru_cache(maxsize=65536)
    def meta_for(self, name: str) -> SeriesMeta:
        return self.metas_for([name])[0]

    def metas_for(self, names: list[str]) -> list[SeriesMeta]:
        """meta_for of many names, without the cache."""
        schemas, schema_of = self.schemas_for(names)
        return [SeriesMeta(name, *schemas[i]) for name, i in zip(names, schema_of.tolist())]

    def schemas_for(self, names: list[str]) -> tuple[list[Schema], np.ndarray]:
        """What each of many names is created with, without an object per name (a burst of
        new series resolves hundreds of thousands at once): the distinct schemas among them,
        and for each name the index of its own."""
        rollups = [r.rollups for r in self.schemas] + [DEFAULT_ROLLUPS]
        methods = [(r.method or "average", 0.5 if r.xff is None else r.xff) for r in self.aggregation] + [("average", 0.5)]
        rule_pairs = (_first_matches(names, [r.pattern for r in self.schemas]) * len(methods)
                      + _first_matches(names, [r.pattern for r in self.aggregation]))
        pairs, schema_of = np.unique(rule_pairs, return_inverse=True)
        schemas = [(rollups[p // len(methods)], *methods[p % len(methods)]) for p in pairs.tolist()]
        return schemas, schema_of.astype(np.int32).reshape(-1)


# (rollups, aggregation method, xFilesFactor): what a series is created with.
Schema = tuple[tuple[Rollup, ...], str, float]
# Patterns that re.search finds in any name (the catch-all sections ending most files): a
# search of '.*' walks the whole name, 1.6 us, the largest part of resolving a name.
MATCHES_EVERY_NAME = frozenset(("", ".*", "^.*", ".*$", "^.*$", "^"))


def _first_matches(names: list[str], patterns: list[re.Pattern]) -> np.ndarray:
    """For each name, the index of the first pattern re.search finds in it (len(patterns):
    none). One rule at a time over the names it has left, each a map of C calls: a Python
    loop of rules within names took 4 us a name at the default rules."""
    first = np.full(len(names), len(patterns), np.int64)
    left = np.arange(len(names))
    for rule, pattern in enumerate(patterns):
        if not len(left):
            break
        if pattern.pattern in MATCHES_EVERY_NAME:  # the catch-all sections: no regex run
            first[left] = rule
            break
        matched = np.fromiter(map(bool, map(pattern.search, map(names.__getitem__, left.tolist()))), bool, len(left))
        first[left[matched]] = rule
        left = left[~matched]
    return first
