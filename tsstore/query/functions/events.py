"""events(): the number of events at each second, from the store's events (Grafana draws it
with drawAsInfinite as vertical lines)."""
from __future__ import annotations

import numpy as np

from tsstore import events as ev
from tsstore.query.functions.registry import Param, function
from tsstore.query.series import TimeSeries


@function("Special", [Param("tags", "string", required=True, multiple=True)])
async def events(ctx, *tags):
    """Number of events at each second carrying all the tags ('*' for every event)."""
    name = 'events("' + '", "'.join(str(t) for t in tags) + '")'
    wanted = None if tags == ("*",) else [str(t) for t in tags]
    start, end = int(ctx.start), int(ctx.end)
    found = ev.select(await ctx.store.events_between(start, end), wanted)
    values = np.full(max(end - start, 0), np.nan)
    offsets = np.array([int(e.when) - start for e in found], dtype=np.int64)
    offsets = offsets[(offsets >= 0) & (offsets < len(values))]
    if len(offsets):
        counts = np.bincount(offsets, minlength=len(values)).astype(float)
        values = np.where(counts > 0, counts, np.nan)
    return [TimeSeries(name, start, end, 1, values, name, {"name": name}, consolidation_func="sum")]
