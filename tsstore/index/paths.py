"""The path index: /metrics/find and the glob expansion of /render answered from memory.

Over the node table (tsstore.index.path_table) it keeps two groupings, rebuilt with one
stable numpy sort each: nodes by parent (children of a set of nodes in one gather) and nodes
by component (every node with a given name). A glob is matched level by level from the
root, with numpy over the candidate nodes of a level; when a later component is a literal
that fewer nodes have than the next level's candidates (a leading wildcard, or
`*.*.*.cpu.user`), it starts from that literal's nodes instead and checks their ancestors
against the components above (graphite-clickhouse's reversed index and go-carbon's trie,
in one plan). A component other than '*' or a literal is matched as a regex once per
distinct name among the candidates, not once per node.

Nodes added since the last grouping (the tail) are scanned with numpy until they are many
enough to regroup. The store stays the source of truth: the index is built from it and
catches up with the names the store created since (tsstore.store.base
Store.tree_names_after): before every find on the embedded store, so a series created by
the ingest process is found at once in every HTTP process; on Cassandra beside the finds,
at most every tree_poll_seconds (StoreSync.fresh), with an exact path not found looked for
again once caught up, and the creating process's own new series added as it creates them.
"""
from __future__ import annotations

import asyncio
import logging
import threading
import time

import numpy as np

from tsstore.index import globs
from tsstore.index.path_table import BRANCH, LEAF, PathTable, group_by, positions_of_ranges
from tsstore.index.store_sync import StoreSync, on_this_loop
from tsstore.model import Node

log = logging.getLogger(__name__)

# Regroup when the tail passes this many nodes or an eighth of the grouped ones.
MIN_REGROUP = 65_536
# How many names one catch-up or build step reads from the store.
CHUNK_NAMES = 200_000
# Nodes a build makes room for per series the store says it holds (a fleet's tree has about
# 1.4: the hosts and groups above the leaves); more are added as they come.
NODES_PER_SERIES = 1.5
# While a find waits for a catch-up for an exact path it lacks, the ingest process is asked this
# often whether it created the series meanwhile (a local request, answered from memory).
PENDING_POLL_S = 0.01


class _Grouping:
    """Node ids ordered by a key column, with offsets: the nodes of key k are
    order[offsets[k]:offsets[k + 1]]. Covers nodes [0, size)."""

    def __init__(self, keys: np.ndarray, key_count: int):
        self.size = len(keys)
        self.order, self.offsets = group_by(keys, key_count)

    def count(self, key: int) -> int:
        return int(self.offsets[key + 1] - self.offsets[key]) if 0 <= key < len(self.offsets) - 1 else 0

    def members(self, keys: np.ndarray) -> np.ndarray:
        """The node ids of every key in keys, concatenated (keys past the grouping: none)."""
        keys = keys[keys < len(self.offsets) - 1]
        starts = self.offsets[keys]
        return self.order[positions_of_ranges(starts, self.offsets[keys + 1] - starts)]


