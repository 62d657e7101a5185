"""Loading the render functions: every module of tsstore.query.functions (subpackages
included) is imported once, on first use, and registers its functions on import. The engine
and /functions look functions up here, so the registry itself imports no function module."""
from __future__ import annotations

import importlib
import pkgutil
import threading

import tsstore.query.functions as package
from tsstore.query.functions.registry import REGISTRY, RenderFunction

_loaded = False
# Renders run on several threads: the first ones must all wait for the whole registry (with the
# flag set before the imports ended, a concurrent first render found sumSeries "unknown").
_loading = threading.Lock()


def load_all() -> None:
    global _loaded
    if _loaded:
        return
    with _loading:
        if _loaded:
            return
        for mod in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            importlib.import_module(mod.name)
        _loaded = True


def get(name: str) -> RenderFunction | None:
    load_all()
    return REGISTRY.get(name)


def all_functions() -> dict[str, RenderFunction]:
    load_all()
    return REGISTRY
