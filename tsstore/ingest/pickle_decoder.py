"""Carbon pickle frames (port 2004), decoded by a restricted, data-only decoder.

A frame is a pickled list of ``(path, (timestamp, value))``. Decoding happens in two steps:

1. Every opcode of the frame is checked before anything is loaded, while the stack is
   followed abstractly (each entry is only its kind and nesting depth). Opcodes that could
   import or call (GLOBAL, STACK_GLOBAL, REDUCE, BUILD, INST, OBJ, NEWOBJ, NEWOBJ_EX, EXT1/2/4,
   PERSID, BINPERSID) refuse the whole frame with UnsafePickleError. Anything else that is not
   plain data of the allowed kinds (dicts, whose colliding keys would cost quadratic time
   to build; sets, bytearrays, out-of-band buffers, DUP, unknown bytes,
   truncated arguments, memo indices out of range, a memo reference back to a list,
   more objects or deeper nesting than allowed) refuses it with BadPickleError.
2. Only then the frame is loaded by the C unpickler, subclassed so that find_class and
   persistent_load refuse too (a second lock on the same door).

A list fetched back from the memo could be filled after it was nested elsewhere
(or nested in itself), which would defeat the depth bound; carbon data never does that, so
it is refused. Tuples are immutable, so their depth is known when they are built.

Each element then unpacks as carbon unpacks it, ``path, (timestamp, value) = element``
(so lists work as well as tuples and, as in carbon, a two-character string in place of the
(timestamp, value) pair unpacks into its two characters);
an element that does not, a path that is neither str nor UTF-8 bytes, or a timestamp or
value that float() refuses, is skipped and counted. Byte strings of Python 2 senders
(STRING/BINSTRING) arrive as bytes and are decoded as UTF-8. Python 3 bytes pickled with
protocol 0-2 need a GLOBAL (codecs.encode) and are refused; protocol 3+ has BINBYTES. NaN
values, -1 timestamps, tags and so on are the caller's business, as for plaintext lines.

Bounds (parameters of decode_frame): max_size, the frame length (carbon's 1 MiB);
max_depth, the container nesting (carbon data is 3 deep); max_elements, the objects the frame
creates, every value and container counted.
"""
from __future__ import annotations

import io
import pickle
import struct

MAX_FRAME = 1 << 20  # carbon's PICKLE_RECEIVER_MAX_LENGTH
MAX_DEPTH = 8  # carbon data is 3 deep: list > tuple > tuple
MAX_ELEMENTS = 1_000_000  # objects a frame may create (every value and container)


class BadPickleError(ValueError):
    """The frame is not a readable pickle of plain carbon data."""


class UnsafePickleError(ValueError):
    """The frame asks to import or call something: refused before loading."""


# Opcode actions of the abstract run (the frequent ones of carbon frames have their own).
(_BINPUT, _MEMOIZE, _TUPLE2, _PUSH_FIXED, _PUSH_LEN1, _PUSH_LEN4, _PUSH_LEN4_SIGNED, _PUSH_LEN8, _PUSH_LINE,
 _EMPTY_TUPLE, _EMPTY_LIST, _TUPLE_N, _MARK, _TUPLE_MARK, _LIST_MARK, _APPEND,
 _APPENDS, _PUT_LINE, _LONG_BINPUT, _GET_LINE, _GET_INDEX, _POP, _POP_MARK, _PROTO,
 _FRAME, _STOP, _UNSAFE, _NOT_DATA, _UNKNOWN) = range(29)

_ACTION: list = [_UNKNOWN] * 256
_ARG: list = [0] * 256  # fixed argument size, tuple size or index size
_NAME: list = [""] * 256

