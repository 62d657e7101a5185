"""Choose between a compiled extension and its pure-Python twin.

Every module built from ext/*.pyx has a twin in tsstore/_<name>_py.py with the same
behaviour. The compiled module is used when it imports; TSSTORE_NO_EXTENSIONS=1 forces
the twins (the tests run every case against both).
"""
import importlib
import os
from types import ModuleType


def extensions_disabled() -> bool:
    return os.environ.get("TSSTORE_NO_EXTENSIONS", "") not in ("", "0")


def load(name: str) -> ModuleType:
    """Return tsstore._<name> if built and allowed, else tsstore._<name>_py."""
    if not extensions_disabled():
        try:
            return importlib.import_module(f"tsstore._{name}")
        except ImportError:
            pass
    return importlib.import_module(f"tsstore._{name}_py")


def both(name: str) -> list[ModuleType]:
    """The twin and, when built, the compiled module: for tests that run both."""
    mods = [importlib.import_module(f"tsstore._{name}_py")]
    try:
        mods.append(importlib.import_module(f"tsstore._{name}"))
    except ImportError:
        pass
    return mods
