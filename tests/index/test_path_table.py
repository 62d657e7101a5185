"""The metric tree table, compiled and pure-Python twin: the same nodes, flags, depths, paths
and component ids for the same names, and the same refusals."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tsstore import _ext
from tsstore.index import path_table
from tsstore.index.path_table import BRANCH, LEAF, MAX_DEPTH, PathTableError

IMPLS = _ext.implementations(path_table, "tsstore.index._path_table")
both = pytest.mark.parametrize("impl", IMPLS, ids=lambda m: m.__name__.rsplit(".", 1)[-1])

# names with empty components, non-ASCII and repeated prefixes: what tree_rows_of splits
component = st.sampled_from(["a", "b", "web01", "", "ü", "cpu", "x" * 40, "日本"])
names_st = st.lists(st.lists(component, min_size=1, max_size=5).map(".".join), max_size=40)


def test_compiled_module_is_built():
    assert len(IMPLS) == 2, "tsstore.index._path_table is not built: run python3 setup.py build_ext --inplace"
    assert path_table.COMPILED == (not _ext.extensions_disabled())


def _columns(table):
    return [table.parents().tolist(), table.components().tolist(), table.flags().tolist(), table.depths().tolist()]


@settings(max_examples=150, deadline=None)
@given(names_st, names_st, st.booleans())
def test_twins_agree_on_every_node_of_the_names(first, second, in_order):
    if in_order:  # as a store lists them: neighbours share branches, which the compiled table reuses
        first, second = sorted(first), sorted(second)
    twin, compiled = (impl.PathTable() for impl in IMPLS) if len(IMPLS) == 2 else (IMPLS[0].PathTable(),) * 2
    if not "\n".join(second):
        second = []  # an empty joined string is no names (not one empty name)
    for table in (twin, compiled):
        assert table.add(first) == table.node_count
        table.add_joined("\n".join(second))
    assert _columns(twin) == _columns(compiled)
    nodes = range(twin.node_count)
    assert twin.paths(nodes) == compiled.paths(nodes)
    # every name a leaf, every prefix of one (by components) a branch, each path once
    want = {}
    for name in first + second:
        parts = name.split(".")
        for depth in range(len(parts)):
            path = ".".join(parts[: depth + 1])
            want[path] = want.get(path, 0) | (LEAF if depth == len(parts) - 1 else BRANCH)
    paths = compiled.paths(nodes)
    assert len(set(paths)) == len(paths) and dict(zip(paths, compiled.flags().tolist())) == want
    assert compiled.depths().tolist() == [p.count(".") for p in paths]
    for text in {c for n in first + second for c in n.split(".")} | {"absent"}:
        assert twin.component_id(text) == compiled.component_id(text)
    ids = list(range(compiled.component_count))
    assert twin.component_texts(ids) == compiled.component_texts(ids)
    joined, starts = compiled.component_lines(ids[::-1])
    assert (joined, starts.tolist()) == (lambda j, s: (j, s.tolist()))(*twin.component_lines(ids[::-1]))
    assert [joined[s:].split("\n", 1)[0] for s in starts] == compiled.component_texts(ids[::-1])


@both
def test_child_finds_each_node_by_parent_and_name(impl):
    table = impl.PathTable()
    table.add(["servers.web01.cpu", "servers.db01.cpu"])
    servers = table.child(-1, table.component_id("servers"))
    web01 = table.child(servers, table.component_id("web01"))
    assert table.paths([web01]) == ["servers.web01"]
    assert table.flags()[web01] == BRANCH and table.flags()[table.child(web01, table.component_id("cpu"))] == LEAF
    assert table.child(web01, table.component_id("db01")) == -1
    assert table.child(10**6, 0) == -1 and table.child(-1, 10**6) == -1


@both
def test_a_path_that_is_a_leaf_and_a_branch_has_both_flags(impl):
    table = impl.PathTable()
    table.add(["a.b", "a.b.c"])
    assert dict(zip(table.paths(range(3)), table.flags().tolist())) == {"a": BRANCH, "a.b": LEAF | BRANCH, "a.b.c": LEAF}
    assert table.add(["a.b.c"]) == 0  # nothing new


@both
def test_cleared_flags_come_back_when_the_name_is_added_again(impl):
    table = impl.PathTable()
    table.add(["a.b", "a.b.c", "a.d"])
    ab = table.child(table.child(-1, table.component_id("a")), table.component_id("b"))
    table.clear_flags([ab], LEAF)
    table.clear_flags([ab + 1], LEAF)  # a.b.c
    assert dict(zip(table.paths(range(4)), table.flags().tolist())) == {"a": BRANCH, "a.b": BRANCH, "a.b.c": 0,
                                                                        "a.d": LEAF}
    assert table.add(["a.b.c", "a.b"]) == 0  # the nodes stay; their flags are set again
    assert dict(zip(table.paths(range(4)), table.flags().tolist())) == {"a": BRANCH, "a.b": LEAF | BRANCH,
                                                                        "a.b.c": LEAF, "a.d": LEAF}
    with pytest.raises(IndexError, match="node 4 out of range"):
        table.clear_flags([4], LEAF)


@both
def test_room_reserved_first_changes_nothing_added(impl):
    names = [f"dc{i % 3}.host{i:04d}.{m}" for i in range(500) for m in ("cpu", "mem")]
    plain, reserved = impl.PathTable(), impl.PathTable()
    reserved.reserve(5000)
    for table in (plain, reserved):
        table.add(names[:300])
        table.add_joined("\n".join(names[300:]))
    assert _columns(plain) == _columns(reserved)
    assert plain.paths(range(plain.node_count)) == reserved.paths(range(reserved.node_count))
    reserved.reserve(10)  # never shrinks
    assert reserved.child(-1, reserved.component_id("dc1")) == plain.child(-1, plain.component_id("dc1"))


@both
def test_refusals_name_the_problem(impl):
    table = impl.PathTable()
    with pytest.raises(PathTableError, match="more than 65535 components"):
        table.add([".".join(["x"] * (MAX_DEPTH + 1))])
    table.add(["a.b"])
    with pytest.raises(IndexError, match="node 2 out of range"):
        table.paths([2])
    with pytest.raises(IndexError, match="component id 5 out of range"):
        table.component_texts([5])


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 30), max_size=300), st.integers(31, 40))
def test_group_by_twins_agree(keys, key_count):
    keys = np.array(keys, np.int64)
    results = [impl.group_by(keys, key_count) for impl in IMPLS]
    for order, offsets in results:
        assert len(offsets) == key_count + 1
        assert order.dtype == offsets.dtype == np.int32  # 4 bytes a node in the path index's groupings
        for k in range(key_count):  # each key's positions, in position order
            assert order[offsets[k]:offsets[k + 1]].tolist() == np.flatnonzero(keys == k).tolist()
    for impl in IMPLS:
        with pytest.raises(ValueError, match=r"keys must be in \[0, 3\)"):
            impl.group_by(np.array([0, 3]), 3)
