"""The registry of render functions: their Graphite metadata (what /functions shows) and the
`function` decorator that declares them. Loading every function module is loader.py's job.

A function module declares each function once with its Graphite metadata:

    @function("Transform", params=[Param("seriesList", "seriesList", required=True),
                                   Param("factor", "float", required=True)])
    def scale(ctx, seriesList, factor): ...

The decorated Python function receives the evaluation context first, then the arguments
with every nested target already evaluated to a list of TimeSeries (unless the function is
declared lazy=True, in which case it gets the AST nodes and evaluates them itself through
ctx.evaluate, e.g. timeShift re-fetching another range). The context is an EvalContext
(tsstore/query/context.py): functions never import the engine.
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any, Callable

from tsstore.query.aggregation import AGG_FUNCS

GROUPS = ("Combine", "Transform", "Calculate", "Filter Series", "Filter Data", "Sorting", "Alias", "Graph", "Special")
PARAM_TYPES = {
    "aggFunc", "aggOrSeriesFunc", "any", "boolean", "date", "float", "integer", "interval",
    "intOrInterval", "intOrInf", "node", "nodeOrTag", "series", "seriesList", "seriesLists", "string", "tag",
}


@dataclass
class Param:
    name: str
    type: str
    required: bool = False
    default: Any = None
    multiple: bool = False
    options: list | None = None
    suggestions: list | None = None

    def __post_init__(self):
        if self.type not in PARAM_TYPES:
            raise ValueError(f"unknown parameter type {self.type!r} for {self.name}")

    def info(self) -> dict:
        """The /functions shape: keys in graphite-web's order, optional ones only when set."""
        out: dict[str, Any] = {"name": self.name, "type": self.type}
        if self.required:
            out["required"] = True
        if self.default is not None:
            out["default"] = self.default
        if self.multiple:
            out["multiple"] = True
        options = list(self.options or [])
        if self.type in ("aggFunc", "aggOrSeriesFunc"):
            options += AGG_FUNCS
        if self.type == "aggOrSeriesFunc":  # graphite-web adds the series functions marked aggregator
            options += aggregator_names()
        if options:
            out["options"] = sorted(set(options), key=str)
        if self.suggestions:
            out["suggestions"] = self.suggestions
        return out


@dataclass
class RenderFunction:
    name: str
    func: Callable
    group: str
    params: list[Param]
    description: str
    lazy: bool = False
    signature: str = ""
    alias_of: str | None = None
    aggregator: bool = False  # usable as the callback of groupByNode(s)/groupByTags (graphite-web's flag)

    def bound(self, args, kwargs: dict):
        """(Param, value) of every argument given, matched as graphite-web's validateParams
        does: positional ones in declaration order (a multiple parameter takes the rest),
        keyword ones by name. Arguments with no parameter are left out (the call fails later)."""
        for i, value in enumerate(args):
            if i < len(self.params) and not any(p.multiple for p in self.params[:i]):
                yield self.params[i], value
            elif self.params and (multiple := next((p for p in self.params if p.multiple), None)):
                yield multiple, value
        by_name = {p.name: p for p in self.params}
        for name, value in kwargs.items():
            if name in by_name:
                yield by_name[name], value

    def info(self) -> dict:
        return {
            "name": self.name,
            "function": self.signature,
            "description": self.description,
            "module": "graphite.render.functions",
            "group": self.group,
            "params": [p.info() for p in self.params],
        }


REGISTRY: dict[str, RenderFunction] = {}


def aggregator_names() -> list[str]:
    """The registered functions (aliases included) an aggOrSeriesFunc parameter may name."""
    return [name for name, fn in REGISTRY.items() if fn.aggregator]


def _signature(name: str, params: list[Param]) -> str:
    parts = []
    for p in params:
        if p.multiple:
            parts.append(f"*{p.name}")
        elif p.required:
            parts.append(p.name)
        else:
            parts.append(f"{p.name}={p.default!r}" if p.default is not None else f"{p.name}=None")
    return f"{name}({', '.join(parts)})"


def function(group: str, params: list[Param], name: str | None = None, aliases: tuple[str, ...] = (), lazy: bool = False,
             aggregator: bool = False):
    """Register a render function with its Graphite metadata (aggregator: it combines the
    series it is given into one, and a groupBy* callback may name it)."""
    if group not in GROUPS:
        raise ValueError(f"unknown group {group!r}")

    def register(fn: Callable) -> Callable:
        fname = name or fn.__name__
        doc = inspect.cleandoc(fn.__doc__ or "")
        entry = RenderFunction(fname, fn, group, params, doc, lazy, _signature(fname, params), aggregator=aggregator)
        if fname in REGISTRY:
            raise ValueError(f"render function {fname} registered twice")
        REGISTRY[fname] = entry
        for alias in aliases:
            REGISTRY[alias] = RenderFunction(alias, fn, group, params, doc, lazy, _signature(alias, params), alias_of=fname,
                                             aggregator=aggregator)
        return fn

    return register
