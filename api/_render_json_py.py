"""Pure-Python twin of ext/render_json.pyx: `[[value, timestamp], ...]` as graphite-web
prints it (values by Python repr, NaN null, +-inf 1e9999/-1e9999 or null)."""
from __future__ import annotations

import math


def datapoints_json(values, start: int, step: int, inf_as_null: bool = False, skip_null: bool = False) -> bytes:
    parts = []
    for i, v in enumerate(values.tolist()):
        if skip_null and v != v:
            continue
        if v != v or (inf_as_null and math.isinf(v)):
            text = "null"
        elif math.isinf(v):
            text = "1e9999" if v > 0 else "-1e9999"
        else:
            text = repr(float(v))
        parts.append(f"[{text}, {start + i * step}]")
    return ("[" + ", ".join(parts) + "]").encode()
