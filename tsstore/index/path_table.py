"""The metric tree as a table of nodes: every path component of every dotted name once, as
(parent node, component id), with leaf and branch flags, and the component texts interned.

This is the pure-Python twin: it defines the behaviour. ext/path_table.pyx is the compiled
one (the public name switches to it at the end of this module): flat int32 columns, open-
addressing hash indexes over them (no Python object per node or per component), and a bulk
load that runs without the GIL. tsstore.index.paths matches globs over these columns with
numpy.

Rules, as the store's own tree (tsstore.store.base.tree_rows_of): a name is split on every
'.', so 'a..b' has an empty middle component; every prefix of a name is a branch and the
name itself a leaf; a path can be both. Nodes are only ever added: node ids are dense, and a
child's id is always greater than its parent's (a deleted series clears its flags instead).
The root is not a node: parent -1.
"""
from __future__ import annotations

import numpy as np

from tsstore import _ext

LEAF = 1
BRANCH = 2
MAX_DEPTH = 65535  # depths are uint16


class PathTableError(ValueError):
    """A name the table cannot hold (deeper than MAX_DEPTH components)."""


class PathTable:
    def __init__(self):
        self._parent: list[int] = []
        self._comp: list[int] = []
        self._flags: list[int] = []
        self._depth: list[int] = []
        self._node_of: dict[tuple[int, int], int] = {}
        self._texts: list[str] = []
        self._comp_of: dict[str, int] = {}

    @property
    def node_count(self) -> int:
        return len(self._parent)

    @property
    def component_count(self) -> int:
        return len(self._texts)

    def add(self, names: list[str]) -> int:
        """Add every node of these names; returns how many nodes were new."""
        before = len(self._parent)
        for name in names:
            self._add_name(name)
        return len(self._parent) - before

    def add_joined(self, joined: str) -> int:
        """add() of the names in one string, separated by '\\n' (a store's bulk read)."""
        return self.add(joined.split("\n")) if joined else 0

    def _add_name(self, name: str) -> None:
        parts = name.split(".")
        if len(parts) > MAX_DEPTH:
            raise PathTableError(f"{name[:100]!r}...: more than {MAX_DEPTH} components")
        parent = -1
        for depth, part in enumerate(parts):
            comp = self._intern(part)
            node = self._node_of.get((parent, comp))
            if node is None:
                node = len(self._parent)
                self._node_of[(parent, comp)] = node
                self._parent.append(parent)
                self._comp.append(comp)
                self._flags.append(0)
                self._depth.append(depth)
            self._flags[node] |= LEAF if depth == len(parts) - 1 else BRANCH
            parent = node

    def _intern(self, text: str) -> int:
        comp = self._comp_of.get(text)
        if comp is None:
            comp = self._comp_of[text] = len(self._texts)
            self._texts.append(text)
        return comp

    def reserve(self, nodes: int) -> None:
        """Room for about `nodes` nodes without growing as they are added (a build that knows
        how many series it reads: the compiled table's columns and hash index would otherwise
        be copied and rehashed at every doubling). The twin grows as it goes."""

    def clear_flags(self, nodes, bits: int) -> None:
        """Clear flag bits of these nodes (a deleted series' leaf, a branch left empty); the
        nodes stay, and adding a name under them again sets the flags again."""
        for node in nodes:
            if not 0 <= int(node) < len(self._flags):
                raise IndexError(f"node {int(node)} out of range")
            self._flags[int(node)] &= ~bits & 0xFF

    # -- columns (numpy, one entry per node; read-only by convention) --------------
    def parents(self) -> np.ndarray:
        return np.array(self._parent, np.int32)

    def components(self) -> np.ndarray:
        return np.array(self._comp, np.int32)

    def flags(self) -> np.ndarray:
        return np.array(self._flags, np.uint8)

    def depths(self) -> np.ndarray:
        return np.array(self._depth, np.uint16)

    # -- lookups -------------------------------------------------------------------
    def component_id(self, text: str) -> int:
        """The id of a component text, -1 when no node has it."""
        return self._comp_of.get(text, -1)

    def component_texts(self, ids) -> list[str]:
        out = []
        for i in ids:
            if not 0 <= int(i) < len(self._texts):
                raise IndexError(f"component id {int(i)} out of range")
            out.append(self._texts[int(i)])
        return out

    def component_lines(self, ids) -> tuple[str, np.ndarray]:
        """The texts of these components joined by '\n', and where each starts (in
        characters): one string for a regex to scan (tsstore.index.globs.lines_matcher)."""
        texts = self.component_texts(ids)
        lengths = np.fromiter((len(t) + 1 for t in texts), np.int64, len(texts))
        return "\n".join(texts), (np.cumsum(lengths) - lengths).astype(np.int64)

    def child(self, parent: int, comp: int) -> int:
        """The node (parent, comp), -1 when absent."""
        return self._node_of.get((int(parent), int(comp)), -1)

    def paths(self, nodes) -> list[str]:
        """The dotted path of each node."""
        out = []
        for node in nodes:
            node, parts = int(node), []
            if not 0 <= node < len(self._parent):
                raise IndexError(f"node {node} out of range")
            while node >= 0:
                parts.append(self._texts[self._comp[node]])
                node = self._parent[node]
            out.append(".".join(reversed(parts)))
        return out

    def text_bytes(self) -> int:
        """UTF-8 bytes of the distinct component texts (the names' own bytes, each once)."""
        return sum(len(t.encode()) for t in self._texts)

    def memory_bytes(self) -> int:
        """What the table's own structures take (the twin's is only an estimate)."""
        import sys

        return (sys.getsizeof(self._parent) * 4 + sys.getsizeof(self._node_of)
                + sum(sys.getsizeof(t) for t in self._texts) + sys.getsizeof(self._comp_of))


def group_by(keys: np.ndarray, key_count: int) -> tuple[np.ndarray, np.ndarray]:
    """(order, offsets): the positions of keys (ints in [0, key_count)) grouped by key, in
    position order within a key, and where each key's group starts (key_count + 1 entries;
    both int32).
    The compiled one is a counting sort."""
    keys = np.asarray(keys)
    if len(keys) and not (0 <= keys.min() and keys.max() < key_count):
        raise ValueError(f"group_by: keys must be in [0, {key_count})")
    if len(keys) > np.iinfo(np.int32).max:
        raise ValueError(f"group_by: {len(keys)} keys, past the 2**31 positions it groups")
    order = np.argsort(keys, kind="stable").astype(np.int32)
    offsets = np.zeros(key_count + 1, np.int32)  # positions are int32 (order): so are their bounds
    np.cumsum(np.bincount(keys, minlength=key_count), out=offsets[1:])
    return order, offsets


def positions_of_ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """starts[0] .. starts[0] + lengths[0] - 1, then the same for each range, concatenated:
    the positions of many slices in one array (numpy, no loop per slice)."""
    total = int(lengths.sum())
    return np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(total)


# Last: the compiled module imports PathTableError and the flags from this one.
compiled = _ext.switch(globals(), "tsstore.index._path_table", ("PathTable", "group_by"))