for _code, _name, _action, _arg in [
    (b"J", "BININT", _PUSH_FIXED, 4), (b"K", "BININT1", _PUSH_FIXED, 1), (b"M", "BININT2", _PUSH_FIXED, 2),
    (b"G", "BINFLOAT", _PUSH_FIXED, 8), (b"N", "NONE", _PUSH_FIXED, 0), (b"\x88", "NEWTRUE", _PUSH_FIXED, 0),
    (b"\x89", "NEWFALSE", _PUSH_FIXED, 0),
    (b"\x8c", "SHORT_BINUNICODE", _PUSH_LEN1, 0), (b"C", "SHORT_BINBYTES", _PUSH_LEN1, 0),
    (b"U", "SHORT_BINSTRING", _PUSH_LEN1, 0), (b"\x8a", "LONG1", _PUSH_LEN1, 0),
    (b"X", "BINUNICODE", _PUSH_LEN4, 0), (b"B", "BINBYTES", _PUSH_LEN4, 0),
    (b"T", "BINSTRING", _PUSH_LEN4_SIGNED, 0), (b"\x8b", "LONG4", _PUSH_LEN4_SIGNED, 0),
    (b"\x8d", "BINUNICODE8", _PUSH_LEN8, 0), (b"\x8e", "BINBYTES8", _PUSH_LEN8, 0),
    (b"I", "INT", _PUSH_LINE, 0), (b"L", "LONG", _PUSH_LINE, 0), (b"F", "FLOAT", _PUSH_LINE, 0),
    (b"S", "STRING", _PUSH_LINE, 0), (b"V", "UNICODE", _PUSH_LINE, 0),
    (b")", "EMPTY_TUPLE", _EMPTY_TUPLE, 0), (b"]", "EMPTY_LIST", _EMPTY_LIST, 0),
    (b"\x85", "TUPLE1", _TUPLE_N, 1), (b"\x86", "TUPLE2", _TUPLE2, 2), (b"\x87", "TUPLE3", _TUPLE_N, 3),
    (b"(", "MARK", _MARK, 0), (b"t", "TUPLE", _TUPLE_MARK, 0), (b"l", "LIST", _LIST_MARK, 0),
    (b"a", "APPEND", _APPEND, 1), (b"e", "APPENDS", _APPENDS, 0),
    (b"p", "PUT", _PUT_LINE, 0), (b"q", "BINPUT", _BINPUT, 1), (b"r", "LONG_BINPUT", _LONG_BINPUT, 4),
    (b"\x94", "MEMOIZE", _MEMOIZE, 0),
    (b"g", "GET", _GET_LINE, 0), (b"h", "BINGET", _GET_INDEX, 1), (b"j", "LONG_BINGET", _GET_INDEX, 4),
    (b"0", "POP", _POP, 0), (b"1", "POP_MARK", _POP_MARK, 0),
    (b"\x80", "PROTO", _PROTO, 1), (b"\x95", "FRAME", _FRAME, 8), (b".", "STOP", _STOP, 0),
    # import or call something
    (b"c", "GLOBAL", _UNSAFE, 0), (b"\x93", "STACK_GLOBAL", _UNSAFE, 0), (b"R", "REDUCE", _UNSAFE, 0),
    (b"b", "BUILD", _UNSAFE, 0), (b"i", "INST", _UNSAFE, 0), (b"o", "OBJ", _UNSAFE, 0),
    (b"\x81", "NEWOBJ", _UNSAFE, 0), (b"\x92", "NEWOBJ_EX", _UNSAFE, 0), (b"\x82", "EXT1", _UNSAFE, 0),
    (b"\x83", "EXT2", _UNSAFE, 0), (b"\x84", "EXT4", _UNSAFE, 0), (b"P", "PERSID", _UNSAFE, 0),
    (b"Q", "BINPERSID", _UNSAFE, 0),
    # harmless but never part of carbon data
    # dicts too: keys whose hashes collide (ints, floats, tuples) make building one quadratic
    (b"}", "EMPTY_DICT", _NOT_DATA, 0), (b"d", "DICT", _NOT_DATA, 0), (b"s", "SETITEM", _NOT_DATA, 0),
    (b"u", "SETITEMS", _NOT_DATA, 0),
    (b"2", "DUP", _NOT_DATA, 0), (b"\x8f", "EMPTY_SET", _NOT_DATA, 0), (b"\x90", "ADDITEMS", _NOT_DATA, 0),
    (b"\x91", "FROZENSET", _NOT_DATA, 0), (b"\x96", "BYTEARRAY8", _NOT_DATA, 0),
    (b"\x97", "NEXT_BUFFER", _NOT_DATA, 0), (b"\x98", "READONLY_BUFFER", _NOT_DATA, 0),
]:
    _ACTION[_code[0]], _ARG[_code[0]], _NAME[_code[0]] = _action, _arg, _name

# Abstract stack entries are ints: depth << 2 | kind (a scalar is 0).
_SCALAR, _TUPLE, _LIST = 0, 1, 2
_KIND_NAME = {_SCALAR: "a scalar", _TUPLE: "a tuple", _LIST: "a list"}
_ONE_LEVEL = 1 << 2


