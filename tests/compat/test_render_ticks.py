"""The y axis tsstore draws against graphite-web's own: its glyph module (Debian's graphite-web,
run by the system python) chooses the bottom, top, step and labels for the same data ranges
and settings, and tsstore.graph.ticks must choose the same."""
import json
import random
import subprocess

import pytest

from tests.compat.graphite_reference import SYSTEM_PYTHON
from tests.compat.harness import GRAPHITE_MARKS
from tsstore.graph.ticks import axis

pytestmark = GRAPHITE_MARKS

ORACLE = """
import json, sys
from graphite.render import glyph
out = []
for low, high, opts in json.load(sys.stdin):
    if opts.get("logBase"):
        t = glyph._LogAxisTics(low, high, unitSystem=opts.get("yUnitSystem", "si"), base=opts["logBase"])
    else:
        t = glyph._LinearAxisTics(low, high, unitSystem=opts.get("yUnitSystem", "si"))
    t.applySettings(axisMin=opts.get("yMin"), axisMax=opts.get("yMax"), axisLimit=opts.get("yLimit"))
    if "yStep" in opts:
        t.setStep(opts["yStep"])
    else:
        t.chooseStep(divisors=opts.get("yDivisors", [4, 5, 6]), binary=opts.get("yUnitSystem") == "binary")
    t.chooseLimits()
    values = t.getLabelValues()
    out.append([t.bottom, t.top, values, [t.makeLabel(v) for v in values]])
print(json.dumps(out))
"""


def _cases():
    rng = random.Random(16)
    cases = [(0.0, 23.5, {}), (0.0, 0.0, {}), (5.0, 5.0, {}), (-3.0, -3.0, {}), (0.0, 0.35, {}), (1.0, 1.8, {}),
             (3.0, 2000.0, {"logBase": 10.0}), (0.5, 70.0, {"logBase": 2.0}), (0.0, 1.9e6, {}),
             (0.0, 3.5 * 1024 ** 2, {"yUnitSystem": "binary"}), (0.0, 9e6, {"yUnitSystem": "none"}),
             (0.0, 86400 * 3.0, {"yUnitSystem": "sec"}), (0.0, 7.2e6, {"yUnitSystem": "msec"}),
             (0.0, 42.0, {"yLimit": 45.0}), (0.0, 90.0, {"yLimit": 50.0}), (0.0, 23.5, {"yMax": "max"}),
             (3.0, 47.0, {"yMin": 0.0, "yMax": 100.0}), (0.0, 23.5, {"yStep": 2.0}), (0.0, 23.5, {"yDivisors": [3]}),
             (-17.0, 4.0, {}), (-1e-3, 2e-3, {}), (1e12, 1.3e12, {})]
    for _ in range(150):
        scale = 10 ** rng.uniform(-4, 10)
        low = rng.uniform(-1, 1) * scale
        high = low + rng.uniform(0, 2) * scale
        opts = rng.choice([{}, {}, {"yUnitSystem": "binary"}, {"yUnitSystem": "none"}, {"yDivisors": [2, 3]},
                           {"yMin": low - scale / 3}])
        cases.append((low, high, opts))
    return cases


def test_the_axis_is_graphite_webs():
    cases = _cases()
    proc = subprocess.run([SYSTEM_PYTHON, "-c", ORACLE], input=json.dumps(cases), capture_output=True, text=True,
                          timeout=120, env={"DJANGO_SETTINGS_MODULE": "graphite.settings", "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr[-2000:]
    theirs = json.loads(proc.stdout)
    assert len(theirs) == len(cases)
    for (low, high, opts), (bottom, top, values, labels) in zip(cases, theirs):
        a = axis(low, high, opts)
        mine = a.label_values()
        where = f"data {low!r}..{high!r} with {opts}"
        assert (a.bottom, a.top) == pytest.approx((bottom, top), rel=1e-9, abs=1e-12), where
        assert mine == pytest.approx(values, rel=1e-9, abs=1e-12), where
        assert [a.label(v) for v in mine] == labels, where
