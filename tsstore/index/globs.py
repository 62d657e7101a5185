"""Graphite glob patterns: brace expansion, per-level fnmatch, and find over a tree.

Rules (spec (c), "Glob grammar"): the pattern is split on '.', braces are expanded
(innermost first, nesting and empty alternatives allowed), each element is matched with
fnmatch rules against the children of one level ('*', '?', '[abc]', '[!abc]',
case-sensitive), '**' as a whole element matches any number of levels, and names starting
with '.' are hidden.
"""
from __future__ import annotations

import functools
import re
from typing import Awaitable, Callable

from tsstore.model import Node

MAGIC = set("*?[{")
# Alternatives one pattern element may expand to; graphite-web has no limit, and each brace
# multiplies the paths (2^20 of them stalled a server), so past this a find or render is a 400.
MAX_ALTERNATIVES = 10_000
_INNERMOST = re.compile(r"\{([^{}]*)\}")


class GlobError(ValueError):
    """A pattern that cannot match as written (a reversed character range like [z-a]) or is
    refused as given (too many brace alternatives): the client's error, answered with HTTP
    400 naming the pattern and the limit."""


def has_magic(s: str) -> bool:
    """True when the pattern needs matching (not a literal path)."""
    return any(c in MAGIC for c in s)


def alternatives_bound(pattern: str) -> int:
    """How many patterns brace expansion makes before duplicates are dropped (an upper bound
    of what expand_braces returns), counted without expanding; stops counting past the limit."""
    total = 1
    while total <= MAX_ALTERNATIVES:
        m = _INNERMOST.search(pattern)
        if not m:
            break
        total *= m.group(1).count(",") + 1
        pattern = pattern[: m.start()] + pattern[m.end():]  # the group's place: no braces inside it
    return total


def expand_braces(pattern: str) -> list[str]:
    """'a.{b,c{1,2}}' -> ['a.b', 'a.c1', 'a.c2'], innermost braces first, duplicates dropped
    (first occurrence kept). Refused with GlobError past MAX_ALTERNATIVES, before any work."""
    if alternatives_bound(pattern) > MAX_ALTERNATIVES:
        raise GlobError(f"the pattern {pattern[:200]!r} expands to more than {MAX_ALTERNATIVES} alternatives "
                           "(braces multiply): narrow it or use a wildcard")
    out: dict[str, None] = {}  # ordered and de-duplicated in linear time
    todo = [pattern]
    while todo:
        p = todo.pop()
        m = _INNERMOST.search(p)
        if not m:
            out[p] = None
            continue
        # reversed so the first alternative is expanded (and listed) first
        todo.extend(p[: m.start()] + alt + p[m.end():] for alt in reversed(m.group(1).split(",")))
    return list(out)


def split_components(pattern: str) -> list[str]:
    """Split on every dot, as graphite-web's finder does (so `{a.b,c}` spans no levels)."""
    return pattern.split(".")


@functools.lru_cache(maxsize=4096)
def _compile(component: str) -> re.Pattern:
    """fnmatch semantics for one element (after brace expansion)."""
    try:
        return re.compile("(?s:" + translate(component) + r")\Z")
    except re.error as exc:  # anything else re refuses, named with the glob (not the regex made from it)
        raise GlobError(f"not a valid pattern: {exc.msg}") from None


@functools.lru_cache(maxsize=4096)
def lines_matcher(alternatives: tuple[str, ...]) -> re.Pattern:
    """One regex that finds, in names joined by '\n', each whole line matching any of the
    elements (fnmatch, after brace expansion): one C-level scan instead of a match per name.
    No class takes the newline, so no match spans two names."""
    # no name has a newline: an element with one matches nothing (here it would span names)
    body = "|".join(translate(a, lines=True) for a in alternatives if "\n" not in a) or "(?!)"
    try:
        return re.compile("(?m)^(?:" + body + ")$")
    except re.error as exc:
        raise GlobError(f"not a valid pattern: {exc.msg}") from None


