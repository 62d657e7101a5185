"""Compiled extensions and their pure-Python twins.

Every compiled concern has one public module, its pure-Python twin (e.g.
``tsstore/store/segment_codec.py``), which defines the behaviour and, at its end, switches its
public names to the compiled module built from ``ext/<name>.pyx`` (``tsstore.<pkg>._<name>``)
when that is built and allowed (aiohttp's pattern). TSSTORE_NO_EXTENSIONS=1 keeps the twins.
The twin's own definitions stay reachable as ``<module>.python_twin`` so the tests run every
case against both.

    # at the end of a twin module:
    compiled = _ext.switch(globals(), "tsstore.store._segment_codec", ("encode", "decode"))
"""
from __future__ import annotations

import importlib
import os
from types import ModuleType, SimpleNamespace


def extensions_disabled() -> bool:
    return os.environ.get("TSSTORE_NO_EXTENSIONS", "") not in ("", "0")


def _import_compiled(dotted: str) -> ModuleType | None:
    try:
        return importlib.import_module(dotted)
    except ImportError:
        return None


def switch(namespace: dict, compiled_name: str, public: tuple[str, ...]) -> ModuleType | None:
    """Keep the twin's public definitions as namespace['python_twin'], then rebind them to the
    compiled module's when it is built and allowed; returns that module or None. Also sets
    namespace['COMPILED'] (bool)."""
    namespace["python_twin"] = SimpleNamespace(__name__=f"{namespace['__name__']}.python_twin",
                                               **{name: namespace[name] for name in public})
    module = None if extensions_disabled() else _import_compiled(compiled_name)
    if module is not None:
        namespace.update({name: getattr(module, name) for name in public})
    namespace["COMPILED"] = module is not None
    return module


def implementations(twin: ModuleType, compiled_name: str) -> list:
    """The twin's definitions and, when built, the compiled module (whatever
    TSSTORE_NO_EXTENSIONS says): for the tests that run every case against both."""
    impls = [twin.python_twin]
    module = _import_compiled(compiled_name)
    if module is not None:
        impls.append(module)
    return impls