def _check(payload: bytes, max_depth: int, max_elements: int) -> None:
    """Walk the opcodes of `payload`; raise unless it is plain carbon data within the bounds."""
    data = payload
    n = len(data)
    pos = 0
    op = 0
    stack: list[int] = []
    marks: list[int] = []
    floor = 0  # stack length at the innermost MARK: opcodes may not reach below it
    memo: dict[int, int] = {}
    created = 0
    too_deep = (max_depth + 1) << 2  # entries at or above this are nested too deeply
    unpack_from = struct.unpack_from
    actions, args = _ACTION, _ARG

    def bad(message: str) -> BadPickleError:
        return BadPickleError(f"{message} (opcode {_NAME[op] or hex(op)} at byte {pos})")

    def nest(kind: int, items: list[int]) -> int:
        entry = ((max(items) >> 2) + 1 << 2 | kind) if items else _ONE_LEVEL | kind
        if entry >= too_deep:
            raise bad(f"nesting deeper than {max_depth} levels")
        return entry

    try:
        while True:
            op = data[pos]
            action = actions[op]
            pos += 1
            # the frequent opcodes of carbon frames come first
            if action == _BINPUT or action == _MEMOIZE:
                if len(stack) <= floor:
                    raise bad("nothing to store in the memo")
                if action == _BINPUT:
                    memo[data[pos]] = stack[-1]
                    pos += 1
                else:
                    memo[len(memo)] = stack[-1]
            elif action == _PUSH_FIXED:
                pos += args[op]
                stack.append(0)
                created += 1
            elif action == _TUPLE2:
                if len(stack) - floor < 2:
                    raise bad("too few items on the stack")
                b = stack.pop()
                a = stack[-1]
                entry = ((a if a > b else b) >> 2) + 1 << 2 | _TUPLE
                if entry >= too_deep:
                    raise bad(f"nesting deeper than {max_depth} levels")
                stack[-1] = entry
                created += 1
            elif action == _PUSH_LEN1:
                pos += 1 + data[pos]
                stack.append(0)
                created += 1
            elif action == _PUSH_LEN4 or action == _PUSH_LEN4_SIGNED or action == _PUSH_LEN8:
                size = 8 if action == _PUSH_LEN8 else 4
                length = unpack_from("<q" if size == 8 else "<i" if action == _PUSH_LEN4_SIGNED else "<I", data, pos)[0]
                if length < 0 or pos + size + length > n:
                    raise bad(f"a length of {length} bytes runs past the end of the frame")
                pos += size + length
                stack.append(0)
                created += 1
            elif action == _APPENDS:
                if not marks:
                    raise bad("no MARK before it")
                mark = marks.pop()
                floor = marks[-1] if marks else 0
                items = stack[mark:]
                del stack[mark:]
                if len(stack) <= floor:
                    raise bad("no container to fill")
                target = stack[-1]
                if target & 3 != _LIST:
                    raise bad(f"it fills {_KIND_NAME[target & 3]}")
                if items:
                    items.append(target - _ONE_LEVEL)
                    stack[-1] = nest(_LIST, items)
            elif action == _MARK:
                marks.append(len(stack))
                floor = len(stack)
            elif action == _EMPTY_LIST or action == _EMPTY_TUPLE:
                stack.append(_ONE_LEVEL | (_LIST if action == _EMPTY_LIST else _TUPLE))
                created += 1
            elif action == _TUPLE_N:
                size = args[op]
                if len(stack) - floor < size:
                    raise bad("too few items on the stack")
                items = stack[-size:]
                del stack[-size:]
                stack.append(nest(_TUPLE, items))
                created += 1
            elif action == _PUSH_LINE:
                end = data.index(b"\n", pos)
                pos = end + 1
                stack.append(0)
                created += 1
            elif action == _TUPLE_MARK or action == _LIST_MARK:
                if not marks:
                    raise bad("no MARK before it")
                mark = marks.pop()
                floor = marks[-1] if marks else 0
                items = stack[mark:]
                del stack[mark:]
                stack.append(nest(_TUPLE if action == _TUPLE_MARK else _LIST, items))
                created += 1
            elif action == _APPEND:
                size = args[op]
                if len(stack) - floor < size + 1:
                    raise bad("too few items on the stack")
                items = stack[-size:]
                del stack[-size:]
                target = stack[-1]
                if target & 3 != _LIST:
                    raise bad(f"it fills {_KIND_NAME[target & 3]}")
                items.append(target - _ONE_LEVEL)
                stack[-1] = nest(_LIST, items)
            elif action == _LONG_BINPUT or action == _PUT_LINE:
                if action == _PUT_LINE:
                    end = data.index(b"\n", pos)
                    index = int(data[pos:end])
                    pos = end + 1
                else:
                    index = unpack_from("<I", data, pos)[0]
                    pos += 4
                if not 0 <= index <= n:
                    raise bad(f"memo index {index} out of range")
                if len(stack) <= floor:
                    raise bad("nothing to store in the memo")
                memo[index] = stack[-1]
            elif action == _GET_INDEX or action == _GET_LINE:
                if action == _GET_LINE:
                    end = data.index(b"\n", pos)
                    index = int(data[pos:end])
                    pos = end + 1
                else:
                    index = unpack_from("<B" if args[op] == 1 else "<I", data, pos)[0]
                    pos += args[op]
                entry = memo.get(index)
                if entry is None:
                    raise bad(f"memo index {index} was never stored")
                if entry & 3 == _LIST:
                    raise bad("a memo reference back to a list (not plain carbon data)")
                stack.append(entry)
            elif action == _POP:
                if len(stack) <= floor:
                    raise bad("the stack is empty")
                stack.pop()
            elif action == _POP_MARK:
                if not marks:
                    raise bad("no MARK before it")
                del stack[marks.pop():]
                floor = marks[-1] if marks else 0
            elif action == _PROTO:
                if data[pos] > pickle.HIGHEST_PROTOCOL:
                    raise bad(f"unsupported pickle protocol {data[pos]}")
                pos += 1
            elif action == _FRAME:
                if unpack_from("<Q", data, pos)[0] > n - pos - 8:
                    raise bad("the frame length runs past the end of the data")
                pos += 8
            elif action == _STOP:
                if len(stack) <= floor:
                    raise bad("the stack is empty")
                if stack[-1] & 3 not in (_LIST, _TUPLE):
                    raise bad(f"the frame holds {_KIND_NAME[stack[-1] & 3]}, not a list of (path, (timestamp, value))")
                return
            elif action == _UNSAFE:
                raise UnsafePickleError(
                    f"pickle opcode {_NAME[op]} at byte {pos - 1} would import or call code: only plain data is accepted")
            elif action == _NOT_DATA:
                raise bad("not part of carbon data")
            else:
                raise bad("unknown opcode")
            if created > max_elements:
                raise bad(f"more than {max_elements} objects")
    except (IndexError, struct.error):
        raise bad("truncated pickle") from None
    except ValueError as exc:  # int() of a bad memo index, or no newline after a text argument
        if isinstance(exc, (BadPickleError, UnsafePickleError)):
            raise
        raise bad("bad text argument") from None


