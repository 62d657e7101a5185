"""Loading the render functions: every module of tsstore.query.functions (subpackages
included) is imported once, on first use, and registers its functions on import. The engine
and /functions look functions up here, so the registry itself imports no function module."""
from __future__ import annotations

import importlib
import pkgutil

import tsstore.query.functions as package
from tsstore.query.functions.registry import REGISTRY, RenderFunction

_loaded = False


def load_all() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    for mod in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        importlib.import_module(mod.name)


def get(name: str) -> RenderFunction | None:
    load_all()
    return REGISTRY.get(name)


def all_functions() -> dict[str, RenderFunction]:
    load_all()
    return REGISTRY
