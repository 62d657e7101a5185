"""graphite-web's JSON render output: [{"target", "tags", "datapoints": [[value, ts], ...]}, ...].

Values are written as Python's repr (what graphite-web's json module prints), NaN as null,
+-inf as 1e9999/-1e9999 (or null when asked: Grafana's Go backend rejects 1e9999).
`datapoints_json` is compiled from ext/render_json.pyx when built (this module's definition
is its twin, kept as `python_twin`); the compiled writer takes its spellings from here.
"""
from __future__ import annotations

import json
import math

import numpy as np
import orjson

from tsstore import _ext

NULL = "null"
INFINITY = "1e9999"  # JSON has no infinity: graphite-web writes a number that overflows to it
NEG_INFINITY = "-1e9999"


def datapoints_json(values, start: int, step: int, inf_as_null: bool = False, skip_null: bool = False) -> bytes:
    """`[[value, timestamp], ...]` for float64 `values` on the grid start, start + step, ...;
    skip_null leaves NaN points out."""
    parts = []
    for i, v in enumerate(values.tolist()):
        if skip_null and v != v:
            continue
        if v != v or (inf_as_null and math.isinf(v)):
            text = NULL
        elif math.isinf(v):
            text = INFINITY if v > 0 else NEG_INFINITY
        else:
            text = repr(float(v))
        parts.append(f"[{text}, {start + i * step}]")
    return ("[" + ", ".join(parts) + "]").encode()


def render_json(series, no_null_points: bool = False, inf_as_null: bool = False) -> bytes:
    """The series as graphite-web's JSON; with no_null_points a series of nulls only is left
    out. When no series has a single point the answer is [] (graphite-web's `if any(data)`)."""
    if not any(len(s.values) for s in series):
        return b"[]"
    parts = []
    for s in series:
        values = np.ascontiguousarray(s.values, np.float64)
        if no_null_points and np.isnan(values).all():
            continue
        points = datapoints_json(values, s.start, s.step, inf_as_null, no_null_points)
        parts.append(b'{"target": ' + orjson.dumps(s.name) + b', "tags": ' + orjson.dumps(s.tags)
                     + b', "datapoints": ' + points + b"}")
    return b"[" + b", ".join(parts) + b"]"


def pretty(body: bytes) -> bytes:
    """The JSON indented by 2 (pretty=1), infinities still spelled as graphite-web spells them."""
    return json.dumps(json.loads(body), indent=2).replace("Infinity", INFINITY).encode()


compiled = _ext.switch(globals(), "tsstore.api._render_json", ("datapoints_json",))
