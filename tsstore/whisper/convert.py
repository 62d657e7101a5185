"""From a parsed whisper file to tsstore: the metric name of a file, the series it is created
as, and the slots each rollup level gets.

Each level takes its slots from the archive of its own step, as they are (whisper's own
values, never re-derived from a finer archive, which may no longer hold them). Without one
(the series was created with other rollups than the file's), from the finer archives whose
step divides the level's, aggregated into the level's slots as whisper aggregates between
archives (the series' method over the known points, nothing where they are fewer than
xFilesFactor of the slot); a slot goes to the finest archive whose retention covers it whole. Every slot is written directly (model.written_slots), so it reads back as whisper
shows it.
"""
from __future__ import annotations

import os

import numpy as np

from tsstore.index import tags as tagmod
from tsstore.model import Rollup, SeriesMeta, Slots, WriteRequest, written_slots
from tsstore.whisper.reader import Archive, WhisperFile

TAGGED_DIR = "_tagged"


class NotAMetricPath(ValueError):
    """A file whose metric name cannot be recovered from its path."""


def metric_name(root: str, path: str, prefix: str = "") -> str:
    """The metric a .wsp file under `root` holds: its path with dots for separators, or under
    graphite's _tagged/xxx/yyy/ layout the tagged name its file name encodes."""
    rel = os.path.relpath(path, root)
    if not rel.endswith(".wsp") or rel.startswith(".."):
        raise NotAMetricPath(f"{path}: not a .wsp file under {root}")
    parts = rel[: -len(".wsp")].split(os.sep)
    if parts[0] == TAGGED_DIR:
        if len(parts) != 4:
            raise NotAMetricPath(f"{path}: under {TAGGED_DIR}/ a file is at {TAGGED_DIR}/xxx/yyy/<name>.wsp")
        name = parts[3].replace("_DOT_", ".")
        if ";" not in name:  # graphite's hash-only layout keeps no name
            raise NotAMetricPath(f"{path}: a hash-only tagged file: the series name is not in the path")
        try:
            return tagmod.canonical(name)
        except ValueError as exc:
            raise NotAMetricPath(f"{path}: tagged name {name!r}: {exc}") from None
    if any(not p for p in parts):
        raise NotAMetricPath(f"{path}: an empty path component")
    name = prefix + ".".join(parts)
    if any(c.isspace() for c in name):  # as the carbon listeners refuse them (a line's fields are split at whitespace)
        raise NotAMetricPath(f"{path}: whitespace in the metric name {name!r}; no carbon sender could write to it, "
                             "rename the file (or use --prefix) to import it")
    return name


def meta_from_header(name: str, wsp: WhisperFile) -> SeriesMeta:
    """The series as the file was created: its archives, aggregationMethod and xFilesFactor."""
    return SeriesMeta(name, tuple(Rollup(a.step, a.points) for a in wsp.archives), wsp.aggregation, wsp.xff)


def _aggregate(archive: Archive, step: int, method: str, xff: float) -> tuple[np.ndarray, np.ndarray]:
    """An archive's points aggregated into slots of `step` (a multiple of its own), whisper's way."""
    slot = archive.ts // step * step
    starts = np.flatnonzero(np.r_[True, slot[1:] != slot[:-1]]) if len(slot) else np.empty(0, np.int64)
    if not len(starts):
        return np.empty(0, np.int64), np.empty(0)
    v = archive.values
    known = np.diff(np.r_[starts, len(v)])
    if method in ("sum", "average", "avg_zero"):
        total = np.add.reduceat(v, starts)
        out = total if method == "sum" else total / (known if method == "average" else step // archive.step)
    elif method == "min":
        out = np.minimum.reduceat(v, starts)
    elif method == "max":
        out = np.maximum.reduceat(v, starts)
    elif method == "last":
        out = v[np.r_[starts[1:], len(v)] - 1]
    else:  # absmax / absmin: the value of the largest / smallest magnitude
        out = np.array([(max if method == "absmax" else min)(chunk, key=abs) for chunk in np.split(v, starts[1:])])
    keep = known / (step // archive.step) >= xff
    return slot[starts][keep], out[keep]


def level_requests(meta: SeriesMeta, wsp: WhisperFile, now: int) -> list[WriteRequest]:
    """What to write for every rollup level of `meta` from the file's archives."""
    out = []
    finest = meta.rollups[0].step
    for level, rollup in enumerate(meta.rollups):
        parts_ts, parts_v = [], []
        newer_from = now + rollup.step  # slots from here on are filled by a finer archive
        oldest = now - rollup.retention
        candidates = [a for a in wsp.archives if a.step <= rollup.step and rollup.step % a.step == 0]
        exact = [a for a in candidates if a.step == rollup.step]
        for archive in exact or candidates:  # an archive of the level's own step is taken as it is
            if not len(archive.ts):
                continue
            if archive.step == rollup.step:
                ts, v = archive.ts, archive.values
            else:
                ts, v = _aggregate(archive, rollup.step, meta.aggregation, meta.xff)
            # whole slots inside this archive's retention and the level's, not taken by a finer one
            covered = -(-(now - archive.retention) // rollup.step) * rollup.step
            keep = (ts >= covered) & (ts > oldest) & (ts < newer_from)
            if keep.any():
                parts_ts.append(ts[keep])
                parts_v.append(v[keep])
            newer_from = min(newer_from, covered)
        if not parts_ts:
            continue
        ts = np.concatenate(parts_ts)
        v = np.concatenate(parts_v)
        order = np.argsort(ts, kind="stable")
        ts, v = ts[order], v[order]
        values = v.reshape(-1, 1) if level == 0 else written_slots(v, rollup.step // finest, meta.aggregation)
        out.append(WriteRequest(meta.name, level, rollup.step, Slots(ts, values), rollup.retention))
    return out
