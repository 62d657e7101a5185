"""The restricted pickle decoder of the carbon pickle port: carbon data in every protocol,
malformed elements skipped, and hostile frames refused without running anything."""
import os
import pickle
import struct

import pytest
from hypothesis import given, settings, strategies as st

from tsstore.ingest import pickle_decoder
from tsstore.ingest.pickle_decoder import BadPickleError, UnsafePickleError, decode_frame

POINTS = [("servers.web01.cpu.user", (1_700_000_000, 12.5)),
          ("servers.web02.cpu.user", (1_700_000_010, -3)),
          ("disk.used;dc=x;rack=a1", (1_700_000_020.5, 10**12)),
          ("métrique.ü", (-1, float("inf"))),
          ("servers.web01.cpu.user", (1_700_000_030, 0.1))]
EXPECTED = [(p, float(t), float(v)) for p, (t, v) in POINTS]


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_carbon_data_in_every_protocol(protocol):
    assert decode_frame(pickle.dumps(POINTS, protocol=protocol)) == (EXPECTED, 0)


def test_shared_tuples_and_strings_through_the_memo():
    name, point = "shared.name", (1, 2.0)
    frame = pickle.dumps([(name, point), (name, point), (name, point)], protocol=2)
    assert b"h" in frame  # BINGET: the pickler refers back to the memo
    assert decode_frame(frame) == ([("shared.name", 1.0, 2.0)] * 3, 0)


def test_python2_pickles_with_byte_string_paths():
    # what a Python 2 sender writes: str is a byte string (STRING/BINSTRING), protocol 0 and 2
    proto0 = b"(lp0\n(S'a.b'\np1\n(I1700000000\nF1.5\ntp2\ntp3\na(S'c.d'\np4\n(L1700000010L\nI7\ntp5\ntp6\na."
    assert decode_frame(proto0) == ([("a.b", 1700000000.0, 1.5), ("c.d", 1700000010.0, 7.0)], 0)
    utf8_name = "zähler".encode()
    proto2 = (b"\x80\x02]q\x00(U" + bytes([len(utf8_name)]) + utf8_name + b"q\x01J\x00\xf1SeG?\xf8\x00\x00\x00\x00\x00\x00"
              b"\x86q\x02\x86q\x03T\x03\x00\x00\x00x.yq\x04K\x05K\x06\x86q\x05\x86q\x06e.")
    assert decode_frame(proto2) == ([("zähler", 1700000000.0, 1.5), ("x.y", 5.0, 6.0)], 0)


def test_bytes_paths_are_utf8_and_bad_ones_are_skipped():
    frame = pickle.dumps([(b"a.b", (1, 2)), ("c".encode(), (3, 4)), (b"bad\xff", (5, 6)), ("é".encode(), (7, 8))], protocol=3)
    assert decode_frame(frame) == ([("a.b", 1.0, 2.0), ("c", 3.0, 4.0), ("é", 7.0, 8.0)], 1)


def test_elements_that_do_not_unpack_are_skipped_one_by_one():
    elements = [
        ("ok.1", (1, 2)),
        ("short", (1,)),
        ("long", (1, 2, 3)),
        ("flat", 1),
        5,
        None,
        ("word", ("x", 1)),  # float() refuses 'x'
        (7, (1, 2)),  # the path is not text
        ("huge", (10**400, 1)),  # float() overflows
        ("none", (None, 1)),
        ["ok.2", [3, 4]],  # lists unpack as well as tuples, as in carbon
        ("ok.3", ("5", b"6.5")),  # numbers as text, as float() takes them
        ("ok.4", (True, 1.5)),
        ("ok.5", "78"),  # as in carbon, a two-character string unpacks into its characters
    ]
    items, skipped = decode_frame(pickle.dumps(elements, protocol=3))
    assert items == [("ok.1", 1.0, 2.0), ("ok.2", 3.0, 4.0), ("ok.3", 5.0, 6.5), ("ok.4", 1.0, 1.5), ("ok.5", 7.0, 8.0)]
    assert skipped == 9


