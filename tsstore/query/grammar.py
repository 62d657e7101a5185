"""The target grammar of graphite-web, as a recursive-descent parser with column positions.

    expression := (call | path) ('|' call)*        pipes make the left side the first argument
    call       := name '(' [arg (',' arg)*] ')'     positional arguments before keyword ones
    arg        := name '=' value | value
    value      := boolean | number | none | string | inf | expression

A number must be followed by ',', ')' or the end (so `1d` is a path). Strings keep their
backslashes (graphite-web does not interpret escapes). A path element may hold `{a,b}`
lists (their commas belong to the path) and backslash-escaped specials.

A target nests at most MAX_NESTING calls (a pipe nests its left side in the call after it):
the parser recurses per level, and so do the engine and the lazy functions that evaluate
their own arguments, so a deeper target would exhaust Python's stack (RecursionError at about
320 levels) instead of being answered.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class PathExpr:
    text: str


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple
    kwargs: tuple  # ((name, value), ...)
    text: str  # the call as written (graphite-web's pathExpression for seriesByTag)


class TargetSyntaxError(ValueError):
    def __init__(self, message: str, column: int, target: str):
        self.message, self.column, self.target = message, column, target
        # a huge target is shown by its start: the column locates the problem
        shown = repr(target) if len(target) <= 500 else f"{target[:200]!r}... ({len(target)} characters)"
        super().__init__(f"{message} at column {column} in target {shown}")


MAX_NESTING = 100  # levels of calls in one target; README's Limits table (target nesting)

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER = re.compile(r"-?(?:\d+\.\d+|\d+)(?:[eE][-+]?\d+)?")
_WORD = re.compile(r"[A-Za-z]+")
_PATH_STOP = set(",)|(") | {"'", '"'}


class _Parser:
    def __init__(self, text: str):
        self.s, self.i, self.n = text, 0, len(text)
        self.open = 0  # calls whose arguments are being parsed: the nesting around the parser

    def nest(self, depth: int, at: int) -> None:
        """Refuse a call `depth` levels deep (counted from the innermost) below the open ones."""
        if self.open + depth > MAX_NESTING:
            self.error(f"target nests calls more than {MAX_NESTING} levels deep (the target nesting limit)", at)

    def error(self, message: str, at: int | None = None):
        at = self.i if at is None else at
        raise TargetSyntaxError(message, at + 1, self.s)

    def unexpected(self):
        if self.i >= self.n:
            self.error("unexpected end of target")
        self.error(f"unexpected {self.s[self.i]!r}")

    def ws(self):
        while self.i < self.n and self.s[self.i].isspace():
            self.i += 1

    def peek(self) -> str:
        return self.s[self.i] if self.i < self.n else ""

    def at_delimiter(self, j: int) -> bool:
        while j < self.n and self.s[j].isspace():
            j += 1
        return j >= self.n or self.s[j] in ",)"

    # -- grammar ----------------------------------------------------------------
    def target(self):
        self.ws()
        if self.i >= self.n:
            self.error("empty target")
        node, _ = self.expression()
        self.ws()
        if self.i < self.n:
            self.unexpected()
        return node

    def expression(self) -> tuple[Any, int]:
        """(node, levels of calls in it)."""
        self.ws()
        start = self.i
        m = _NAME.match(self.s, self.i)
        if m:
            j = m.end()
            while j < self.n and self.s[j] in " \t":
                j += 1
            node, depth = self.call(start) if j < self.n and self.s[j] == "(" else (self.path(), 0)
        else:
            node, depth = self.path(), 0
        self.ws()
        while self.peek() == "|":
            self.i += 1
            self.ws()
            pipe_start = self.i
            m = _NAME.match(self.s, self.i)
            if not m:
                self.error("expected a function call after '|'")
            call, call_depth = self.call(pipe_start)
            depth = max(depth + 1, call_depth)  # the left side becomes the call's first argument
            self.nest(depth, pipe_start)
            node = Call(call.name, (node, *call.args), call.kwargs, self.s[start : self.i])
            self.ws()
        return node, depth

    def call(self, start: int) -> tuple[Call, int]:
        m = _NAME.match(self.s, self.i)
        name = m.group(0)
        self.nest(1, start)  # before recursing into the arguments
        self.i = m.end()
        self.ws()
        self.i += 1  # '('
        args, kwargs = [], []
        self.ws()
        if self.peek() == ")":
            self.i += 1
            return Call(name, (), (), self.s[start : self.i]), 1
        self.open += 1
        depth = 0
        while True:
            self.ws()
            kw = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*=(?!=)").match(self.s, self.i)
            if kw and not (self.s[kw.end() - 1 : kw.end() + 1] == "=~"):
                self.i = kw.end()
                self.ws()
                value, d = self.value()
                kwargs.append((kw.group(1), value))
            else:
                if kwargs:
                    self.error("positional argument after a keyword argument")
                value, d = self.value()
                args.append(value)
            depth = max(depth, d)
            self.ws()
            c = self.peek()
            if c == ",":
                self.i += 1
                continue
            if c == ")":
                self.i += 1
                self.open -= 1
                return Call(name, tuple(args), tuple(kwargs), self.s[start : self.i]), depth + 1
            if not c:
                self.error(f"unclosed '(' of {name}()", start + len(name))
            self.unexpected()

    def value(self) -> tuple[Any, int]:
        """(argument, levels of calls in it: 0 unless it is an expression)."""
        self.ws()
        c = self.peek()
        if not c:
            self.error("expected an argument")
        if c in "'\"":
            return self.string(), 0
        m = _NUMBER.match(self.s, self.i)
        if m and self.at_delimiter(m.end()):
            self.i = m.end()
            text = m.group(0)
            return (float(text) if any(ch in text for ch in ".eE") else int(text)), 0
        m = _WORD.match(self.s, self.i)
        if m and self.at_delimiter(m.end()):
            word = m.group(0).lower()
            if word in ("true", "false"):
                self.i = m.end()
                return word == "true", 0
            if word == "none":
                self.i = m.end()
                return None, 0
            if word == "inf":
                self.i = m.end()
                return float("inf"), 0
        if c in ",)":
            self.error("expected an argument")
        return self.expression()

    def string(self) -> str:
        quote = self.s[self.i]
        start = self.i
        j = self.i + 1
        while j < self.n:
            if self.s[j] == "\\" and j + 1 < self.n:
                j += 2
                continue
            if self.s[j] == quote:
                self.i = j + 1
                return self.s[start + 1 : j]
            j += 1
        self.error(f"unclosed string starting with {quote}", start)

    def path(self) -> PathExpr:
        start, depth = self.i, 0
        while self.i < self.n:
            c = self.s[self.i]
            if c == "\\" and self.i + 1 < self.n:
                self.i += 2
                continue
            if c == "{":
                depth += 1
            elif c == "}":
                if depth == 0:
                    self.unexpected()
                depth -= 1
            elif c.isspace() or (depth == 0 and c in _PATH_STOP) or (depth and c in "()|'\""):
                break
            self.i += 1
        if depth:
            self.error("unclosed '{' in path", start)
        if self.i == start:
            self.unexpected()
        c = self.peek()
        if c and c in "('\"":
            self.unexpected()
        return PathExpr(self.s[start : self.i])


def parse_target(text: str):
    """The AST of one target; raises TargetSyntaxError with the column of the problem."""
    return _Parser(text).target()


def count_expressions(node) -> int:
    """Function calls and paths in an AST (what a render evaluates one by one)."""
    if isinstance(node, PathExpr):
        return 1
    if isinstance(node, Call):
        return 1 + sum(count_expressions(v) for v in (*node.args, *(v for _, v in node.kwargs)))
    return 0


def to_text(node) -> str:
    """A target string that parses back to the same AST."""
    if isinstance(node, PathExpr):
        return node.text
    if isinstance(node, Call):
        parts = [_value_text(a) for a in node.args] + [f"{k}={_value_text(v)}" for k, v in node.kwargs]
        return f"{node.name}({','.join(parts)})"
    raise TypeError(node)


def _value_text(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "None"
    if isinstance(v, float) and v == float("inf"):
        return "inf"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return "'" + v + "'" if "'" not in v else '"' + v + '"'
    return to_text(v)
