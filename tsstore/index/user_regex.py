"""Regular expressions that come from requests (seriesByTag's =~ and !=~, grep, exclude,
aliasSub, the tags filter, ...): Python re's syntax (the `regex` module in its re-compatible
mode), but every match runs under a time budget and without the GIL, so a pattern that
backtracks (`^(a+)+$` over a long name) ends as a 400 naming it instead of stalling the
server, its carbon listeners included.
"""
from __future__ import annotations

import functools

import regex

MATCH_SECONDS = 0.5  # one match of one name; a sane pattern takes microseconds


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


@functools.lru_cache(maxsize=1024)
def compile_user(pattern: str) -> UserRegex:
    return UserRegex(pattern)
