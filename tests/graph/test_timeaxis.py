"""The x axis: graphite-web's row of label and grid steps for the seconds per pixel, and the
ticks on whole units of the request's time zone."""
from datetime import datetime
from zoneinfo import ZoneInfo

from tsstore.graph.timeaxis import DAY, HOUR, MIN, choose_scale, ticks

UTC = ZoneInfo("UTC")
T0 = int(datetime(2026, 3, 10, 0, 7, tzinfo=UTC).timestamp())


def test_the_row_follows_the_seconds_per_pixel_and_the_span():
    hour = choose_scale(3600, 290)  # 12.4 s per pixel
    assert (hour.label_unit, hour.label_step, hour.format) == (MIN, 20, "%H:%M")
    day = choose_scale(86400, 290)  # 298 s per pixel
    assert (day.label_unit, day.label_step, day.format) == (HOUR, 12, "%m/%d %H:%M")
    year = choose_scale(365 * 86400, 500)  # 63 072 s per pixel: the last row within a year's span
    assert (year.label_unit, year.label_step, year.format) == (DAY, 30, "%m/%d")
    assert choose_scale(2 * 365 * 86400, 500).format == "%m/%d %Y"
    # a short span drawn very wide keeps the finest row that covers it
    assert choose_scale(300, 2000).format == "%H:%M:%S"


def test_ticks_start_at_the_first_whole_step_after_the_start():
    got = ticks(T0, T0 + 3600, UTC, MIN, 20)
    assert [t.strftime("%H:%M") for t in got] == ["00:20", "00:40", "01:00"]


def test_ticks_are_whole_hours_of_the_time_zone():
    kolkata = ZoneInfo("Asia/Kolkata")  # UTC+5:30: its whole hours are half hours of UTC
    got = ticks(T0, T0 + 4 * 3600, kolkata, HOUR, 1)
    assert all(t.minute == 0 for t in got)
    assert {datetime.fromtimestamp(t.timestamp(), UTC).minute for t in got} == {30}


def test_day_ticks_count_from_the_start_days_midnight():
    # midnight of the 10th, then every 2 days: the 12th is the first inside the range
    got = ticks(T0, T0 + 5 * 86400, UTC, DAY, 2)
    assert [t.strftime("%d %H") for t in got] == ["12 00", "14 00"]
