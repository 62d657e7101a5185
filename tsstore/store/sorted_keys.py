"""Membership in a sorted int64 table, many keys at once (one searchsorted, no loop)."""
from __future__ import annotations

import numpy as np


def positions(table: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each key is in a sorted table, and whether it is there at all."""
    if not len(table):
        return np.zeros(len(keys), np.intp), np.zeros(len(keys), bool)
    at = np.minimum(np.searchsorted(table, keys), len(table) - 1)
    return at, table[at] == keys