def test_a_tuple_of_points_is_accepted_too():
    assert decode_frame(pickle.dumps(tuple(POINTS), protocol=2)) == (EXPECTED, 0)


def test_empty_list():
    assert decode_frame(pickle.dumps([], protocol=2)) == ([], 0)


def test_bytes_after_stop_are_ignored_like_pickle_loads():
    assert decode_frame(pickle.dumps(POINTS, protocol=2) + b"garbage") == (EXPECTED, 0)


@pytest.mark.parametrize("obj", [42, "a.b", None, 1.5])
def test_a_frame_that_is_not_a_list_is_refused(obj):
    with pytest.raises(BadPickleError, match="not a list"):
        decode_frame(pickle.dumps(obj, protocol=2))


# ---- hostile frames ------------------------------------------------------------------------


class RunsACommand:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_os_system_through_reduce_is_refused_before_anything_runs(protocol, tmp_path):
    marker = tmp_path / "ran"
    frame = pickle.dumps([("a.b", (1, 2.0)), RunsACommand(marker)], protocol=protocol)
    with pytest.raises(UnsafePickleError, match="GLOBAL"):
        decode_frame(frame)
    assert not marker.exists()
    pickle.loads(frame)  # the same frame through the stock loader does run the command:
    assert marker.exists()  # the test's payload is live


def _string(text: bytes) -> bytes:
    return b"\x8c" + bytes([len(text)]) + text


GLOBAL_OS_SYSTEM = b"cos\nsystem\n"
STACK_GLOBAL_OS_SYSTEM = _string(b"os") + _string(b"system") + b"\x93"


@pytest.mark.parametrize("opcode, body", [
    ("GLOBAL", b"\x80\x02" + GLOBAL_OS_SYSTEM + _string(b"true") + b"\x85R."),
    ("STACK_GLOBAL", b"\x80\x04" + STACK_GLOBAL_OS_SYSTEM + _string(b"true") + b"\x85R."),
    ("REDUCE", b"\x80\x02]" + _string(b"x") + b"\x85R."),  # even with no global before it
    ("BUILD", b"\x80\x02])b."),
    ("INST", b"(S'true'\nios\nsystem\n."),
    ("OBJ", b"\x80\x02(]" + _string(b"true") + b"o."),  # each opcode on its own, no global before it
    ("NEWOBJ", b"\x80\x02])\x81."),
    ("NEWOBJ_EX", b"\x80\x04]))\x92."),
    ("EXT1", b"\x80\x02\x82\x01."),
    ("EXT2", b"\x80\x02\x83\x01\x00."),
    ("EXT4", b"\x80\x02\x84\x01\x00\x00\x00."),
    ("PERSID", b"Pkey\n."),
    ("BINPERSID", b"\x80\x02" + _string(b"key") + b"Q."),
    ("GLOBAL", b"\x80\x02]q\x00(" + _string(b"a") + b"K\x01K\x02\x86\x86e" + GLOBAL_OS_SYSTEM + b"0."),  # at the end
])
def test_every_code_running_opcode_is_refused(opcode, body):
    with pytest.raises(UnsafePickleError) as err:
        decode_frame(body)
    assert opcode in str(err.value)


def test_the_loader_refuses_globals_even_if_the_opcode_walk_were_skipped(monkeypatch, tmp_path):
    marker = tmp_path / "ran"
    monkeypatch.setattr(pickle_decoder, "_check", lambda *args: None)
    for protocol in (0, 2, 4):
        with pytest.raises(UnsafePickleError, match="os.system|posix.system|nt.system"):
            decode_frame(pickle.dumps([RunsACommand(marker)], protocol=protocol))
    with pytest.raises(UnsafePickleError, match="persistent"):
        decode_frame(b"\x80\x02" + _string(b"key") + b"Q.")
    assert not marker.exists()


