"""Render output formats (graphite-web 1.1 shapes)."""
from __future__ import annotations

import math

import numpy as np
import orjson

from tsstore.query.series import TimeSeries, consolidate


def apply_max_data_points(series: list[TimeSeries], max_points: int) -> list[TimeSeries]:
    """graphite-web's json-only consolidation to maxDataPoints (spec (c), exact algorithm)."""
    if not series or max_points <= 0:
        return series
    span = max(s.end for s in series) - min(s.start for s in series)
    out = []
    for s in series:
        if max_points == 1:
            vpp = max(1, len(s.values))
            vals = consolidate(s.values, vpp, s.consolidation_func, s.xfiles_factor)
            out.append(s.copy(values=vals, values_per_point=vpp, step=s.step * vpp))
            continue
        n = span / s.step
        if max_points >= n:
            out.append(s)
            continue
        vpp = math.ceil(n / max_points)
        spp = vpp * s.step
        nudge = spp + (s.start % s.step) - (s.start % spp)
        drop = max(0, nudge // s.step - 1)  # graphite-web's off-by-one, kept for parity
        start = s.start + nudge
        vals = consolidate(s.values[drop:], vpp, s.consolidation_func, s.xfiles_factor)
        out.append(s.copy(values=vals, start=start, step=spp, values_per_point=vpp))
    return out


def _json_value(v: float, inf_as_null: bool):
    if v != v:
        return None
    if v in (math.inf, -math.inf):
        return None if inf_as_null else ("INF+" if v > 0 else "INF-")
    return v


def render_json(series: list[TimeSeries], no_null_points: bool = False, inf_as_null: bool = False) -> bytes:
    out = []
    has_inf = False
    for s in series:
        ts = s.timestamps.tolist()
        vals = s.values
        if no_null_points:
            keep = ~np.isnan(vals)
            if not keep.any():
                continue
            ts = [t for t, k in zip(ts, keep.tolist()) if k]
            vals = vals[keep]
        if not inf_as_null and np.isinf(vals).any():
            has_inf = True
        points = [[_json_value(v, inf_as_null), t] for v, t in zip(vals.tolist(), ts)]
        out.append({"target": s.name, "tags": s.tags, "datapoints": points})
    body = orjson.dumps(out)
    if has_inf:  # JSON has no infinity; graphite-web writes 1e9999 (parses to Infinity in browsers)
        body = body.replace(b'"INF+"', b"1e9999").replace(b'"INF-"', b"-1e9999")
    return body
