"""The in-memory path index answers every glob as the tree walk over the store's tree rows
does (tsstore.index.globs.find_in_tree, the reference), over both node tables, whichever plan
it takes (level by level, or from a rare literal up), before and after nodes are added."""
import asyncio
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tsstore import _ext
from tsstore.index import globs, path_table, paths
from tsstore.index.paths import PathIndex
from tsstore.model import Node
from tsstore.store.base import tree_rows_of

TABLES = [impl.PathTable for impl in _ext.implementations(path_table, "tsstore.index._path_table")]
each_table = pytest.mark.parametrize("table", TABLES, ids=["twin", "compiled"][: len(TABLES)])


def reference_find(names: list[str], pattern: str) -> list[Node]:
    """find_in_tree over the rows the store writes for these names."""
    children: dict[str, dict[str, tuple[bool, bool]]] = {}
    for parent, child, leaf in tree_rows_of(names):
        was = children.setdefault(parent, {}).get(child, (False, False))
        children[parent][child] = (was[0] or leaf, was[1] or not leaf)

    async def children_many(parents):
        return [[Node((p + "." if p else "") + name, leaf, branch) for name, (leaf, branch) in sorted(children.get(p, {}).items())]
                for p in parents]

    return asyncio.run(globs.find_in_tree(children_many, pattern))


def reference_names(nodes: list[Node], leaves_only: bool) -> list[Node]:
    by_name: dict[str, tuple[bool, bool]] = {}
    for n in nodes:
        if n.is_leaf or not leaves_only:
            leaf, branch = by_name.get(n.name, (False, False))
            by_name[n.name] = (leaf or n.is_leaf, branch or n.is_branch)
    return sorted(Node(k, *v) for k, v in by_name.items())


# A tree like a fleet's: dc / service / host / group / metric, some paths both leaf and branch.
FLEET = ([f"dc{h % 4}.svc{h // 4 % 5}.host{h:04d}.{g}.{m}" for h in range(400) for g in ("cpu", "mem")
          for m in ("user", "system", "idle")]
         + ["dc1.svc1", "dc1.svc1.host0001.cpu", "dc0.svc0.host0000.cpu.user.max", "z", "a..b", "ü.ß"])
PATTERNS = [
    "*", "dc1.*", "dc1", "dc1.svc1", "dc1.svc1.*", "dc*.*.*.cpu.user", "*.svc3.host0013.mem.*",
    "*.*.*.*.idle", "*.*.host001[0-5].{cpu,mem}.[!s]*", "dc{1,2}.svc?.host000?.cpu", "*.*.host0001.cpu",
    "*.*.*.*.user.max", "*.*.*.*.*.*", "**", "dc0.**.user", "dc0.svc0.host0000.**", "a..b", "a.", "a.*", "ü.*",
    "nope.*", "*.nope", "*.*.*.{cpu,nope}.user", "dc1.svc1.host0001.cpu", "{dc1,z}", "*.*.*.cpu.us[!e]r",
]


@each_table
@pytest.mark.parametrize("pattern", PATTERNS)
def test_find_answers_as_the_tree_walk(table, pattern):
    index = PathIndex(table())
    index.add(FLEET)
    want = reference_find(FLEET, pattern)
    assert index.find(pattern) == want
    for leaves_only in (False, True):
        assert index.find_names(pattern, leaves_only) == reference_names(want, leaves_only)


@each_table
def test_a_rare_literal_deep_down_is_found_from_below(table, monkeypatch):
    """`*.*.*.*.user.max`: one node is named max; the level-by-level plan would look at every
    leaf first. Both plans must give the tree walk's answer (the shortcut is checked by its
    cost: it never lists the 7,200 candidates)."""
    index = PathIndex(table())
    index.add(FLEET)
    looked_at = []
    real_children_of = index._children_of
    monkeypatch.setattr(index, "_children_of", lambda frontier: looked_at.append(len(r := real_children_of(frontier))) or r)
    assert index.find("*.*.*.*.user.max") == reference_find(FLEET, "*.*.*.*.user.max")
    assert max(looked_at, default=0) < 1000, looked_at


@each_table
@pytest.mark.parametrize("regroup", [False, True])
def test_names_added_after_a_find_are_found(table, monkeypatch, regroup):
    """Nodes added after the index grouped its nodes are scanned as a tail, or regrouped."""
    monkeypatch.setattr(paths, "MIN_REGROUP", 10**9)  # no regroup in the background
    index = PathIndex(table())
    index.add(FLEET[:500])
    assert index.find("dc*.*.*.cpu.user") == reference_find(FLEET[:500], "dc*.*.*.cpu.user")
    index.add(FLEET[500:] + ["tagged.name;dc=1"])  # a tagged name is not in the tree
    if regroup:
        index.regroup()
    for pattern in PATTERNS:
        assert index.find(pattern) == reference_find(FLEET, pattern), pattern