@pytest.mark.parametrize("body, problem", [
    (b"\x80\x04\x8f.", "EMPTY_SET"),
    (b"\x80\x04](\x8c\x01a\x90.", "ADDITEMS"),
    (b"\x80\x04(\x8c\x01a\x91.", "FROZENSET"),
    (b"\x80\x05\x96\x01\x00\x00\x00\x00\x00\x00\x00x.", "BYTEARRAY8"),
    (b"\x80\x05\x97.", "NEXT_BUFFER"),
    (b"\x80\x02]2.", "DUP"),
    (b"\x80\x02]\xff.", "unknown opcode"),
    (b"\x80\x09].", "protocol 9"),
])
def test_opcodes_that_are_not_carbon_data_are_refused(body, problem):
    with pytest.raises(BadPickleError, match=problem):
        decode_frame(body)


def nested_lists(depth: int) -> bytes:
    """[[[...]]] nested `depth` deep, as EMPTY_LIST ... APPEND opcodes."""
    return b"\x80\x02" + b"]" * depth + b"a" * (depth - 1) + b"."


def test_deep_nesting_is_refused():
    with pytest.raises(BadPickleError, match="nesting deeper than 8"):
        decode_frame(nested_lists(100_000))
    with pytest.raises(BadPickleError, match="nesting deeper"):
        decode_frame(b"\x80\x02]" + b"K\x01" + b"\x85" * 50 + b"a.")  # tuples via TUPLE1
    with pytest.raises(BadPickleError, match="nesting deeper"):
        decode_frame(b"(" * 50 + b"l" * 50 + b".")  # protocol 0 lists via MARK ... LIST


def test_depth_limit_is_exact():
    # [[[...]]] eight deep is allowed; its one element does not unpack as a point
    assert decode_frame(nested_lists(8), max_depth=8) == ([], 1)
    with pytest.raises(BadPickleError, match="nesting deeper than 8"):
        decode_frame(nested_lists(9), max_depth=8)
    frame = pickle.dumps(POINTS, protocol=2)  # carbon data: list > tuple > tuple
    assert decode_frame(frame, max_depth=3) == (EXPECTED, 0)
    with pytest.raises(BadPickleError, match="nesting deeper than 2"):
        decode_frame(frame, max_depth=2)


def test_a_list_fetched_back_from_the_memo_is_refused():
    loop = []
    loop.append(loop)
    with pytest.raises(BadPickleError, match="memo reference back to a list"):
        decode_frame(pickle.dumps(loop, protocol=2))
    inner = []
    with pytest.raises(BadPickleError, match="memo reference back to a list"):
        decode_frame(pickle.dumps([inner, inner], protocol=2))


def test_element_count_is_bounded():
    frame = pickle.dumps([(f"a{i}", (i, 2)) for i in range(200)], protocol=2)  # 1001 objects
    assert len(decode_frame(frame, max_elements=1001)[0]) == 200
    with pytest.raises(BadPickleError, match="more than 100 objects"):
        decode_frame(frame, max_elements=100)
    many = b"\x80\x02](" + b"N" * 2_000_000 + b"e."
    with pytest.raises(BadPickleError, match="more than 1000000 objects"):
        decode_frame(many, max_size=4 << 20)


def test_frame_size_is_bounded():
    frame = pickle.dumps([(f"{'x' * 100}{i}", (i, 2)) for i in range(11_000)], protocol=2)
    assert len(frame) > 1 << 20
    with pytest.raises(BadPickleError, match="over the 1048576 byte limit"):
        decode_frame(frame)
    assert len(decode_frame(frame, max_size=2 << 20)[0]) == 11_000
    with pytest.raises(BadPickleError, match="over the 100 byte limit"):
        decode_frame(pickle.dumps(POINTS, protocol=2), max_size=100)


