"""Regular expressions that come from requests (seriesByTag's =~ and !=~, grep, exclude,
aliasSub, the tags filter, ...): Python re's syntax (the `regex` module in its re-compatible
mode), but every match runs under a time budget and without the GIL, so a pattern that
backtracks (`^(a+)+$` over a long name) ends as a 400 naming it instead of stalling the
server, its carbon listeners included.
"""
from __future__ import annotations

import functools
import re
import time

import numpy as np
import regex

MATCH_SECONDS = 0.5  # one match of one name; a sane pattern takes microseconds
SCAN_SECONDS = 2.0  # one scan of many names joined (UserRegex.matching); then one by one
# what sees past a line's start or end in a joined scan: the text's own start and end, \G, lookbehind
_SEES_ACROSS_LINES = re.compile(r"\\[AZzG]|\(\?<[=!]")


class UserRegexError(ValueError):
    """A pattern that does not compile, or whose matching ran out of time."""


class UserRegex:
    __slots__ = ("pattern", "_rx")

    def __init__(self, pattern: str):
        self.pattern = pattern
        try:
            self._rx = regex.compile(pattern, regex.V0)
        except (regex.error, OverflowError, RecursionError) as exc:
            raise UserRegexError(f"invalid regular expression {pattern!r}: {exc}") from None

    def _timed(self, method, *args):
        try:
            return method(*args, timeout=MATCH_SECONDS, concurrent=True)
        except TimeoutError:
            raise UserRegexError(f"the regular expression {self.pattern!r} took over {MATCH_SECONDS}s on one name "
                                 "(it backtracks): rewrite it without nested repetition") from None
        except regex.error as exc:  # e.g. a bad group reference in a substitution
            raise UserRegexError(f"regular expression {self.pattern!r}: {exc}") from None

    def search(self, text: str):
        return self._timed(self._rx.search, text)

    def match(self, text: str):
        return self._timed(self._rx.match, text)

    def sub(self, repl: str, text: str) -> str:
        return self._timed(self._rx.sub, repl, text)

    def matching(self, texts: list[str]) -> list[int]:
        """Positions of the texts that match() (none holds a newline). One scan over the
        texts joined by newlines finds every line where a match could start (a superset: a
        match within one text is also one at its line's start), and only those are matched
        one by one; patterns that would see across lines (\\A, \\Z, \\G, lookbehind) and a
        scan that runs out of time go one by one from the start."""
        if not texts:
            return []
        candidates = range(len(texts))
        if not _SEES_ACROSS_LINES.search(self.pattern):
            joined = "\n".join(texts)
            starts = np.cumsum([0] + [len(t) + 1 for t in texts[:-1]])
            try:
                candidates = self._lines_hit(joined, starts)
            except (TimeoutError, regex.error):
                pass
        return [i for i in candidates if self.match(texts[i]) is not None]

    def _lines_hit(self, joined: str, starts: np.ndarray) -> list[int]:
        """The lines of `joined` where a match of the pattern starts. Each search starts at the
        line after the last hit's line, not at the hit's end: a match that ran over a newline
        must not hide a match starting on a line it covered."""
        scan = regex.compile(self.pattern, regex.V0 | regex.MULTILINE)
        deadline = time.monotonic() + SCAN_SECONDS
        lines, pos = [], 0
        while pos <= len(joined):
            m = scan.search(joined, pos, timeout=max(deadline - time.monotonic(), 0.001), concurrent=True)
            if m is None:
                break
            line = int(np.searchsorted(starts, m.start(), side="right")) - 1
            lines.append(line)
            if line + 1 >= len(starts):
                break
            pos = int(starts[line + 1])
        return lines


@functools.lru_cache(maxsize=1024)
def compile_user(pattern: str) -> UserRegex:
    return UserRegex(pattern)
