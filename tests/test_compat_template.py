"""template() against the real graphite-web: defaults by keyword and by position, request
parameters template[name] overriding them, and bare $name arguments."""
import pytest

from tests.compat.harness import GRAPHITE_MARKS, RANGES, assert_same_render

pytestmark = GRAPHITE_MARKS

CASES = [
    ("template(servers.$host.cpu.user, host='web01')", {}),
    ("template(servers.$host.cpu.user, host='web01')", {"template[host]": "db01"}),
    ("template(servers.$1.cpu.$2, 'web02', 'system')", {}),
    ("template(sumSeries(servers.$hosts.cpu.user), hosts='web*')", {}),
    ("template(scale(servers.web01.cpu.user, $factor), factor=3)", {}),
    ("template(scale(servers.web01.cpu.user, $factor))", {"template[factor]": "0.5"}),
    ("template(aliasByNode(servers.$h.cpu.user, 1), h='{web01,db01}')", {}),
    ("sumSeries(template(servers.$h.cpu.user, h='web0[12]'))", {}),
]


@pytest.mark.parametrize("target,extra", CASES, ids=[f"{t} {e}" for t, e in CASES])
def test_template_matches_graphite_web(graphite_pair, target, extra):
    assert_same_render(graphite_pair, target, {**RANGES[0], **extra})


def test_a_piped_expression_inside_template_is_evaluated(graphite_pair):
    """graphite-web's grammar refuses a pipe inside template() (HTTP 400); tsstore evaluates it
    like the nested call it stands for (COMPATIBILITY.md)."""
    import httpx
    _, ours = graphite_pair
    params = {"target": "template(servers.$host.cpu.user | scale(2), host='web03')", "format": "json", **RANGES[0]}
    (series,) = httpx.get(ours + "/render", params=params).json()
    assert series["target"] == "scale(servers.web03.cpu.user,2)"


@pytest.mark.parametrize("target, problem", [
    ("template(servers.$h.cpu.user, h=servers.web01.cpu.user)", "only string/numeric arguments"),
    ("template()", "the expression to evaluate is missing"),
    ("template(servers.$h.cpu.user, h='web01'", "unclosed"),
])
def test_bad_template_is_a_400_naming_the_problem(graphite_pair, target, problem):
    import httpx
    _, ours = graphite_pair
    resp = httpx.get(ours + "/render", params={"target": target, "format": "json", **RANGES[0]})
    assert resp.status_code == 400 and problem in resp.text, resp.text