@pytest.mark.parametrize("body, problem", [
    (b"\x80\x04\x8d" + struct.pack("<Q", 2**62) + b"abc.", "runs past the end"),  # BINUNICODE8 claims 4 EiB
    (b"\x80\x03B" + struct.pack("<I", 2**32 - 1) + b"abc.", "runs past the end"),  # BINBYTES
    (b"\x80\x02T" + struct.pack("<i", -5) + b"abc.", "runs past the end"),  # BINSTRING, negative length
    (b"\x80\x02\x8b" + struct.pack("<i", 2**31 - 1) + b"\x01.", "runs past the end"),  # LONG4
    (b"\x80\x04\x95" + struct.pack("<Q", 2**60) + b"].", "frame length"),  # FRAME
    (b"\x80\x02]r" + struct.pack("<I", 2**31) + b".", "memo index 2147483648 out of range"),  # LONG_BINPUT
    (b"(lp99999999999\n.", "out of range"),  # PUT in protocol 0
    (b"\x80\x02]h\x05.", "never stored"),  # BINGET of nothing
    (b"\x80\x02]", "truncated"),
    (b"", "empty"),
    (b"\x80\x02e.", "no MARK"),
    (b"\x80\x02K\x01K\x02a.", "it fills a scalar"),
    (b"\x80\x02)K\x01a.", "it fills a tuple"),
    (b"\x80\x02](K\x01u.", "not part of carbon data .opcode SETITEMS"),
    (b"\x80\x02\x86.", "too few items"),
    (b"\x80\x02(K\x01\x86.", "too few items"),  # cannot reach below a MARK
    (b"\x80\x02.", "the stack is empty"),
    (b"\x80\x02q\x00.", "nothing to store"),
    (b"(I12x\nl.", "unreadable pickle"),
    (b"(I" + b"9" * 10000 + b"\nl.", "unreadable pickle"),  # a 10000-digit int: int() refuses it
])
def test_malformed_frames_are_refused_with_a_clear_message(body, problem):
    with pytest.raises(BadPickleError, match=problem):
        decode_frame(body)


@pytest.mark.parametrize("protocol", [0, 2, 4])
def test_every_truncation_of_a_frame_is_refused(protocol):
    frame = pickle.dumps(POINTS, protocol=protocol)
    for cut in range(len(frame)):
        with pytest.raises(BadPickleError):
            decode_frame(frame[:cut])


@given(st.binary(max_size=200))
@settings(deadline=None)
def test_random_bytes_never_escape_as_anything_but_a_refusal(data):
    try:
        items, skipped = decode_frame(data)
    except (BadPickleError, UnsafePickleError):
        return
    assert all(isinstance(p, str) and isinstance(t, float) and isinstance(v, float) for p, t, v in items)


@given(st.integers(0, 2**32), st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), min_size=1, max_size=4),
       st.sampled_from([0, 1, 2, 3, 4, 5]))
@settings(deadline=None)
def test_mutated_frames_never_escape_as_anything_but_a_refusal(seed, flips, protocol):
    frame = bytearray(pickle.dumps(POINTS, protocol=protocol))
    for position, value in flips:
        frame[position % len(frame)] = value
    try:
        items, _ = decode_frame(bytes(frame))
    except (BadPickleError, UnsafePickleError):
        return
    assert all(isinstance(p, str) and isinstance(t, float) and isinstance(v, float) for p, t, v in items)


def test_errors_are_value_errors_with_clear_names():
    assert issubclass(BadPickleError, ValueError) and issubclass(UnsafePickleError, ValueError)


@pytest.mark.parametrize("obj", [{"a.b": (1, 2)}, [("a.b", (1, 2)), {}], [("a.b", {1: 2})]])
def test_a_dict_anywhere_refuses_the_frame(obj):
    with pytest.raises(BadPickleError, match="not part of carbon data .opcode (EMPTY_DICT|DICT)"):
        decode_frame(pickle.dumps(obj, protocol=2))


def test_a_frame_of_colliding_dict_keys_is_refused_before_it_is_built():
    """Ints that are equal modulo 2**61 - 1 hash alike: building a dict of 80,000 of them
    costs quadratic time (a 27 s stall of the loop once). It is refused at its first opcode."""
    keys = b"".join(b"\x8a\x0b" + (i * (2**61 - 1)).to_bytes(11, "little", signed=True) + b"K\x00" for i in range(1, 80_000))
    frame = b"\x80\x02]((U\x03a.b(K\x01K\x02tt}(" + keys + b"ue."  # [('a.b', (1, 2)), {colliding keys}]
    with pytest.raises(BadPickleError, match="EMPTY_DICT"):
        decode_frame(frame, max_size=len(frame))
