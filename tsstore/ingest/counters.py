"""Process-wide counters (received, dropped by reason, written, ...) for logs and self-metrics."""
from __future__ import annotations

import logging
import time
from collections import defaultdict


class Counters:
    def __init__(self):
        self._values: dict[str, float] = defaultdict(float)
        self._gauge_sources: list = []

    def add_gauge_source(self, refresh) -> None:
        """refresh(counters) sets levels (queue sizes, kernel drops) each time a snapshot is
        taken, so a snapshot is current when read."""
        self._gauge_sources.append(refresh)

    def add(self, key: str, n: float = 1) -> None:
        self._values[key] += n

    def set(self, key: str, value: float) -> None:
        self._values[key] = value

    def get(self, key: str) -> float:
        return self._values.get(key, 0)

    def merge_stats(self, prefix: str, before: dict, after: dict) -> None:
        """Add the growth of a component's own stats dict (e.g. a parser's) under prefix."""
        for key, value in after.items():
            delta = value - before.get(key, 0)
            if delta:
                self._values[f"{prefix}{key}"] += delta

    def snapshot(self) -> dict[str, float]:
        for refresh in self._gauge_sources:
            refresh(self)
        return dict(self._values)


class RateLimitedLog:
    """Log at most `per_interval` messages per key per interval, then one summary line."""

    def __init__(self, logger: logging.Logger, interval: float = 60.0, per_interval: int = 5):
        self.logger, self.interval, self.per_interval = logger, interval, per_interval
        self._window: dict[str, tuple[float, int]] = {}

    def warning(self, key: str, msg: str, *args) -> None:
        now = time.monotonic()
        start, count = self._window.get(key, (now, 0))
        if now - start > self.interval:
            if count > self.per_interval:
                self.logger.warning("%s: %d more like this in the last %.0fs", key, count - self.per_interval, now - start)
            start, count = now, 0
        count += 1
        self._window[key] = (start, count)
        if count <= self.per_interval:
            self.logger.warning(msg, *args)
