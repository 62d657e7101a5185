"""Golden tests of the Sorting render functions: hand-worked expectations from
graphite-web's documented behaviour (names, tags, nulls, steps), inputs built here, no storage."""

from tests.functions.helpers import ALL, run, series


def test_sorting():
    assert [s.name for s in run("sortByMaxima(servers.*.cpu)", ALL)] == ["servers.db01.cpu", "servers.web02.cpu", "servers.web01.cpu"]
    assert [s.name for s in run("sortByMinima(servers.*.cpu)", ALL)] == ["servers.web01.cpu", "servers.web02.cpu", "servers.db01.cpu"]
    assert [s.name for s in run("sortBy(servers.*.cpu, 'average')", ALL)][0] == "servers.web01.cpu"
    assert [s.name for s in run("sortByName(servers.*.cpu)", ALL)] == ["servers.db01.cpu", "servers.web01.cpu", "servers.web02.cpu"]
    h = [series(f"h.host{i}", [1]) for i in (10, 9, 1)]
    assert [s.name for s in run("sortByName(h.*, true)", h)] == ["h.host1", "h.host9", "h.host10"]
