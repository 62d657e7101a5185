"""Regular expressions that come from requests (seriesByTag's =~ and !=~, grep, exclude,
aliasSub, the tags filter, ...): Python re's syntax (the `regex` module in its re-compatible
mode), but every match runs under a time budget and without the GIL, so a pattern that
backtracks (`^(a+)+$` over a long name) ends as a 400 naming it instead of stalling the
server, its carbon listeners included.
"""
from __future__ import annotations

import functools
import re

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
        """Positions of the texts that match() (none holds a newline), from one scan over the
        texts joined by newlines (_lines_hit) instead of a match per text. One by one when
        the scan cannot tell: a pattern that sees across lines (\\A, \\Z, \\G, lookbehind),
        a match that ran over a newline, or a scan out of time."""
        if not texts:
            return []
        if not _SEES_ACROSS_LINES.search(self.pattern):
            joined = "\n".join(texts)
            starts = np.cumsum([0] + [len(t) + 1 for t in texts[:-1]])
            try:
                lines = self._lines_hit(joined, starts)
            except (TimeoutError, regex.error):
                lines = None
            if lines is not None:
                if "(?=" in self.pattern or "(?!" in self.pattern:  # it may have looked at the next line
                    return [i for i in lines if self.match(texts[i]) is not None]
                return lines
        return [i for i, text in enumerate(texts) if self.match(text) is not None]

    def _lines_hit(self, joined: str, starts: np.ndarray) -> list[int] | None:
        """The lines of `joined` where a match starts (anchored at line starts), each match
        within its line; None when one ran over a newline (it may hide the next line's)."""
        scan = regex.compile("^(?:" + self.pattern + ")", regex.V0 | regex.MULTILINE)
        spans = [m.span() for m in scan.finditer(joined, timeout=SCAN_SECONDS, concurrent=True)]
        if not spans:
            return []
        begin, end = np.array(spans, np.int64).T
        lines = np.searchsorted(starts, begin, side="right") - 1
        line_ends = np.append(starts[1:] - 1, len(joined))  # each line's newline (or the end)
        if (end > line_ends[lines]).any():
            return None
        return np.unique(lines).tolist()


@functools.lru_cache(maxsize=1024)
def compile_user(pattern: str) -> UserRegex:
    return UserRegex(pattern)
