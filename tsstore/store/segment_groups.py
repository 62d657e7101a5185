"""Group segments: the pieces of many series' segments packed into one stored row.

A flush touches every active series; one stored row per series per flush made a store's
cost per flush grow with the series count (at a million series, a million SQLite rows per
flush and the writer thread was the limit). The embedded store instead packs the pieces of
GROUP_SIZE consecutive series keys (series created together, so usually neighbours in the
tree) and one window into one row: a million series are 4,000 rows per flush. Compaction
later moves a group's pieces into one row per series and window (tsstore.store.embedded).

A packed blob: FORMAT (1 byte), n (uint32), the n members' offsets in the group (uint16,
ascending, distinct), the end of each member's piece in the payload (uint32), then the
payload: each member's piece, an ordinary segment_codec blob, one after another.

The Cassandra store has no integer series ids shared by its writers, so its group rows name
their members (NAMED_FORMAT): FORMAT (1 byte), n (uint32), each member's name length in bytes
(uint16), the step of its level (uint32) and the time its piece expires (int64, epoch
seconds: compaction moves a piece into the series' own row with that row's TTL), the end of
each member's piece in the payload (uint32), then the names (UTF-8, one after another), then
the payload.
"""
from __future__ import annotations

import struct

import numpy as np

GROUP_BITS = 8
GROUP_SIZE = 1 << GROUP_BITS
FORMAT = 1
NAMED_FORMAT = 2
_HEAD = struct.Struct("<BI")
_NAMED_MEMBER_BYTES = 2 + 4 + 8 + 4  # name length, step, expiry, piece end


class GroupFormatError(ValueError):
    """A stored group blob that cannot be read (torn or foreign data)."""


def group_of(keys: np.ndarray) -> np.ndarray:
    """The group of each series key."""
    return np.asarray(keys, np.int64) >> GROUP_BITS


def member_of(keys: np.ndarray) -> np.ndarray:
    """Each series key's offset inside its group."""
    return (np.asarray(keys, np.int64) & (GROUP_SIZE - 1)).astype(np.uint16)


def pack(members: np.ndarray, pieces: list[bytes]) -> bytes:
    """One blob of pieces[i] for members[i] (ascending, distinct offsets)."""
    n = len(pieces)
    if n != len(members):
        raise ValueError(f"pack: {len(members)} members for {n} pieces")
    ends = np.cumsum(np.fromiter(map(len, pieces), np.int64, n), dtype=np.int64)
    if n and ends[-1] >= 2**32:
        raise ValueError("pack: a group blob over 4 GiB")
    return b"".join([_HEAD.pack(FORMAT, n), np.asarray(members, "<u2").tobytes(), ends.astype("<u4").tobytes(), *pieces])


def unpack_header(blob) -> tuple[np.ndarray, np.ndarray, int]:
    """(members, piece starts and ends (n + 1, into blob), n) of a packed blob."""
    if len(blob) < _HEAD.size:
        raise GroupFormatError("group segment too short")
    fmt, n = _HEAD.unpack_from(blob)
    if fmt != FORMAT:
        raise GroupFormatError(f"group segment of unknown format {fmt}")
    payload = _HEAD.size + 6 * n
    if len(blob) < payload:
        raise GroupFormatError("group segment header cut short")
    members = np.frombuffer(blob, "<u2", n, _HEAD.size)
    bounds = np.empty(n + 1, np.int64)
    bounds[0] = 0
    bounds[1:] = np.frombuffer(blob, "<u4", n, _HEAD.size + 2 * n)
    bounds += payload
    if n and (bounds[-1] != len(blob) or np.any(np.diff(bounds) < 0)):
        raise GroupFormatError("group segment payload does not match its header")
    return members, bounds, n


def pieces_of(blob, wanted: np.ndarray) -> list[tuple[int, bytes]]:
    """(member, piece) for each wanted member offset present in the blob."""
    members, bounds, n = unpack_header(blob)
    if not n:
        return []
    wanted = np.asarray(wanted, np.int64)
    at = np.minimum(np.searchsorted(members, wanted), n - 1)
    found = members[at] == wanted
    return [(int(m), bytes(blob[bounds[i] : bounds[i + 1]])) for m, i in zip(wanted[found].tolist(), at[found].tolist())]


def split(blob) -> tuple[np.ndarray, list[bytes]]:
    """Every member offset of a blob (ascending) and its piece."""
    members, bounds, n = unpack_header(blob)
    b = bounds.tolist()
    return members, [bytes(blob[b[i] : b[i + 1]]) for i in range(n)]


