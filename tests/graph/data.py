"""Series the picture tests draw: fixed values on a fixed hour, so the pictures never change."""
import numpy as np

from tsstore.query.series import TimeSeries

START = 1_700_000_000 // 3600 * 3600  # 2023-11-14 22:00 UTC
STEP = 60


def saw(name: str, offset: float = 0.0, n: int = 60, gaps=()) -> TimeSeries:
    values = offset + (np.arange(n) % 20) * 1.5
    values[list(gaps)] = np.nan
    return TimeSeries(name, START, START + n * STEP, STEP, values)


def three() -> list[TimeSeries]:
    return [saw("web01.cpu", 0, gaps=range(10, 14)), saw("web02.cpu", 10), saw("web03.cpu", 20)]
