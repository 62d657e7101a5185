"""Carbon pickle frames, decoded with a restricted decoder.

A frame is a pickled list of `(path, (timestamp, value))`. Before anything is loaded every
opcode is checked against an allow-list of pure data opcodes; anything that could import
or call (GLOBAL, STACK_GLOBAL, REDUCE, BUILD, INST, OBJ, NEWOBJ*, EXT*, PERSID*) refuses
the whole frame. The loader itself also refuses globals and persistent ids, and the frame
size, nesting depth and element count are bounded.
"""
from __future__ import annotations

import io
import pickle
import pickletools

MAX_FRAME = 1 << 20
MAX_DEPTH = 16
MAX_ELEMENTS = 500_000

ALLOWED = {
    "PROTO", "FRAME", "STOP", "MARK", "POP", "POP_MARK", "DUP",
    "EMPTY_LIST", "LIST", "APPEND", "APPENDS", "EMPTY_TUPLE", "TUPLE", "TUPLE1", "TUPLE2", "TUPLE3",
    "EMPTY_DICT", "DICT", "SETITEM", "SETITEMS", "EMPTY_SET", "ADDITEMS", "FROZENSET",
    "GET", "BINGET", "LONG_BINGET", "PUT", "BINPUT", "LONG_BINPUT", "MEMOIZE",
    "STRING", "BINSTRING", "SHORT_BINSTRING", "UNICODE", "BINUNICODE", "SHORT_BINUNICODE", "BINUNICODE8",
    "BINBYTES", "SHORT_BINBYTES", "BINBYTES8", "BYTEARRAY8",
    "INT", "BININT", "BININT1", "BININT2", "LONG", "LONG1", "LONG4", "FLOAT", "BINFLOAT",
    "NONE", "NEWTRUE", "NEWFALSE",
}
_OPENERS = {"MARK", "EMPTY_LIST", "EMPTY_TUPLE", "EMPTY_DICT", "EMPTY_SET"}


class BadPickleError(ValueError):
    """The frame is not a readable pickle of carbon data."""


class UnsafePickleError(ValueError):
    """The frame asks to import or call something: refused before loading."""


class _DataOnlyUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        raise UnsafePickleError(f"pickle refers to {module}.{name}: only plain data is accepted")

    def persistent_load(self, pid):
        raise UnsafePickleError("pickle uses persistent ids: only plain data is accepted")


def _check_opcodes(payload: bytes) -> None:
    depth = count = 0
    try:
        for op, _, _ in pickletools.genops(payload):
            name = op.name
            if name not in ALLOWED:
                raise UnsafePickleError(f"pickle opcode {name} is not allowed: only plain data is accepted")
            if name in _OPENERS:
                depth += 1
                if depth > MAX_DEPTH * 4:
                    raise BadPickleError(f"pickle nests deeper than {MAX_DEPTH} levels")
            count += 1
            if count > MAX_ELEMENTS * 8:
                raise BadPickleError(f"pickle has more than {MAX_ELEMENTS} elements")
    except ValueError as exc:
        if isinstance(exc, (UnsafePickleError, BadPickleError)):
            raise
        raise BadPickleError(f"corrupt pickle: {exc}") from None


def decode_frame(payload: bytes, max_size: int = MAX_FRAME) -> tuple[list[tuple[str, float, float]], int]:
    """[(path, timestamp, value)] of a frame, and how many elements were skipped as malformed."""
    if len(payload) > max_size:
        raise BadPickleError(f"pickle frame of {len(payload)} bytes is over the {max_size} byte limit")
    _check_opcodes(payload)
    try:
        data = _DataOnlyUnpickler(io.BytesIO(payload)).load()
    except (UnsafePickleError, BadPickleError):
        raise
    except RecursionError:
        raise BadPickleError("pickle nests too deeply") from None
    except Exception as exc:  # any unpickling failure is a bad frame, never a crash
        raise BadPickleError(f"corrupt pickle: {type(exc).__name__}: {exc}") from None
    if not isinstance(data, (list, tuple)):
        raise BadPickleError(f"pickle holds a {type(data).__name__}, not a list of (path, (timestamp, value))")
    if len(data) > MAX_ELEMENTS:
        raise BadPickleError(f"pickle has {len(data)} elements, over the limit of {MAX_ELEMENTS}")
    items, skipped = [], 0
    for element in data:
        try:
            path, (timestamp, value) = element
            if isinstance(path, bytes):
                path = path.decode("utf-8")
            if not isinstance(path, str):
                raise TypeError("path is not a string")
            items.append((path, float(timestamp), float(value)))
        except (TypeError, ValueError, UnicodeDecodeError):
            skipped += 1
    return items, skipped
