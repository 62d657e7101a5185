"""The x axis: where its time labels and grid lines go and how labels are written, chosen by
the seconds one pixel spans, as graphite-web chooses (its table, taken from rrdtool)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

SEC, MIN, HOUR, DAY = 1, 60, 3600, 86400
DATE_FORMAT = "%m/%d"  # graphite-web's DATE_FORMAT setting


@dataclass(frozen=True)
class TimeScale:
    seconds_per_pixel: float  # the finest scale this row is for
    minor_unit: int
    minor_step: float
    major_unit: int
    major_step: float
    label_unit: int
    label_step: float
    format: str
    max_span: float | None = None  # seconds; longer ranges use a later row


def _row(spp, minor, major, label, fmt, max_span=None):
    return TimeScale(spp, minor[0], minor[1], major[0], major[1], label[0], label[1], fmt, max_span)


SCALES = (
    _row(0.00, (SEC, 5), (MIN, 1), (SEC, 5), "%H:%M:%S", 10 * MIN),
    _row(0.07, (SEC, 10), (MIN, 1), (SEC, 10), "%H:%M:%S", 20 * MIN),
    _row(0.14, (SEC, 15), (MIN, 1), (SEC, 15), "%H:%M:%S", 30 * MIN),
    _row(0.27, (SEC, 30), (MIN, 2), (MIN, 1), "%H:%M", 2 * HOUR),
    _row(0.5, (MIN, 1), (MIN, 2), (MIN, 1), "%H:%M", 2 * HOUR),
    _row(1.2, (MIN, 1), (MIN, 4), (MIN, 2), "%H:%M", 3 * HOUR),
    _row(2, (MIN, 1), (MIN, 10), (MIN, 5), "%H:%M", 6 * HOUR),
    _row(5, (MIN, 2), (MIN, 10), (MIN, 10), "%H:%M", 12 * HOUR),
    _row(10, (MIN, 5), (MIN, 20), (MIN, 20), "%H:%M", 1 * DAY),
    _row(30, (MIN, 10), (HOUR, 1), (HOUR, 1), "%H:%M", 2 * DAY),
    _row(60, (MIN, 30), (HOUR, 2), (HOUR, 2), "%H:%M", 2 * DAY),
    _row(100, (HOUR, 2), (HOUR, 4), (HOUR, 4), "%a %H:%M", 6 * DAY),
    _row(255, (HOUR, 6), (HOUR, 12), (HOUR, 12), DATE_FORMAT + " %H:%M", 10 * DAY),
    _row(600, (HOUR, 6), (DAY, 1), (DAY, 1), DATE_FORMAT, 14 * DAY),
    _row(1000, (HOUR, 12), (DAY, 1), (DAY, 1), DATE_FORMAT, 365 * DAY),
    _row(2000, (DAY, 1), (DAY, 2), (DAY, 2), DATE_FORMAT, 365 * DAY),
    _row(4000, (DAY, 2), (DAY, 4), (DAY, 4), DATE_FORMAT, 365 * DAY),
    _row(8000, (DAY, 3.5), (DAY, 7), (DAY, 7), DATE_FORMAT, 365 * DAY),
    _row(16000, (DAY, 7), (DAY, 14), (DAY, 14), DATE_FORMAT, 365 * DAY),
    _row(32000, (DAY, 15), (DAY, 30), (DAY, 30), DATE_FORMAT, 365 * DAY),
    _row(64000, (DAY, 30), (DAY, 60), (DAY, 60), DATE_FORMAT + " %Y"),
    _row(100000, (DAY, 60), (DAY, 120), (DAY, 120), DATE_FORMAT + " %Y"),
    _row(120000, (DAY, 120), (DAY, 240), (DAY, 240), DATE_FORMAT + " %Y"),
)


def choose_scale(time_range: float, graph_width: float) -> TimeScale:
    """The coarsest row whose pixel scale the graph reaches and whose span limit the range fits."""
    per_pixel = time_range / graph_width
    fitting = [s for s in SCALES if s.seconds_per_pixel <= per_pixel
               and (s.max_span is None or s.max_span >= time_range)]
    return fitting[-1] if fitting else SCALES[-1]


def ticks(start: int, end: int, tz: tzinfo, unit: int, step: float) -> list[datetime]:
    """The times from the first whole `step` of `unit` at or after `start` (in tz's wall clock),
    every `step` units, before `end`."""
    first = datetime.fromtimestamp(start, tz)
    if unit == SEC:
        dt = first.replace(microsecond=0, second=first.second - first.second % int(step))
    elif unit == MIN:
        dt = first.replace(microsecond=0, second=0, minute=first.minute - first.minute % int(step))
    elif unit == HOUR:
        dt = first.replace(microsecond=0, second=0, minute=0, hour=first.hour - first.hour % int(step))
    else:  # days start at midnight; steps in days need not be whole (3.5)
        dt = first.replace(microsecond=0, second=0, minute=0, hour=0)
    delta = timedelta(seconds=unit * step)
    while dt < first:
        dt += delta
    out = []
    end_dt = datetime.fromtimestamp(end, tz)
    while dt < end_dt and len(out) < 10_000:
        out.append(dt)
        dt += delta
    return out
