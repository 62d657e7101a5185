"""graphite-web's at-time grammar (from, until, now) and function intervals.

Input is lowercased and '_', ',' and spaces are removed first. All digits: an 8-digit
YYYYMMDD date (year > 1900, month < 13, day < 32) at midnight in tz, else epoch seconds.
Otherwise `reference[+|-offset]`: the reference is now, a time of day (HH:MM[am|pm], Ham,
noon, midnight, teatime) and/or a day (today, yesterday, tomorrow, MM/DD/YY[YY], YYYYMMDD,
month name + day, weekday name); the offset is `<int><unit>` groups with units matched by
prefix: s, min, h, d, w, mon (30 days), y (365 days). A bare 'm' is invalid here.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
UTC = ZoneInfo("UTC")


class AtTimeError(ValueError):
    pass


def _unit_seconds(unit: str, allow_bare_m: bool) -> int:
    if unit.startswith("s"):
        return 1
    if unit.startswith("min"):
        return 60
    if unit.startswith("h"):
        return 3600
    if unit.startswith("d"):
        return 86400
    if unit.startswith("w"):
        return 604800
    if unit.startswith("mon"):
        return 30 * 86400
    if unit.startswith("y"):
        return 365 * 86400
    if allow_bare_m and unit == "m":
        return 60
    raise ValueError(f"unknown unit {unit!r}")


_GROUP = re.compile(r"(\d+)([a-z]+)")


def _offset_seconds(text: str, allow_bare_m: bool = False) -> int:
    """'1h30min' -> 5400 (no sign)."""
    pos, total = 0, 0
    if not text:
        raise ValueError("empty offset")
    while pos < len(text):
        m = _GROUP.match(text, pos)
        if not m:
            raise ValueError(f"cannot read {text[pos:]!r} as <number><unit>")
        total += int(m.group(1)) * _unit_seconds(m.group(2), allow_bare_m)
        pos = m.end()
    return total


def parse_interval(text: str, default_sign: int = 1) -> int:
    """Seconds of a function interval ('5min', '-1h', '1d'); bare 'm' means minutes here
    (dashboards contain "5m"). default_sign applies when no sign is given (timeShift: -1)."""
    raw = str(text)
    s = raw.strip().lower().replace(" ", "")
    sign = default_sign
    if s[:1] in "+-" and s:
        sign = -1 if s[0] == "-" else 1
        s = s[1:]
    try:
        return sign * _offset_seconds(s, allow_bare_m=True)
    except ValueError as exc:
        raise AtTimeError(f"invalid interval {raw!r}: {exc}") from None


def _day(ref: str, now: datetime) -> tuple[datetime, str]:
    """Match a day reference at the end of ref; returns (date at midnight, the rest)."""
    base = now.replace(hour=0, minute=0, second=0, microsecond=0)
    for word, delta in (("yesterday", -1), ("tomorrow", 1), ("today", 0)):
        if ref.endswith(word):
            return base + timedelta(days=delta), ref[: -len(word)]
    m = re.search(r"(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})$", ref)
    if m:
        month, day, year = int(m.group(1)), int(m.group(2)), int(m.group(3))
        if year < 100:
            year += 2000 if year < 70 else 1900
        return base.replace(year=year, month=month, day=day), ref[: m.start()]
    m = re.search(r"(\d{8})$", ref)
    if m and len(ref) >= 8:
        d = m.group(1)
        return base.replace(year=int(d[:4]), month=int(d[4:6]), day=int(d[6:])), ref[: m.start()]
    m = re.search(r"(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*?(\d{1,2})$", ref)
    if m:
        return base.replace(month=MONTHS.index(m.group(1)) + 1, day=int(m.group(2))), ref[: m.start()]
    m = re.search(r"(mon|tue|wed|thu|fri|sat|sun)[a-z]*$", ref)
    if m and m.group(0) in {w + rest for w in WEEKDAYS for rest in ("", "day", "sday", "nesday", "rsday", "urday")} | set(WEEKDAYS):
        back = (now.weekday() - WEEKDAYS.index(m.group(1))) % 7
        return base - timedelta(days=back), ref[: m.start()]
    return None, ref


def _time_of_day(ref: str) -> tuple[int, int] | None:
    if ref == "noon":
        return 12, 0
    if ref == "midnight":
        return 0, 0
    if ref == "teatime":
        return 16, 0
    m = re.fullmatch(r"(\d{1,2}):(\d{2})(am|pm)?", ref)
    if m:
        hour, minute = int(m.group(1)), int(m.group(2))
    else:
        m = re.fullmatch(r"(\d{1,2})(am|pm)", ref)
        if not m:
            return None
        hour, minute = int(m.group(1)), 0
    suffix = m.groups()[-1]
    if suffix == "pm" and hour < 12:
        hour += 12
    elif suffix == "am" and hour == 12:
        hour = 0
    if hour > 23 or minute > 59:
        raise ValueError(f"no such time of day {ref!r}")
    return hour, minute


def _reference(ref: str, now: datetime) -> datetime:
    if ref in ("", "now"):
        return now
    day, rest = _day(ref, now)
    if day is None:
        day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if rest:
        tod = _time_of_day(rest)
        if tod is None:
            raise ValueError(f"Unknown day reference {ref!r}")
        day = day.replace(hour=tod[0], minute=tod[1])
    return day


def parse_time(text, now: datetime, tz=UTC) -> int:
    """Epoch seconds of an at-time string, relative to `now` (an aware datetime)."""
    raw = str(text)
    s = raw.lower().replace("_", "").replace(",", "").replace(" ", "")
    if not s:
        raise AtTimeError("empty time")
    now = now.astimezone(tz)
    try:
        if s.isdigit():
            if len(s) == 8 and int(s[:4]) > 1900 and int(s[4:6]) < 13 and int(s[6:]) < 32:
                return int(datetime(int(s[:4]), int(s[4:6]), int(s[6:]), tzinfo=tz).timestamp())
            return int(s)
        if "+" in s:
            ref, _, off = s.partition("+")
            sign = 1
        elif "-" in s:
            ref, _, off = s.partition("-")
            sign = -1
        else:
            ref, off, sign = s, "", 1
        if off and not ref and not re.match(r"\d", off):
            raise ValueError("an offset needs a number")
        base = _reference(ref, now)
        offset = _offset_seconds(off) if off else 0
        if not off and ref not in ("", "now") and re.fullmatch(r"\d+[a-z]+", ref) and _day(ref, now)[0] is None and _time_of_day(ref) is None:
            raise ValueError("a relative time needs a sign ('-1d', not '1d')")
        return int(base.timestamp()) + sign * offset
    except (ValueError, OverflowError) as exc:
        raise AtTimeError(f"invalid time {raw!r}: {exc}") from None


def resolve_range(params: dict) -> tuple[int, int, int]:
    """(from, until, now) epoch seconds from request parameters, as graphite-web does."""
    tz = params.get("tz") or UTC
    if isinstance(tz, str):
        try:
            tz = ZoneInfo(tz)
        except Exception:
            tz = UTC
    now_dt = datetime.now(timezone.utc)
    if params.get("now"):
        now_dt = datetime.fromtimestamp(parse_time(params["now"], now_dt, tz), timezone.utc)
    start = parse_time(params.get("from") or "-1d", now_dt, tz)
    end = parse_time(params.get("until") or "now", now_dt, tz)
    if start > end:
        start, end = end, start
    if start == end:
        raise AtTimeError("Invalid empty time range")
    return start, end, int(now_dt.timestamp())