class PathIndex:
    """find() over an in-memory copy of a store's metric tree (thread-safe: one lock)."""

    def __init__(self, table: PathTable | None = None):
        self.table = table if table is not None else PathTable()
        self._lock = threading.Lock()
        self._children: _Grouping | None = None  # keyed by parent + 1 (0 = the root)
        self._named: _Grouping | None = None  # keyed by component id
        self._regrouping = False
        self._counts: np.ndarray | None = None  # series under each node (count_series)

    # -- adding ----------------------------------------------------------------------
    def add(self, names) -> int:
        with self._lock:
            self._counts = None
            return self.table.add([n for n in names if ";" not in n])

    def add_joined(self, joined: str) -> int:
        """Names separated by '\\n', none of them tagged (a store's bulk read)."""
        with self._lock:
            self._counts = None  # a name can make a branch a leaf too without a new node
            return self.table.add_joined(joined)

    def remove(self, names) -> int:
        """Deleted series: their leaves stop being leaves, and every branch left without a
        leaf under it stops being a branch (finds no longer list them). Returns how many
        leaves were removed."""
        with self._lock:
            leaves = [node for node in map(self._node_of_path, names) if node >= 0]
            flags = self.table.flags()
            leaves = [node for node in leaves if flags[node] & LEAF]
            if not leaves:
                return 0
            self.table.clear_flags(leaves, LEAF)
            self._counts = None
            flags = self.table.flags()
            below = self._series_under() - (flags & LEAF)  # series under a node, itself not counted
            self.table.clear_flags(np.flatnonzero((below == 0) & ((flags & BRANCH) != 0)).tolist(), BRANCH)
            self._counts = None  # counted with the flags before
            return len(leaves)

    def _node_of_path(self, path: str) -> int:
        """The node of a dotted path, -1 when the table has none."""
        node = -1
        for part in path.split("."):
            comp = self.table.component_id(part)
            node = self.table.child(node, comp) if comp >= 0 else -1
            if node < 0:
                return -1
        return node

    # -- finding ---------------------------------------------------------------------
    def find(self, pattern: str) -> list[Node]:
        """The nodes matching a Graphite glob, sorted by path (as tsstore.index.globs'
        find_in_tree over the store's tree would give). GlobError for a bad pattern."""
        globs.check_pattern(pattern)
        comps = globs.split_components(pattern)
        with self._lock:
            if "**" in comps:
                nodes = self._find_descendants(comps)
            else:
                nodes = self._match(comps)
            return self._nodes(nodes)

    def find_names(self, pattern: str, leaves_only: bool = False) -> list[Node]:
        """The distinct last names of find(pattern)'s nodes, sorted, each a Node whose path is
        the name, a leaf or a branch if any matched node of that name is one (graphite-web's
        treejson lists a name once, a branch if it is one anywhere). With leaves_only, only
        the leaves' names. Without making a path per match: `*.*.*.cpu.user` over a million
        hosts is one name."""
        globs.check_pattern(pattern)
        comps = globs.split_components(pattern)
        with self._lock:
            nodes = self._find_descendants(comps) if "**" in comps else self._match(comps)
            flags = self.table.flags()[nodes]
            if leaves_only:
                nodes, flags = nodes[(flags & LEAF) != 0], flags[(flags & LEAF) != 0]
            comps_of = self.table.components()[nodes]
            count = self.table.component_count
            leaf = np.bincount(comps_of[(flags & LEAF) != 0], minlength=count) > 0
            branch = np.bincount(comps_of[(flags & BRANCH) != 0], minlength=count) > 0
            distinct = np.flatnonzero(leaf | branch)
            texts = self.table.component_texts(distinct.tolist())
        return sorted(Node(t, lf, br) for t, lf, br in zip(texts, leaf[distinct].tolist(), branch[distinct].tolist()))

    def _nodes(self, ids: np.ndarray) -> list[Node]:
        if len(ids) == 0:
            return []
        ids = np.unique(ids)
        flags = self.table.flags()[ids]
        leaf, branch = ((flags & LEAF) != 0).tolist(), ((flags & BRANCH) != 0).tolist()
        paths = self.table.paths(ids.tolist())
        order = sorted(range(len(paths)), key=paths.__getitem__)
        return [Node(paths[i], leaf[i], branch[i]) for i in order]

    def _groupings(self) -> tuple[_Grouping, _Grouping]:
        """The current groupings (the caller holds the lock). The first are made here; later
        ones in a thread of their own once the tail is long, while finds go on scanning it
        (a regroup at 10M nodes takes about a second)."""
        if self._children is None:
            self._children, self._named = self._grouped(*self._snapshot())
        elif (self.table.node_count - self._children.size > max(MIN_REGROUP, self._children.size // 8)
              and not self._regrouping):
            self._regrouping = True
            threading.Thread(target=self.regroup, name="path-index-regroup", daemon=True).start()
        return self._children, self._named

    def _snapshot(self) -> tuple[np.ndarray, np.ndarray, int]:
        # views: nodes are only appended, so the first n rows never change (a grown column is
        # a new array; these keep the old one)
        return self.table.parents(), self.table.components(), self.table.component_count

    @staticmethod
    def _grouped(parents: np.ndarray, comps: np.ndarray, comp_count: int) -> tuple[_Grouping, _Grouping]:
        return _Grouping(parents.astype(np.int64) + 1, len(parents) + 1), _Grouping(comps, comp_count)

    def regroup(self) -> None:
        """Group every node now held, without holding up finds meanwhile."""
        try:
            with self._lock:
                snapshot = self._snapshot()
            groupings = self._grouped(*snapshot)
            with self._lock:
                self._children, self._named = groupings
        finally:
            self._regrouping = False

    def _children_of(self, frontier: np.ndarray) -> np.ndarray:
        """Every child of the frontier's nodes (-1: the root)."""
        children, _ = self._groupings()
        found = children.members(frontier.astype(np.int64) + 1)
        tail = self.table.parents()[children.size:]
        if len(tail):
            found = np.concatenate([found, (children.size + np.flatnonzero(self._member(tail, frontier))).astype(np.int32)])
        return found

    def _named_nodes(self, comp: int) -> np.ndarray:
        _, named = self._groupings()
        found = named.members(np.array([comp], np.int64))
        tail = self.table.components()[named.size:]
        if len(tail):
            found = np.concatenate([found, (named.size + np.flatnonzero(tail == comp)).astype(np.int32)])
        return found

    def _literals(self, component: str) -> list[int] | None:
        """The component ids a wildcard-free element (braces allowed) matches; None when it
        has wildcards."""
        alternatives = globs.expand_braces(component)
        if any(globs.has_magic(a) for a in alternatives):
            return None
        ids = (self.table.component_id(a) for a in alternatives)
        return [i for i in ids if i >= 0]

    def _matching(self, component: str, nodes: np.ndarray) -> np.ndarray:
        """The nodes whose own name matches one pattern element."""
        if component == "*" or len(nodes) == 0:
            return nodes
        comps = self.table.components()[nodes]
        literal = self._literals(component)
        if literal is not None:
            return nodes[comps == literal[0]] if len(literal) == 1 else nodes[np.isin(comps, literal)]
        seen = np.zeros(self.table.component_count, bool)
        seen[comps] = True
        distinct = np.flatnonzero(seen)
        joined, starts = self.table.component_lines(distinct)
        matcher = globs.lines_matcher(tuple(globs.expand_braces(component)))
        hits = np.fromiter((m.start() for m in matcher.finditer(joined)), np.int64)
        matched = np.zeros(self.table.component_count, bool)
        matched[distinct[np.searchsorted(starts, hits)]] = True
        return nodes[matched[comps]]

    def _cheapest_literal(self, comps: list[str], level: int) -> tuple[int, int, list[int]] | None:
        """(position, how many nodes carry it, its component ids) of the literal component at
        or after `level` that is cheapest to start from: fewest nodes per level it skips (a
        walk down lists at least the next level's candidates at every level until it);
        None when there is none."""
        best, best_cost = None, None
        _, named = self._groupings()
        for position in range(level, len(comps)):
            literal = self._literals(comps[position]) if comps[position] != "*" else None
            if literal is None:
                continue
            count = sum(named.count(c) for c in literal)
            cost = count / (position - level + 1)
            if best is None or cost < best_cost:
                best, best_cost = (position, count, literal), cost
        return best

    def _match(self, comps: list[str]) -> np.ndarray:
        last = len(comps) - 1
        frontier = np.array([-1], np.int32)  # the root
        level = 0
        while level <= last:
            children, _ = self._groupings()
            keys = frontier[frontier + 1 < len(children.offsets) - 1].astype(np.int64) + 1
            expected = int((children.offsets[keys + 1] - children.offsets[keys]).sum())
            shortcut = self._cheapest_literal(comps, level)
            # from the literal up when it is rarer than the next level, or when only '*' is
            # above it (then the walk down would list every node above each of its nodes)
            if shortcut is not None and (shortcut[1] * 2 < expected * (shortcut[0] - level + 1)
                                         or all(c == "*" for c in comps[:shortcut[0]])):
                frontier = self._from_literal(comps, level, frontier, *shortcut)
                level = shortcut[0]
            else:
                frontier = self._matching(comps[level], self._children_of(frontier))
            if level < last:
                frontier = frontier[(self.table.flags()[frontier] & BRANCH) != 0]
            if len(frontier) == 0:
                break
            level += 1
        return frontier[self.table.flags()[frontier] != 0]  # a deleted series' node has no flags left

    def _from_literal(self, comps: list[str], level: int, frontier: np.ndarray, position: int, count: int,
                      literal: list[int]) -> np.ndarray:
        """The nodes at depth `position` named by the literal there whose ancestors match
        comps[level:position] and descend from the frontier (the nodes matched at level - 1)."""
        nodes = np.concatenate([self._named_nodes(c) for c in literal]) if literal else np.zeros(0, np.int32)
        nodes = nodes[self.table.depths()[nodes] == position]
        parents = self.table.parents()
        ancestors = nodes
        for depth in range(position - 1, level - 1, -1):
            ancestors = parents[ancestors]
            if comps[depth] != "*":
                keep = self._member(ancestors, self._matching(comps[depth], ancestors))
                nodes, ancestors = nodes[keep], ancestors[keep]
        if all(c == "*" for c in comps[:level]):  # the frontier is every branch at its depth
            return nodes
        return nodes[self._member(parents[ancestors], frontier)]

    def _member(self, nodes: np.ndarray, of: np.ndarray) -> np.ndarray:
        """nodes in `of`, as a mask: a bitmap over node ids (np.isin sorts both)."""
        bitmap = np.zeros(self.table.node_count + 1, bool)  # + 1: the root (-1) in the last place
        bitmap[of] = True
        return bitmap[nodes]

    def _find_descendants(self, comps: list[str]) -> np.ndarray:
        """A pattern with '**': every node under the prefix before it, matched by path."""
        first = comps.index("**")
        if first:
            prefix = self._match(comps[:first])
            prefix = prefix[(self.table.flags()[prefix] & BRANCH) != 0]
        else:
            prefix = np.array([-1], np.int32)  # the root
        found, frontier = [], prefix
        while len(frontier):
            frontier = self._children_of(frontier)
            found.append(frontier)
        if not found:
            return np.zeros(0, np.int32)
        nodes = np.concatenate(found)
        nodes = nodes[self.table.flags()[nodes] != 0]  # a deleted series' node has no flags left
        paths = self.table.paths(nodes.tolist())
        keep = [globs.match_path(".".join(comps), p) for p in paths]
        return nodes[np.array(keep, bool)]

    def count_series(self, pattern: str) -> list[tuple[str, int]]:
        """(path, series under it) of every node the glob matches, most series first, then
        by path: the cardinality of each subtree (a leaf counts itself)."""
        globs.check_pattern(pattern)
        comps = globs.split_components(pattern)
        with self._lock:
            nodes = np.unique(self._find_descendants(comps) if "**" in comps else self._match(comps))
            counts = self._series_under()[nodes]
            paths = self.table.paths(nodes.tolist())
        return sorted(zip(paths, counts.tolist()), key=lambda pc: (-pc[1], pc[0]))

    def _series_under(self) -> np.ndarray:
        """Leaves under each node (itself included), for every node: summed from the deepest
        level up, one bincount per level; kept until nodes are added."""
        n = self.table.node_count
        if self._counts is None:
            counts = (self.table.flags() & LEAF).astype(np.int64)
            parents, depths = self.table.parents(), self.table.depths()
            order, offsets = group_by(depths, int(depths.max()) + 1 if n else 1)
            for depth in range(len(offsets) - 2, 0, -1):
                level = order[offsets[depth]:offsets[depth + 1]]
                counts += np.bincount(parents[level], weights=counts[level], minlength=n).astype(np.int64)
            self._counts = counts
        return self._counts

    def memory_bytes(self) -> int:
        """The table's structures and the two groupings."""
        groups = sum(g.order.nbytes + g.offsets.nbytes for g in (self._children, self._named) if g is not None)
        return self.table.memory_bytes() + groups


class StoreTreeIndex(StoreSync):
    """A PathIndex kept equal to a store's tree: built from the store in the background
    (finds go to the store's own tree walk until it is ready), then caught up before each
    find with what the store (any process) created since. For stores that list their names
    (Store.tree_names_after: the embedded store by id, Cassandra by shard then from its
    series_log); None from for_store() for the others."""

    what, reads = "path index", "the store's names"

    def __init__(self, store):
        super().__init__(store)
        self.index = PathIndex()
        self._deleted_cursor = None  # the store's deletion log position (Store.deletions_after)

    def _created_here(self, names: list[str]) -> None:
        """Series this process just created go into the index at once: the next catch-up may
        be a whole poll interval away, and a new series' first point would not be found until
        then. The catch-up adds them again (no change)."""
        joined = "\n".join(names)
        if ";" in joined:  # tagged names are not paths (rare in a burst: one join, no test per name)
            joined = "\n".join(name for name in names if ";" not in name)
        if self.ready and joined:  # while building, the build's catch-up reads them
            with self._catch_up_lock:
                self.index.add_joined(joined)
            self._note_changed()

    @classmethod
    def for_store(cls, store) -> "StoreTreeIndex | None":
        return cls(store) if getattr(store, "lists_tree_names", False) else None

    async def _build(self) -> None:
        t0 = last_log = time.monotonic()
        names = 0
        if getattr(self._store, "keeps_deletion_log", False):  # before the names: a deletion meanwhile is seen
            self._deleted_cursor = await self._store.deletion_cursor()
        expected = await self._store.series_count_estimate()
        if expected:
            self.index.table.reserve(int(expected * NODES_PER_SERIES))
        loop = asyncio.get_running_loop()
        reading = asyncio.ensure_future(self._store.tree_names_after(self._cursor, CHUNK_NAMES))
        while True:
            joined, count, cursor = await reading
            done = count == 0 or cursor == self._cursor  # nothing newer (a store may repeat its latest names)
            if not done:  # the store reads the next chunk while this one is added (without the GIL)
                reading = asyncio.ensure_future(self._store.tree_names_after(cursor, CHUNK_NAMES))
            await loop.run_in_executor(None, self.index.add_joined, joined)
            if done:
                break
            self._cursor, names = cursor, names + count
            if time.monotonic() - last_log > 5:
                last_log = time.monotonic()
                log.info("path index: %d names read from the store so far", names)
        if self._deleted_cursor is not None:  # a name the store's log listed may be deleted since
            await self._remove_deleted()
        await loop.run_in_executor(None, self.index.regroup)  # before the first find, not in it
        self.ready = True
        elapsed = self.build_seconds = time.monotonic() - t0
        log.info("path index ready: %d names, %d nodes, %.1f MB, built in %.2fs (%.0f names/s)", names,
                 self.index.table.node_count, self.index.memory_bytes() / 1e6, elapsed, names / max(elapsed, 1e-9))

    async def catch_up(self, now: bool = False) -> None:
        """Add what the store created since the last look (one indexed query when nothing is
        new), and remove what it deleted; at most every tree_poll_seconds the store asks for,
        unless `now` (this process just deleted series)."""
        if not self._catch_up_due() and not now:
            return
        await self._add_pending()  # first: a local request, where the store's may wait behind a flush
        await self._add_created()
        if self._deleted_cursor is not None:
            await self._remove_deleted()

    async def _add_pending(self) -> None:
        if self._pending_names is not None and (joined := await self._pending_names()):
            with self._catch_up_lock:
                self.index.add_joined(joined)
            self._note_changed()

    async def _remove_deleted(self) -> None:
        """Remove the series the store's deletion log names since the last look, unless the
        store has them again (created anew since: the log and the names are read apart)."""
        while True:
            cursor = self._deleted_cursor
            gone, new_cursor, newer = await self._store.still_deleted_after(cursor, CHUNK_NAMES)
            with self._catch_up_lock:
                if gone and self._deleted_cursor == cursor:
                    self.index.remove(gone)  # tagged names are not in it: nothing to find
                self._deleted_cursor = new_cursor
            if not newer:
                return

    async def _add_created(self) -> None:
        while True:
            cursor = self._cursor
            joined, count, new_cursor = await self._store.tree_names_after(cursor, CHUNK_NAMES)
            if count == 0:
                return
            with self._catch_up_lock:  # two finds catching up at once add each chunk once
                if self._cursor == cursor:
                    self.index.add_joined(joined)
                    self._cursor = new_cursor
            if new_cursor == cursor:  # the store repeated its latest names (added again: no-op)
                return

    def status(self) -> dict:
        """What /tsstore/status shows of the index."""
        return {"ready": self.ready, "nodes": self.index.table.node_count, "bytes": self.index.memory_bytes(),
                "text_bytes": self.index.table.text_bytes(), "build_seconds": self.build_seconds}

    async def find(self, pattern: str) -> list[Node] | None:
        """The index's answer, or None while it is being built. An exact path it lacks is
        looked for again (_found_or_caught_up): another process may have just created it, and
        a missing single-series panel is worse than a wait."""
        if not self.ready:
            return None
        await self.fresh()
        nodes = self.index.find(pattern)
        if not nodes and self.polled and not globs.has_magic(pattern):
            nodes = await self._found_or_caught_up(pattern)
        return nodes

    async def _found_or_caught_up(self, path: str) -> list[Node]:
        """`path` once the index has it or once caught up with the store, whichever is first.
        A catch-up reads the store's logs, which wait behind a flush's writes (220 ms seen);
        this process's new series are added at once (_created_here), and the ingest
        process's pending ones are asked for every PENDING_POLL_S meanwhile, so a series
        whose first point was just sent is found when the ingest creates it."""
        catching = self._catch_up_beside()
        while not catching.done():
            changed = self._changed
            await self._add_pending()
            if nodes := self.index.find(path):
                return nodes
            timeout = PENDING_POLL_S if self._pending_names is not None else None
            await asyncio.wait({on_this_loop(catching), on_this_loop(changed)}, timeout=timeout,
                               return_when=asyncio.FIRST_COMPLETED)
        catching.result()  # its failure, as from caught_up_now
        return self.index.find(path)

    async def find_names(self, pattern: str, leaves_only: bool) -> list[Node] | None:
        """PathIndex.find_names, or None while the index is being built."""
        if not self.ready:
            return None
        await self.fresh()
        return self.index.find_names(pattern, leaves_only)
