"""Names from whisper paths, and the slots each rollup level gets from a file's archives."""
import os
import time

import numpy as np
import pytest
import whisper

from tsstore.model import COUNT, Rollup, SeriesMeta
from tsstore.query.fetch import plan_read, values_from_slots
from tsstore.whisper import convert, reader

NOW = int(time.time()) // 3600 * 3600


@pytest.mark.parametrize("rel, name", [
    ("servers/web01/cpu.user.wsp", None),  # a dot inside a file name is a dot of the name
    ("servers/web01/cpu/user.wsp", "servers.web01.cpu.user"),
    ("_tagged/1ab/2cd/disk_DOT_used;host=web01;dc=dc1.wsp", "disk.used;dc=dc1;host=web01"),
])
def test_metric_name_from_the_path(tmp_path, rel, name):
    path = os.path.join(str(tmp_path), *rel.split("/"))
    want = name or rel[:-4].replace("/", ".")
    assert convert.metric_name(str(tmp_path), path) == want


def test_prefix_and_refused_paths(tmp_path):
    root = str(tmp_path)
    assert convert.metric_name(root, f"{root}/web01/cpu.wsp", prefix="servers.") == "servers.web01.cpu"
    with pytest.raises(convert.NotAMetricPath, match="hash-only"):
        convert.metric_name(root, f"{root}/_tagged/1ab/2cd/{'f' * 64}.wsp")
    with pytest.raises(convert.NotAMetricPath, match="_tagged/xxx/yyy"):
        convert.metric_name(root, f"{root}/_tagged/a;b=c.wsp")
    with pytest.raises(convert.NotAMetricPath, match="whitespace"):
        convert.metric_name(root, f"{root}/web 01/cpu.wsp")


def _wsp(tmp_path, archives, points, xff, method):
    path = str(tmp_path / "f.wsp")
    whisper.create(path, archives, xff, method)
    whisper.update_many(path, points, now=NOW)  # whisper files by the test clock, not the wall clock
    return path, reader.read(path, NOW)


@pytest.mark.parametrize("method", ["average", "sum", "max", "last", "avg_zero", "absmin"])
def test_header_rollups_take_every_archive_as_whisper_shows_it(tmp_path, method):
    archives = [(10, 360), (60, 1440), (600, 1000)]
    pts = [(NOW - i * 10, float(i % 9 - 4)) for i in range(0, 350) if i % 3]
    pts += [(NOW - 7200 - i * 60, float(i % 11 - 5)) for i in range(0, 1000) if i % 4]
    path, wsp = _wsp(tmp_path, archives, pts, 0.5, method)
    meta = convert.meta_from_header("m", wsp)
    assert meta.rollups == tuple(Rollup(s, p) for s, p in archives) and meta.aggregation == method
    levels = {r.level: r for r in convert.level_requests(meta, wsp, NOW)}
    for level, (step, points) in enumerate(archives):
        start = NOW - step * points + step
        plan = plan_read(meta, start, NOW, NOW)
        assert plan.level == level
        mine = values_from_slots(meta, plan, levels[level].slots)
        (_, _, _), theirs = whisper.fetch(path, start, NOW, now=NOW)
        assert [None if np.isnan(v) else v for v in mine.tolist()] == pytest.approx(theirs), level


def test_other_rollups_are_aggregated_from_the_finer_archives_as_whisper_would(tmp_path):
    """Created with 10s:1h,1m:1d but imported into 10s:1h,5m:1d (the conf files say so): the
    5 min slots come from the 1 min archive, averaged over the known minutes, nothing under xff."""
    pts = [(NOW - 4000 - i * 60, float(i)) for i in range(0, 600) if i % 7 not in (1, 2, 3)]
    _, wsp = _wsp(tmp_path, [(10, 360), (60, 1440)], pts, 0.5, "average")
    meta = SeriesMeta("m", (Rollup(10, 360), Rollup(300, 288)), "average", 0.5)
    (req,) = [r for r in convert.level_requests(meta, wsp, NOW) if r.level == 1]
    minutes = dict(zip(wsp.archives[1].ts.tolist(), wsp.archives[1].values.tolist()))
    for slot, row in zip(req.slots.ts.tolist(), req.slots.values.tolist()):
        known = [minutes[t] for t in range(slot, slot + 300, 60) if t in minutes]
        assert len(known) / 5 >= 0.5 and row[0] / row[COUNT] == pytest.approx(sum(known) / len(known))
    assert len(req.slots) == len({t // 300 for t in minutes if sum(1 for m in range(t // 300 * 300, t // 300 * 300 + 300, 60) if m in minutes) >= 3})
    assert 0 < len(req.slots) < len({t // 300 for t in minutes})  # some slots fell under xFilesFactor
