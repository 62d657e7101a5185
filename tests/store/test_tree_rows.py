"""tree_rows_of: the rows of many paths, each branch once, are exactly the union of each
path's own rows (what the tree would hold if every series were created alone)."""
from hypothesis import given, strategies as st

from tsstore.store.base import tree_rows_of


def tree_rows(name: str) -> list[tuple[str, str, bool]]:
    """The reference: (parent, child, is_leaf) for every level of one path."""
    parts = name.split(".")
    return [(".".join(parts[:i]), part, i == len(parts) - 1) for i, part in enumerate(parts)]

def paths(components):
    return st.lists(st.lists(st.sampled_from(components), min_size=1, max_size=5).map(".".join), max_size=30)


@given(paths(["a", "b", "web01", "cpu", ""]))  # empty components too: '..' is still a path
def test_rows_of_many_paths_are_the_union_of_each_paths_rows(names):
    rows = tree_rows_of(names)
    assert set(rows) == {row for name in names for row in tree_rows(name)}
    assert len([r for r in rows if r[2]]) == len(names), "one leaf row per series"


@given(paths(["a", "b", "web01", "cpu"]))
def test_each_branch_row_comes_once(names):
    branches = [r for r in tree_rows_of(names) if not r[2]]
    assert len(branches) == len(set(branches))


def test_the_rows_of_one_path():
    assert tree_rows_of(["a.b.c"]) == [("a.b", "c", True), ("a", "b", False), ("", "a", False)]


def test_a_deep_batch_under_one_branch_writes_that_branch_once():
    rows = tree_rows_of([f"servers.web{i:02d}.cpu" for i in range(50)])
    assert rows.count(("", "servers", False)) == 1
    assert len(rows) == 50 + 50 + 1  # 50 leaves, 50 hosts, the root's child
