"""Tag expressions (seriesByTag, /tags/findSeries, autoComplete `expr`) and their evaluation.

Grammar: `<tag><op><spec>`, tag = one or more characters other than ';', '!', '=';
op = '=', '!=', '=~', '!=~'; spec = any characters but ';' (possibly empty).
Every expression must hold; a series lacking a tag has the empty value for it, so an
expression that matches '' also matches series without the tag; at least one expression
must not match '' (otherwise every series would match).
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tsstore.index.tags import tag_rows
from tsstore.index.user_regex import UserRegex, UserRegexError, compile_user

if TYPE_CHECKING:  # the index sits below the store: only the type is needed here
    from tsstore.store.base import Store

_EXPR = re.compile(r"^([^;!=]+)(=~|!=~|!=|=)([^;]*)$")


class TagQueryError(ValueError):
    """A tag expression (or list of them) that cannot be evaluated; the message says why."""


@functools.lru_cache(maxsize=1024)
def _regex(spec: str) -> UserRegex:
    try:
        return compile_user(spec if spec.startswith("^") else f"^({spec})")
    except UserRegexError as exc:
        raise TagQueryError(f"{exc} in tag expression") from None


@dataclass(frozen=True)
class TagExpr:
    """One parsed `<tag><op><spec>`; regex specs are anchored at the start only."""

    tag: str
    op: str
    spec: str

    def matches(self, value: str) -> bool:
        if self.op == "=":
            return value == self.spec
        if self.op == "!=":
            return value != self.spec
        hit = _regex(self.spec).match(value) is not None
        return hit if self.op == "=~" else not hit

    @property
    def regex(self) -> UserRegex:
        """The compiled spec of =~ and !=~ (anchored at the start)."""
        return _regex(self.spec)

    @property
    def matches_empty(self) -> bool:
        return self.matches("")


def parse_expr(text: str) -> TagExpr:
    """Parse one expression; raises TagQueryError (a bad regex too, at once)."""
    m = _EXPR.match(text)
    if not m:
        raise TagQueryError(f"Invalid tagspec {text!r}: expected <tag><op><value> with op one of =, !=, =~, !=~")
    expr = TagExpr(*m.groups())
    if expr.op in ("=~", "!=~"):
        _regex(expr.spec)  # raise now for a bad regex
    return expr


def parse_exprs(texts: list[str]) -> list[TagExpr]:
    """Parse a query: at least one expression, and one that does not match ''."""
    if not texts:
        raise TagQueryError("no tag expressions specified")
    exprs = [parse_expr(t) for t in texts]
    if all(e.matches_empty for e in exprs):
        raise TagQueryError("At least one tagspec must not match the empty string")
    return exprs


def series_matches(name: str, exprs: list[TagExpr]) -> bool:
    """Does a canonical series name satisfy every expression?"""
    tags = dict(tag_rows(name)) if ";" in name else {"name": name}
    return all(e.matches(tags.get(e.tag, "")) for e in exprs)


async def _candidates(store: Store, exprs: list[TagExpr]) -> list[str]:
    """A superset of the answer from the most selective index lookup available."""
    exact = [e for e in exprs if e.op == "=" and e.spec]
    if exact:
        best = min(exact, key=lambda e: 0 if e.tag == "name" else 1)
        return await store.series_with_tag(best.tag, best.spec)
    regex = [e for e in exprs if e.op == "=~" and not e.matches_empty]
    if regex:
        e = regex[0]
        values = [v for v in await store.tag_values(e.tag) if e.matches(v)]
        out: list[str] = []
        for v in values:
            out.extend(await store.series_with_tag(e.tag, v))
        return out
    # Only negative expressions that need the tag present (e.g. 'dc!='): every series with it.
    e = next(e for e in exprs if not e.matches_empty)
    return await store.series_with_tag(e.tag)


async def find_series(store: Store, expr_texts: list[str]) -> list[str]:
    """Canonical names of the tagged series matching every expression, sorted: from the
    store's in-memory tag index when it has a built one (tsstore.index.tag_index), else with
    the store's tag queries."""
    tag_index = getattr(store, "tag_index", None)
    if tag_index is not None and (names := await tag_index.answer("find", expr_texts)) is not None:
        return names
    exprs = parse_exprs(expr_texts)
    return sorted({n for n in await _candidates(store, exprs) if series_matches(n, exprs)})