def translate(component: str, lines: bool = False) -> str:
    """The regex (unanchored) of one fnmatch element; `lines`: for lines_matcher."""
    i, n, out = 0, len(component), []
    while i < n:
        c = component[i]
        i += 1
        if c == "*":
            out.append(".*")
        elif c == "?":
            out.append(".")
        elif c == "[":
            j = i
            if j < n and component[j] == "!":
                j += 1
            if j < n and component[j] == "]":
                j += 1
            while j < n and component[j] != "]":
                j += 1
            if j >= n:
                out.append("\\[")
            else:
                body = component[i:j]
                i = j + 1
                neg = body.startswith("!")
                if neg:
                    body = body[1:]
                _check_ranges(component, body)
                body = body.replace("\\", "\\\\")
                if body.startswith("^"):  # a literal '^' (fnmatch negates with '!')
                    body = "\\" + body
                if lines:  # a class never takes the newline between two names
                    out.append(f"[^{body}\\n]" if neg else f"(?!\\n)[{body}]")
                else:
                    out.append(f"[{'^' if neg else ''}{body}]")
        else:
            out.append(re.escape(c))
    return "".join(out)


def _check_ranges(component: str, body: str) -> None:
    """fnmatch ranges in a [...] body ('a-z'; a '-' first or last is itself): a reversed one
    would be an re.error, so it is named here."""
    i = 0
    while i < len(body):
        if i + 2 < len(body) and body[i + 1] == "-":
            lo, hi = body[i], body[i + 2]
            if lo > hi:
                raise GlobError(f"reversed character range {lo}-{hi} in [{body}]")
            i += 3
        else:
            i += 1


def check_pattern(pattern: str) -> None:
    """Raise GlobError for a pattern with an element that cannot be compiled, before any level
    is read (a bad element deeper down must not depend on what the levels above hold)."""
    try:
        for component in split_components(pattern):
            if component != "**":
                for alternative in expand_braces(component):
                    _compile(alternative)
    except GlobError as exc:
        raise GlobError(f"glob {pattern!r}: {exc}") from None


def match_component(component: str, names) -> list[str]:
    """Names of one level matching one pattern element (braces allowed)."""
    alternatives = expand_braces(component)
    literal = {a for a in alternatives if not has_magic(a)}  # most brace alternatives: a set lookup
    regexes = [_compile(a) for a in alternatives if has_magic(a)]
    show_hidden = component.startswith(".")
    return [
        name
        for name in names
        if (show_hidden or not name.startswith(".")) and (name in literal or any(r.match(name) for r in regexes))
    ]


def match_path(pattern: str, path: str) -> bool:
    """Does a full dotted path match the pattern? ('**' spans levels.)"""
    return _match_parts(split_components(pattern), path.split("."))


def _match_parts(pats: list[str], parts: list[str]) -> bool:
    if not pats:
        return not parts
    if pats[0] == "**":
        return any(_match_parts(pats[1:], parts[i:]) for i in range(len(parts) + 1))
    if not parts:
        return False
    return bool(match_component(pats[0], [parts[0]])) and _match_parts(pats[1:], parts[1:])


async def find_in_tree(children_many: Callable[[list[str]], Awaitable[list[list]]], pattern: str) -> list:
    """Walk the tree one level per component; children_many(parents) gives each parent's
    child nodes. A level is fetched in one call for all the branches matched so far."""
    check_pattern(pattern)
    comps = split_components(pattern)
    frontier = [""]  # parents whose children the next component matches
    results: dict[str, Node] = {}
    for depth, comp in enumerate(comps):
        last = depth == len(comps) - 1
        if comp == "**":
            # '**' matches any number of levels: collect all descendants of the frontier,
            # then match the rest of the pattern against full paths.
            rest = comps[depth + 1 :]
            stack, found = list(frontier), []
            while stack:
                levels = await children_many(stack)
                stack = []
                for nodes in levels:
                    for node in nodes:
                        found.append(node)
                        if node.is_branch:
                            stack.append(node.path)
            prefix_len = {p: (len(p.split(".")) if p else 0) for p in frontier}
            for node in found:
                parts = node.path.split(".")
                for p, plen in prefix_len.items():
                    if (not p or node.path.startswith(p + ".")) and _match_parts(["**", *rest], parts[plen:]):
                        results[node.path] = node
            return sorted(results.values(), key=lambda n: n.path)
        levels = await children_many(frontier)
        next_frontier = []
        for nodes in levels:
            by_name = {n.name: n for n in nodes}
            for name in match_component(comp, by_name):
                node = by_name[name]
                if last:
                    results[node.path] = node
                elif node.is_branch:
                    next_frontier.append(node.path)
        frontier = next_frontier
        if not frontier and not last:
            break
    return sorted(results.values(), key=lambda n: n.path)
