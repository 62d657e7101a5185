"""Every render function tsstore registers (canonical names and aliases, as GET /functions
lists them) is called by at least one target of the tests: a compat case
(tests/compat/cases/, compared with graphite-web) or a golden unit test; every parameter
/functions lists can be given by keyword under that name; and the parameters are the ones
graphite-web declares (names, types, defaults, options, suggestions).

Targets are found statically: every string constant under tests/ (an f-string with each
replacement field read as 0) that the real target grammar accepts, with every call in it,
nested and piped ones included. Only the last test needs graphite-web (its declarations are
read by its own Python: its /functions fails on Python 3.11); /functions is asked of the app
in process."""
import ast
import asyncio
import inspect
import json
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.compat import graphite_reference
from tsstore.api.app import AppContext, create_app
from tsstore.query.functions import loader
from tsstore.query.grammar import Call, parse_target

TESTS = Path(__file__).resolve().parents[1]

# Registered functions no test target can call, each with its reason. Empty today: every
# function has a case (those graphite-web 1.1 lacks, upper/lower/compressPeriodicGaps, have
# golden cases in the function unit tests).
EXEMPT: dict[str, str] = {}


async def _ask_functions() -> httpx.Response:
    app = create_app(AppContext(store=None))  # /functions reads only the registry
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://tsstore") as client:
        return await client.get("/functions")


@pytest.fixture(scope="module")
def registered() -> set[str]:
    """The names GET /functions lists."""
    resp = asyncio.run(_ask_functions())
    assert resp.status_code == 200
    return set(resp.json())


def calls_in(node, out: set[str]) -> set[str]:
    """The names of every call in a parsed target, arguments' calls included."""
    if isinstance(node, Call):
        out.add(node.name)
        for value in (*node.args, *(v for _, v in node.kwargs)):
            calls_in(value, out)
    return out


def _strings(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.value
        elif isinstance(node, ast.JoinedStr):
            yield "".join(part.value if isinstance(part, ast.Constant) else "0" for part in node.values)


def called_in_tests() -> set[str]:
    """Every function called by a target string in a .py file under tests/."""
    names: set[str] = set()
    for path in sorted(TESTS.rglob("*.py")):
        for text in _strings(ast.parse(path.read_text(), str(path))):
            try:
                target = parse_target(text)
            except ValueError:  # not a target (TargetSyntaxError is a ValueError)
                continue
            calls_in(target, names)
    return names


def test_every_registered_function_has_a_case(registered):
    uncovered = sorted(registered - called_in_tests() - set(EXEMPT))
    assert not uncovered, (f"{len(uncovered)} registered render functions have no case: {', '.join(uncovered)}; "
                           "add a target calling each to tests/compat/cases/ (or a golden unit test)")


def test_exemptions_name_registered_functions_with_a_reason(registered):
    assert set(EXEMPT) <= registered, sorted(set(EXEMPT) - registered)
    assert all(reason.strip() for reason in EXEMPT.values())


def test_calls_are_found_nested_piped_and_in_keywords():
    target = parse_target("servers.a | scale(2) | alias(sumSeries(x.*), 'n')")
    assert calls_in(target, set()) == {"scale", "alias", "sumSeries"}
    target = parse_target("movingWindow(servers.a, windowSize=5, func=identity('t'))")
    assert calls_in(target, set()) == {"movingWindow", "identity"}


def test_every_parameter_can_be_given_by_keyword(registered):
    """graphite-web calls a function with the keywords of a target as they are written, so
    tsstore's Python function must take each parameter under its /functions name."""
    missing = []
    for name in sorted(registered):
        fn = loader.get(name)
        sig = inspect.signature(fn.func).parameters
        takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in sig.values())
        missing += [f"{name}({p.name}=)" for p in fn.params
                    if not p.multiple and not takes_any and (p.name not in sig or sig[p.name].kind is inspect.Parameter.VAR_POSITIONAL)]
    assert not missing, f"parameters a keyword call cannot name: {', '.join(missing)}"


GRAPHITE_PARAMS = """\
import json, django
django.setup()
from graphite.functions import SeriesFunctions
print(json.dumps({name: [p.toJSON() for p in getattr(f, "params", [])] for name, f in SeriesFunctions().items()}))
"""


@pytest.mark.graphite
@pytest.mark.skipif(not graphite_reference.available(), reason="graphite-web is not installed: scripts/test installs it (apt)")
def test_parameters_are_the_ones_graphite_web_declares(graphite_pair, registered):
    ref, _ = graphite_pair
    proc = subprocess.run([graphite_reference.SYSTEM_PYTHON, "-c", GRAPHITE_PARAMS], env=ref.env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    theirs = json.loads(proc.stdout)
    ours = {name: loader.get(name).info()["params"] for name in registered}
    differ = {name: (theirs[name], ours[name]) for name in sorted(set(theirs) & set(ours)) if theirs[name] != ours[name]}
    assert not differ, "\n".join(f"{name}:\n  graphite-web {g}\n  tsstore      {t}" for name, (g, t) in differ.items())
