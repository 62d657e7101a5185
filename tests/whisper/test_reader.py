"""The .wsp reader against files written by whisper itself (the PyPI `whisper` package)."""
import time

import numpy as np
import pytest
import whisper

from tsstore.whisper import reader

NOW = int(time.time())


def _file(tmp_path, archives, points, xff=0.5, method="average", name="m.wsp"):
    path = str(tmp_path / name)
    whisper.create(path, archives, xff, method)
    if points:
        whisper.update_many(path, points, now=NOW)  # as of NOW: the suite may reach this test long after it
    return path


def _whisper_points(path, archive_index):
    """What whisper's own fetch shows for one archive's whole retention: (ts, value) known."""
    info = whisper.info(path)
    a = info["archives"][archive_index]
    (start, end, step), values = whisper.fetch(path, NOW - a["retention"], NOW, now=NOW, archiveToSelect=a["secondsPerPoint"])
    return [(t, v) for t, v in zip(range(start, end, step), values) if v is not None]


def test_header_and_every_archive_are_what_whisper_shows(tmp_path):
    pts = [(NOW - i * 10, float(i % 13)) for i in range(0, 300) if i % 4]
    pts += [(NOW - 7200 - i * 60, float(-i)) for i in range(0, 500)]
    path = _file(tmp_path, [(10, 360), (60, 1440), (3600, 100)], pts, xff=0.25, method="max")
    wsp = reader.read(path, NOW)
    assert (wsp.aggregation, round(wsp.xff, 6)) == ("max", 0.25)
    assert [(a.step, a.points) for a in wsp.archives] == [(10, 360), (60, 1440), (3600, 100)]
    for i, archive in enumerate(wsp.archives):
        assert list(zip(archive.ts.tolist(), archive.values.tolist())) == _whisper_points(path, i), i
    assert wsp.point_count == sum(len(a.ts) for a in wsp.archives) > 700


def test_slots_left_from_an_earlier_lap_of_the_ring_are_not_points(tmp_path):
    # 60 slots of 10 s; write 100 minutes' worth of points, then only the newest 20 again:
    # positions hold points up to a full ring old, which whisper no longer shows
    path = _file(tmp_path, [(10, 60)], [(NOW - 6000 + i * 10, 1.0) for i in range(0, 600, 7)])
    whisper.update_many(path, [(NOW - i * 10, 2.0) for i in range(20)])
    archive = reader.read(path, NOW).archives[0]
    assert list(zip(archive.ts.tolist(), archive.values.tolist())) == _whisper_points(path, 0)
    assert (archive.ts > NOW - 600).all()


def test_an_archive_never_written_is_empty(tmp_path):
    wsp = reader.read(_file(tmp_path, [(60, 100)], []), NOW)
    assert len(wsp.archives[0].ts) == 0 and wsp.point_count == 0


@pytest.mark.parametrize("damage, problem", [
    (lambda b: b"", "empty file"),
    (lambda b: b[:10], "shorter than a whisper header"),
    (lambda b: b[:20], "truncated header"),
    (lambda b: b[: len(b) - 100], "truncated: archive 1 ends at byte"),
    (lambda b: (99).to_bytes(4, "big") + b[4:], "aggregationType 99"),
    (lambda b: b[:12] + (0).to_bytes(4, "big") + b[16:], "0 archives"),
])
def test_a_damaged_file_is_refused_naming_the_problem(tmp_path, damage, problem):
    good = open(_file(tmp_path, [(10, 60), (60, 60)], [(NOW, 1.0)]), "rb").read()
    with pytest.raises(reader.WhisperFileError, match=problem):
        reader.parse(damage(good), NOW)


def test_every_whisper_method_is_read(tmp_path):
    for number, method in reader.AGGREGATION_TYPES.items():
        path = _file(tmp_path, [(60, 10)], [(NOW, 1.0)], method=method, name=f"{method}.wsp")
        assert reader.read(path, NOW).aggregation == method, number


def test_values_are_the_float64s_whisper_stored(tmp_path):
    values = [1e-300, -2.5, 1e300, 0.1]
    now = int(time.time())  # a 10 s archive: whisper refuses points older than that at write time
    path = _file(tmp_path, [(1, 10)], [(now - i, v) for i, v in enumerate(values)])
    got = reader.read(path, now + 1).archives[0]
    assert got.values.tolist() == values[::-1] and got.values.dtype == np.float64
