"""From stored slots to TimeSeries, choosing the rollup as whisper/graphite-web do.

1. Clamp: from >= now - maxRetention, until <= now; nothing when from > now or
   until < now - maxRetention.
2. The first (finest) rollup whose retention covers now - from.
3. Timestamps: first = floor(from/step)*step + step (from exclusive), end =
   floor(until/step)*step + step (until inclusive); one more step when they are equal.
Coarse levels hold SUM, COUNT, MIN, MAX, LAST of the finest slots; the value shown is the
series' aggregation method, null when COUNT / (slots per bucket) < xFilesFactor.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

import numpy as np

from tsstore.index import tags as tagmod
from tsstore.model import COUNT, LAST, MAX, MIN, SUM, SeriesMeta, Slots
from tsstore.query.series import TimeSeries

if TYPE_CHECKING:
    from tsstore.store.base import Store


@dataclass(frozen=True)
class Plan:
    level: int
    step: int
    start: int  # first timestamp
    end: int  # exclusive


def plan_read(meta: SeriesMeta, start: int, until: int, now: int) -> Plan | None:
    max_ret = meta.max_retention
    oldest = now - max_ret
    if start > now or until < oldest:
        return None
    start = max(start, oldest)
    until = min(until, now)
    age = now - start
    level = next((i for i, r in enumerate(meta.rollups) if r.retention >= age), len(meta.rollups) - 1)
    step = meta.rollups[level].step
    first = (start // step) * step + step
    end = (until // step) * step + step
    if first == end:
        end += step
    return Plan(level, step, first, end)


def values_from_slots(meta: SeriesMeta, plan: Plan, slots: Slots) -> np.ndarray:
    n = (plan.end - plan.start) // plan.step
    out = np.full(n, np.nan)
    if not len(slots):
        return out
    idx = (slots.ts - plan.start) // plan.step
    ok = (idx >= 0) & (idx < n)
    idx, v = idx[ok], slots.values[ok]
    if plan.level == 0:
        out[idx] = v[:, 0]
        return out
    per_bucket = plan.step // meta.rollups[0].step
    count = v[:, COUNT]
    method = meta.aggregation
    with np.errstate(invalid="ignore", divide="ignore"):
        if method == "sum":
            vals = v[:, SUM]
        elif method == "min":
            vals = v[:, MIN]
        elif method == "max":
            vals = v[:, MAX]
        elif method == "last":
            vals = v[:, LAST]
        elif method == "avg_zero":
            vals = v[:, SUM] / per_bucket
        elif method == "absmax":
            vals = np.where(np.abs(v[:, MAX]) >= np.abs(v[:, MIN]), v[:, MAX], v[:, MIN])
        elif method == "absmin":
            # exact unless the slot's points have both signs: then the smallest magnitude lies
            # between MIN and MAX, which the columns do not keep (COMPATIBILITY.md)
            vals = np.where(np.abs(v[:, MIN]) <= np.abs(v[:, MAX]), v[:, MIN], v[:, MAX])
        else:
            vals = v[:, SUM] / count
    known = (count > 0) & (count / per_bucket >= meta.xff)
    out[idx] = np.where(known, vals, np.nan)
    return out


async def fetch_series(store: "Store", names: list[str], start: int, until: int, now: int, path_expression: str | None = None,
                       before_read: Callable[[int], None] | None = None) -> list[TimeSeries]:
    """TimeSeries for the named series, in the given order; series with no range are left out.
    before_read gets the number of points the plans will make, before anything is read (the
    render budget refuses there)."""
    metas = await store.get_series(names)
    plans = {n: plan_read(metas[n], start, until, now) for n in names if n in metas}
    wanted = [n for n in names if plans.get(n) is not None]
    if before_read is not None:
        before_read(sum((plans[n].end - plans[n].start) // plans[n].step for n in wanted))

    # One store call for all series: the embedded store reads them on one thread in a row,
    # the Cassandra store in parallel.
    slots = await store.read_many(wanted, {n: (plans[n].level, plans[n].step) for n in wanted},
                                  min(p.start for p in plans.values() if p) if wanted else start,
                                  max(p.end for p in plans.values() if p) if wanted else until)
    out = []
    for name in wanted:
        meta, plan = metas[name], plans[name]
        values = values_from_slots(meta, plan, slots[name].between(plan.start, plan.end))
        tagset = tagmod.parse_tags(name) if tagmod.is_tagged(name) else {"name": name}
        out.append(TimeSeries(name, plan.start, plan.end, plan.step, values, path_expression or name, tagset))
    return out