class _DataOnlyUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        raise UnsafePickleError(f"pickle refers to {module}.{name}: only plain data is accepted")

    def persistent_load(self, pid):
        raise UnsafePickleError("pickle uses persistent ids: only plain data is accepted")


def decode_frame(payload: bytes, max_size: int = MAX_FRAME, max_depth: int = MAX_DEPTH,
                 max_elements: int = MAX_ELEMENTS) -> tuple[list[tuple[str, float, float]], int]:
    """([(path, timestamp, value)], number of elements skipped as malformed) of one frame.

    Raises UnsafePickleError or BadPickleError (both ValueError) for a frame that is refused
    as a whole; nothing in it has been executed.
    """
    payload = bytes(payload)
    if not payload:
        raise BadPickleError("empty pickle frame")
    if len(payload) > max_size:
        raise BadPickleError(f"pickle frame of {len(payload)} bytes is over the {max_size} byte limit")
    _check(payload, max_depth, max_elements)
    try:
        data = _DataOnlyUnpickler(io.BytesIO(payload), encoding="bytes").load()
    except UnsafePickleError:
        raise
    except Exception as exc:  # a frame that passed the walk can still hold e.g. an unhashable dict key
        raise BadPickleError(f"unreadable pickle: {type(exc).__name__}: {exc}") from None
    items: list[tuple[str, float, float]] = []
    skipped = 0
    append = items.append
    for element in data:
        try:
            path, (timestamp, value) = element
            if type(path) is not str:
                if not isinstance(path, bytes):
                    skipped += 1
                    continue
                path = path.decode("utf-8")
            append((path, float(timestamp), float(value)))
        except (TypeError, ValueError, OverflowError):  # UnicodeDecodeError is a ValueError
            skipped += 1
    return items, skipped
