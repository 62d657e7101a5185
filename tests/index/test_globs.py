"""Graphite glob semantics over a real path tree (embedded store)."""
import re

import pytest

from tsstore.index import globs
from tsstore.index.globs import expand_braces, match_component


@pytest.mark.parametrize(
    "pattern, expected",
    [
        ("a.{b,c}", ["a.b", "a.c"]),
        ("a.{b,c{1,2}}.d", ["a.b.d", "a.c1.d", "a.c2.d"]),
        ("{,x}y", ["y", "xy"]),
        ("plain", ["plain"]),
    ],
)
def test_expand_braces(pattern, expected):
    assert globs.expand_braces(pattern) == expected


@pytest.mark.parametrize(
    "component, names, expected",
    [
        ("web*", ["web01", "web02", "db01"], ["web01", "web02"]),
        ("web?1", ["web01", "web1", "web11"], ["web01", "web11"]),
        ("web[0-1]1", ["web01", "web11", "web21"], ["web01", "web11"]),
        ("web[!0]1", ["web01", "web11"], ["web11"]),
        ("[^a]", ["^", "a", "b"], ["^", "a"]),  # '^' is not negation in fnmatch
        ("*", [".hidden", "shown"], ["shown"]),
        ("Web*", ["web01"], []),  # case-sensitive
        ("{web,db}0[12]", ["web01", "db02", "db03"], ["web01", "db02"]),
    ],
)
def test_match_component(component, names, expected):
    assert globs.match_component(component, names) == expected


SERIES = ["servers.web01.cpu.user", "servers.web01.cpu.system", "servers.web02.cpu.user", "servers.db01.disk.used", "servers.web01"]


@pytest.mark.parametrize(
    "pattern, expected",
    [
        ("servers.*", ["servers.db01", "servers.web01", "servers.web02"]),
        ("servers.web*.cpu.user", ["servers.web01.cpu.user", "servers.web02.cpu.user"]),
        ("servers.{web01,db01}.*", ["servers.db01.disk", "servers.web01.cpu"]),
        ("servers.*.*.used", ["servers.db01.disk.used"]),
        ("servers.web0[2-9].cpu.*", ["servers.web02.cpu.user"]),
        ("servers.**.user", ["servers.web01.cpu.user", "servers.web02.cpu.user"]),
        ("nothing.*", []),
    ],
)
async def test_find_walks_the_tree(store, pattern, expected):
    assert [n.path for n in await store.find(pattern)] == expected


async def test_a_node_can_be_leaf_and_branch(store):
    (node,) = await store.find("servers.web01")
    assert node.is_leaf and node.is_branch


def test_brace_expansion_is_linear_and_bounded():
    from tsstore.index.globs import MAX_ALTERNATIVES, GlobError, alternatives_bound

    thirteen = "{a,b}" * 13  # 8192 alternatives, all distinct
    assert len(set(expand_braces(thirteen))) == len(expand_braces(thirteen)) == 2**13
    assert expand_braces("{a,a}" * 13) == ["a" * 13]  # duplicates dropped, not 8192 copies
    assert alternatives_bound("{a,b{c,d}}") == 4 and len(expand_braces("{a,b{c,d}}")) == 3
    with pytest.raises(GlobError, match=f"more than {MAX_ALTERNATIVES} alternatives"):
        expand_braces("{a,b}" * 20)  # 2^20: refused before anything is expanded


def test_many_literal_alternatives_match_by_lookup():
    names = [f"host{i:05d}" for i in range(20_000)]
    pattern = "{" + ",".join(f"host{i:05d}" for i in range(0, 20_000, 3)) + "}"
    assert match_component(pattern, names) == names[::3]


@pytest.mark.parametrize("pattern, problem", [
    ("a[z-a]", "reversed character range z-a in [z-a]"),
    ("servers.web[!9-0]", "reversed character range 9-0 in [9-0]"),
    ("nothing.here[b-a]", "reversed character range b-a"),  # refused even where no level matches above it
    ("servers.{web,db}[a-cz-b]", "reversed character range z-b in [a-cz-b]"),
])
async def test_a_reversed_range_is_a_glob_error_naming_the_pattern(store, pattern, problem):
    with pytest.raises(globs.GlobError, match=re.escape(f"glob {pattern!r}: {problem}")):
        await store.find(pattern)


@pytest.mark.parametrize("pattern", ["servers.web0[-1]", "servers.web0[1-]", "servers.web0[]1]", "servers.web0[1-1]"])
async def test_a_dash_first_or_last_and_a_one_character_range_are_fine(store, pattern):
    assert [n.path for n in await store.find(pattern)] == ["servers.web01"]
