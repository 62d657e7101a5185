"""template() where tsstore answers differently from graphite-web, on purpose (the
template() targets that answer the same are in tests/compat/cases/template.py)."""
import httpx
import pytest

from tests.compat.harness import GRAPHITE_MARKS, RANGES

pytestmark = GRAPHITE_MARKS


def test_a_piped_expression_inside_template_is_evaluated(graphite_pair):
    """graphite-web's grammar refuses a pipe inside template() (HTTP 400); tsstore evaluates it
    like the nested call it stands for (COMPATIBILITY.md)."""
    _, ours = graphite_pair
    params = {"target": "template(servers.$host.cpu.user | scale(2), host='web03')", "format": "json", **RANGES["last-hour"]}
    (series,) = httpx.get(ours + "/render", params=params).json()
    assert series["target"] == "scale(servers.web03.cpu.user,2)"


@pytest.mark.parametrize("target, problem", [
    ("template(servers.$h.cpu.user, h=servers.web01.cpu.user)", "only string/numeric arguments"),
    ("template()", "the expression to evaluate is missing"),
    ("template(servers.$h.cpu.user, h='web01'", "unclosed"),
])
def test_bad_template_is_a_400_naming_the_problem(graphite_pair, target, problem):
    _, ours = graphite_pair
    resp = httpx.get(ours + "/render", params={"target": target, "format": "json", **RANGES["last-hour"]})
    assert resp.status_code == 400 and problem in resp.text, resp.text
