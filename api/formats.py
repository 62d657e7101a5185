"""Render output formats other than JSON (graphite-web 1.1 shapes), and maxDataPoints.

JSON has its own module (tsstore.api.render_json: its datapoints writer is compiled); which
format answers a request is the FORMATS table of tsstore.api.render.
"""
from __future__ import annotations

import math

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


def _py_str(v: float) -> str:
    """Python's str() of a value as graphite-web prints csv/raw values (nan, inf)."""
    return str(float(v))


def render_csv(series: list[TimeSeries], tz) -> bytes:
    """name,YYYY-MM-DD HH:MM:SS,value rows (Excel dialect: CRLF, quotes only when needed)."""
    import csv
    import io
    from datetime import datetime

    buf = io.StringIO()
    writer = csv.writer(buf, dialect="excel")
    for s in series:
        for ts, v in zip(s.timestamps.tolist(), s.values.tolist()):
            when = datetime.fromtimestamp(ts, tz).strftime("%Y-%m-%d %H:%M:%S")
            writer.writerow([s.name, when, "" if v != v else _py_str(v)])
    return buf.getvalue().encode()


def render_raw(series: list[TimeSeries]) -> bytes:
    """name,start,end,step|v1,v2,... per series; a null is None (Python repr)."""
    lines = []
    for s in series:
        vals = ",".join("None" if v != v else repr(float(v)) for v in s.values.tolist())
        lines.append(f"{s.name},{s.start},{s.end},{s.step}|{vals}\n")
    return "".join(lines).encode()


def _cluster_dicts(series: list[TimeSeries]) -> list[dict]:
    return [
        {
            "name": s.name, "start": s.start, "end": s.end, "step": s.step,
            "values": [None if v != v else v for v in s.values.tolist()],
            "pathExpression": s.path_expression, "valuesPerPoint": s.values_per_point,
            "consolidationFunc": s.consolidation_func, "xFilesFactor": s.xfiles_factor,
        }
        for s in series
    ]


def render_pickle(series: list[TimeSeries]) -> bytes:
    import pickle

    return pickle.dumps(_cluster_dicts(series), protocol=2)


def render_msgpack(series: list[TimeSeries]) -> bytes:
    import msgpack

    return msgpack.packb(_cluster_dicts(series), use_bin_type=True)


def render_dygraph(series: list[TimeSeries]) -> bytes:
    """{"labels": ["Time", names...], "data": [[ts_ms, v1, ...], ...]} on the first series' grid."""
    if not series:
        return b"{}"
    first = series[0]
    rows = []
    for i, ts in enumerate(first.timestamps.tolist()):
        row = [ts * 1000]
        for s in series:
            v = s.values[i] if i < len(s.values) else float("nan")
            row.append("null" if v != v else ("Infinity" if v == float("inf") else "-Infinity" if v == float("-inf") else repr(float(v))))
        rows.append("[" + ", ".join(str(x) for x in row) + "]")
    labels = orjson.dumps(["Time", *[s.name for s in series]]).decode()
    return ('{"labels" : ' + labels + ', "data" : [' + ", ".join(rows) + "]}").encode()


def render_rickshaw(series: list[TimeSeries]) -> bytes:
    out = [{"target": s.name, "datapoints": [{"x": t, "y": None if v != v else v}
                                             for t, v in zip(s.timestamps.tolist(), s.values.tolist())]} for s in series]
    return orjson.dumps(out)
