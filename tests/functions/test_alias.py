"""Golden tests of the Alias render functions: hand-worked expectations from
graphite-web's documented behaviour (names, tags, nulls, steps), inputs built here, no storage."""

import pytest

from tests.functions.helpers import ALL, E, N, names, run, series, values
from tsstore.query.errors import QueryError

CHANNELS = [series("chan.power.1", [1, 2]), series("chan.power.2", [3, 4]),
            series("chan.freq.1", [N, 2400.7, N]), series("chan.freq.2", [5000, N, N])]


def test_alias_functions():
    assert [s.name for s in run("alias(servers.web01.cpu, 'cpu %')", ALL)] == ["cpu %"]
    assert [s.name for s in run("aliasByNode(servers.*.cpu, 1)", ALL)] == ["db01", "web01", "web02"]
    assert [s.name for s in run("aliasByNode(scale(servers.web01.cpu, 2), 1, -1)", ALL)] == ["web01.cpu"]
    assert [s.name for s in run("aliasByMetric(servers.web01.cpu)", ALL)] == ["cpu"]


def test_alias_sub_as_grafana_12_wraps_every_target():
    (s,) = run('aliasSub(servers.web01.cpu, "(^.*$)", "\\1 A")', ALL)
    assert s.name == "servers.web01.cpu A"
    (s,) = run("aliasSub(servers.web01.cpu, 'web(\\d+)', 'host\\1')", ALL)
    assert s.name == "servers.host01.cpu"


def test_alias_by_tags():
    t = series("disk.used;dc=dc1;rack=a1", [1], tags={"name": "disk.used", "dc": "dc1", "rack": "a1"})
    assert [s.name for s in run("aliasByTags(disk.used;dc=dc1;rack=a1, 'rack', 'dc')", [t])] == ["a1.dc1"]


def test_pipes_and_nesting():
    (s,) = run("servers.web*.cpu | sumSeries() | scale(10) | alias('total')", ALL)
    assert s.name == "total" and values(s) == [110, 20, N, 440, 550]


def test_alias_query_names_by_the_last_value_of_another_target():
    result = run(r"aliasQuery(chan.power.*, 'chan\.power\.(\d+)', 'chan.freq.\1', 'Channel %d MHz')", CHANNELS)
    assert names(result) == ["Channel 2400 MHz", "Channel 5000 MHz"]
    assert values(result[0]) == [1, 2] and result[0].tags == {"name": "chan.power.1"}
    result = run(r"aliasQuery(chan.power.1, 'power', 'freq', '%.1f (%%)')", CHANNELS)
    assert names(result) == ["2400.7 (%)"]


def test_alias_query_errors():
    with pytest.raises(QueryError, match="aliasQuery: no series found with query: chan.nothing.1"):
        run("aliasQuery(chan.power.1, 'power', 'nothing', '%d')", CHANNELS)
    with pytest.raises(QueryError, match="aliasQuery: the series of 'x.empty' has no value"):
        run("aliasQuery(chan.power.1, 'chan.power.1', 'x.empty', '%d')", CHANNELS + [series("x.empty", [N])])
    with pytest.raises(QueryError, match="aliasQuery: newName 'plain' must hold one %-format"):
        run("aliasQuery(chan.power.1, 'power', 'freq', 'plain')", CHANNELS)


def test_legend_value_appends_statistics():
    (s,) = run("legendValue(servers.web01.cpu, 'avg', 'last', 'count', 'multiply', 'nosuch')", ALL)
    assert s.name == "servers.web01.cpu (avg: 3.0) (last: 5.0) (count: 4) (multiply: None) (nosuch: (?))"
    assert values(s) == [1, 2, N, 4, 5]
    (s,) = run("legendValue(servers.db01.cpu, 'total', 'median', 'diff')", ALL)
    assert s.name == "servers.db01.cpu (total: 1500.0) (median: 300.0) (diff: -1300.0)"


def test_legend_value_with_units_in_columns():
    big = series("big", [1000, 2500000])
    (s,) = run("legendValue(big, 'avg', 'si')", [big])
    assert s.name == "big" + " " * 17 + "avg  " + "1.25M     "
    (s,) = run("legendValue(big, 'max', 'binary')", [big])
    assert s.name == "big" + " " * 17 + "max  " + "2.38Mi    "
    (s,) = run("legendValue(servers.web03.cpu, 'min', 'si')", [E])
    assert s.name == "servers.web03.cpu   min  None      "
    with pytest.raises(QueryError, match="legendValue: at least one value type"):
        run("legendValue(big)", [big])


def test_upper_and_lower_change_only_the_name():
    s = series("Servers.Web01.CPU", [1, 2], tags={"name": "Servers.Web01.CPU"})
    (u,) = run("upper(Servers.Web01.CPU)", [s])
    assert u.name == "SERVERS.WEB01.CPU" and values(u) == [1, 2] and u.tags == {"name": "Servers.Web01.CPU"}
    (lo,) = run("lower(Servers.Web01.CPU)", [s])
    assert lo.name == "servers.web01.cpu"