def test_a_long_tail_is_regrouped_in_the_background(monkeypatch):
    monkeypatch.setattr(paths, "MIN_REGROUP", 0)
    index = PathIndex()
    index.add(FLEET[:100])
    index.find("*")
    grouped = index._children.size
    index.add(FLEET[100:])
    assert index.find("dc*.*.*.cpu.user") == reference_find(FLEET, "dc*.*.*.cpu.user")  # from the tail meanwhile
    deadline = time.monotonic() + 10
    while index._children.size == grouped and time.monotonic() < deadline:
        time.sleep(0.01)
    assert index._children.size == index.table.node_count > grouped
    assert index.find("*.*.*.*.idle") == reference_find(FLEET, "*.*.*.*.idle")


def test_a_bad_glob_is_refused_by_name():
    index = PathIndex()
    index.add(FLEET)
    with pytest.raises(globs.GlobError, match="reversed character range z-a"):
        index.find("dc1.[z-a]")
    with pytest.raises(globs.GlobError, match="more than 10000 alternatives"):
        index.find_names("x." + "{a,b,c,d,e,f,g,h,i,j,k}" * 4)


component = st.sampled_from(["a", "b", "ab", "web01", "web02", "x1", "", "ü"])
first_component = component.filter(bool)  # the store's tree rows cannot tell a leading empty component from the root
name_st = st.builds(lambda first, rest: ".".join([first, *rest]), first_component, st.lists(component, max_size=4))
element = st.one_of(component, st.sampled_from(["*", "?", "a*", "*b", "web0[12]", "web0[!1]", "{a,b}", "{web*,x?}", "[a-c]*", "**"]))


@settings(max_examples=200, deadline=None)
@given(st.lists(name_st, max_size=30), st.lists(element, min_size=1, max_size=5).map(".".join), st.booleans())
def test_any_glob_over_any_tree(names, pattern, compiled):
    index = PathIndex(TABLES[-1]() if compiled else TABLES[0]())
    index.add(names)
    want = reference_find(names, pattern)
    assert index.find(pattern) == want
    assert index.find_names(pattern, False) == reference_names(want, False)


@settings(max_examples=150, deadline=None)
@given(st.lists(name_st, max_size=30), st.lists(element, min_size=1, max_size=4).map(".".join))
def test_series_under_each_matched_node(names, pattern):
    index = PathIndex()
    index.add(names[: len(names) // 2])
    index.count_series("*")  # counted once: what is added next must be counted again
    index.add(names[len(names) // 2:])
    want = sorted(((n.path, sum(1 for s in set(names) if s == n.path or s.startswith(n.path + ".")))
                   for n in reference_find(names, pattern)), key=lambda pc: (-pc[1], pc[0]))
    assert index.count_series(pattern) == want


@settings(max_examples=200, deadline=None)
@given(st.lists(name_st, max_size=30), st.sets(st.integers(0, 29)), st.lists(element, min_size=1, max_size=5).map(".".join),
       st.booleans())
def test_after_removing_series_finds_answer_as_if_they_never_were(names, removed, pattern, compiled):
    index = PathIndex(TABLES[-1]() if compiled else TABLES[0]())
    index.add(names)
    index.find("*")  # grouped before the removal: the groupings keep the removed nodes
    gone = {names[i] for i in removed if i < len(names)}
    kept = [n for n in names if n not in gone]
    assert index.remove(sorted(gone) + ["never.added"]) == len(gone)
    want = reference_find(kept, pattern)
    assert index.find(pattern) == want
    assert index.find_names(pattern, False) == reference_names(want, False)
    assert index.count_series(pattern) == sorted(
        ((n.path, sum(1 for s in set(kept) if s == n.path or s.startswith(n.path + "."))) for n in want),
        key=lambda pc: (-pc[1], pc[0]))
    index.add(sorted(gone))  # added again: found again
    assert index.find(pattern) == reference_find(names, pattern)


@each_table
def test_a_leaf_whose_children_are_removed_is_no_branch(table):
    index = PathIndex(table())
    index.add(["a", "a.b", "a.c.d"])
    index.remove(["a.b", "a.c.d"])
    assert index.find("*") == [Node("a", True, False)]
    assert index.find("a.*") == []
