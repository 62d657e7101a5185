"""The writer id of an ingesting process (tsstore.store.base: WRITER_BITS): where two writers
of one series on Cassandra wrote different values into one slot, the higher id wins.

It is drawn at random the first time a data dir is used and kept in <data dir>/writer-id, so
it goes with the WAL: a restarted process, or one recreated on the same volume under another
host name or port, replays its WAL and corrects its own earlier points as the same writer. A
new data dir (no WAL to replay) is a new writer. An operator may write the file (0-4095)
before the first start to choose it.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from tsstore.store.base import WRITER_BITS, WRITER_MASK

FILE_NAME = "writer-id"


class WriterIdError(OSError):
    """The writer-id file holds no writer id."""


def data_dir_writer_id(data_dir: str | Path) -> int:
    """The data dir's writer id, drawn and written (atomically) on first use. A file that does
    not hold one is an error naming it, not a new id: a new id would be a new writer."""
    path = Path(data_dir) / FILE_NAME
    try:
        text = path.read_text()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        writer = secrets.randbelow(1 << WRITER_BITS)
        tmp = path.with_name(FILE_NAME + ".tmp")
        with open(tmp, "w") as f:
            f.write(f"{writer}\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        return writer
    try:
        writer = int(text.strip())
    except ValueError:
        writer = -1
    if not 0 <= writer <= WRITER_MASK:
        raise WriterIdError(f"{path} holds {text.strip()[:40]!r}, not a writer id 0..{WRITER_MASK}: "
                         "write one there, or remove the file to draw a new one (a new writer)")
    return writer
