"""Progress of a long import: a tqdm bar (files, points, rate, ETA) on a terminal, otherwise a
line every `every` files, and the summary at the end."""
from __future__ import annotations

import sys
import time


class Progress:
    def __init__(self, total_files: int, every: int = 1000, stream=None):
        self.total, self.every = total_files, max(1, every)
        self.stream = stream or sys.stderr
        self.files = self.points = self.failed = 0
        self.t0 = time.monotonic()
        self._bar = None
        if self.stream.isatty():
            from tqdm import tqdm

            self._bar = tqdm(total=total_files, unit="file", file=self.stream, dynamic_ncols=True)

    def advance(self, files: int, points: int, failed: int = 0) -> None:
        before = self.files
        self.files += files
        self.points += points
        self.failed += failed
        if self._bar is not None:
            self._bar.update(files)
            self._bar.set_postfix_str(f"{self.points:,} points, {self.points / self.elapsed:,.0f}/s, {self.failed} failed", refresh=False)
        elif self.files // self.every > before // self.every or self.files == self.total:
            rate = self.files / self.elapsed
            eta = (self.total - self.files) / rate if rate else 0.0
            print(f"import-whisper: {self.files}/{self.total} files, {self.points:,} points, "
                  f"{self.points / self.elapsed:,.0f} points/s, {self.failed} failed, ETA {eta:.0f}s",
                  file=self.stream, flush=True)

    @property
    def elapsed(self) -> float:
        return max(time.monotonic() - self.t0, 1e-9)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