def pack_named(names: list[str], steps: np.ndarray, expires_at: np.ndarray, pieces: list[bytes]) -> bytes:
    """One NAMED_FORMAT blob of pieces[i] for series names[i] (distinct), whose level has
    steps[i] and whose piece expires at expires_at[i]."""
    n = len(pieces)
    if not n == len(names) == len(steps) == len(expires_at):
        raise ValueError(f"pack_named: {len(names)} names, {len(steps)} steps, {len(expires_at)} expiries for {n} pieces")
    encoded = [name.encode("utf-8") for name in names]
    lengths = np.fromiter(map(len, encoded), np.int64, n)
    if n and lengths.max() >= 2**16:
        raise ValueError("pack_named: a series name over 64 KiB")
    ends = np.cumsum(np.fromiter(map(len, pieces), np.int64, n), dtype=np.int64)
    if n and ends[-1] >= 2**32:
        raise ValueError("pack_named: a group blob over 4 GiB")
    return b"".join([_HEAD.pack(NAMED_FORMAT, n), lengths.astype("<u2").tobytes(), np.asarray(steps, "<u4").tobytes(),
                     np.asarray(expires_at, "<i8").tobytes(), ends.astype("<u4").tobytes(), *encoded, *pieces])


class NamedGroup:
    """A NAMED_FORMAT blob read back: names, steps, expiries, and each member's piece."""

    def __init__(self, blob):
        if len(blob) < _HEAD.size:
            raise GroupFormatError("group segment too short")
        fmt, n = _HEAD.unpack_from(blob)
        if fmt != NAMED_FORMAT:
            raise GroupFormatError(f"group segment of unknown format {fmt}")
        head_end = _HEAD.size + _NAMED_MEMBER_BYTES * n
        if len(blob) < head_end:
            raise GroupFormatError("group segment header cut short")
        at = _HEAD.size
        lengths = np.frombuffer(blob, "<u2", n, at).astype(np.int64)
        self.steps = np.frombuffer(blob, "<u4", n, at + 2 * n).astype(np.int64)
        self.expires_at = np.frombuffer(blob, "<i8", n, at + 6 * n)
        piece_ends = np.frombuffer(blob, "<u4", n, at + 14 * n).astype(np.int64)
        names_end = head_end + int(lengths.sum())
        if n and (names_end + piece_ends[-1] != len(blob) or np.any(np.diff(piece_ends) < 0)):
            raise GroupFormatError("group segment payload does not match its header")
        if not n and len(blob) != head_end:
            raise GroupFormatError("group segment payload does not match its header")
        name_bounds = (head_end + np.concatenate([[0], np.cumsum(lengths)])).tolist()
        try:
            self.names = [bytes(blob[a:b]).decode("utf-8") for a, b in zip(name_bounds[:-1], name_bounds[1:])]
        except UnicodeDecodeError as exc:
            raise GroupFormatError(f"group segment names are not UTF-8: {exc}") from None
        self._bounds = (names_end + np.concatenate([[0], piece_ends])).tolist()
        self._blob = blob

    def __len__(self) -> int:
        return len(self.names)

    def piece(self, i: int) -> bytes:
        return bytes(self._blob[self._bounds[i] : self._bounds[i + 1]])


def rows_of(keys: np.ndarray, windows: np.ndarray, group_keys: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """How segments (keys[i], windows[i]) are packed: returns the order to take them in and
    the start of each row in that order (len = rows + 1). A row is one group (group_keys[i];
    by default the group of keys[i]) and one window;
    a series with two segments for one window (two blocks of one batch) has them in two rows,
    in batch order, so the later piece gets the later row (and seq)."""
    n = len(keys)
    if not n:
        return np.empty(0, np.int64), np.zeros(1, np.int64)
    keys = np.asarray(keys, np.int64)
    windows = np.asarray(windows, np.int64)
    # the k-th segment of a (series, window) in this batch goes into the k-th row of its group window
    by_series = np.lexsort((np.arange(n), windows, keys))
    run_start = np.ones(n, bool)
    run_start[1:] = (keys[by_series][1:] != keys[by_series][:-1]) | (windows[by_series][1:] != windows[by_series][:-1])
    starts = np.flatnonzero(run_start)
    rank_sorted = np.arange(n) - np.repeat(starts, np.diff(np.append(starts, n)))
    rank = np.empty(n, np.int64)
    rank[by_series] = rank_sorted
    groups = keys >> GROUP_BITS if group_keys is None else np.asarray(group_keys, np.int64)
    order = np.lexsort((keys, rank, windows, groups))
    g, w, r = groups[order], windows[order], rank[order]
    cut = np.ones(n, bool)
    cut[1:] = (g[1:] != g[:-1]) | (w[1:] != w[:-1]) | (r[1:] != r[:-1])
    return order, np.append(np.flatnonzero(cut), n)
