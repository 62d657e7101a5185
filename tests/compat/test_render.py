"""Same data in, same /render answer out as the real graphite-web, for every case of every
table in tests/compat/cases/ over each of its ranges. A test id reads
`<table>:<target>:<range>[&<request parameters>]`."""
import pytest

from tests.compat.cases import (alias, as_case, calculate, combine, events, filter_data, filter_series, graph,
                                paths, sorting, special, tagged, template, transform)
from tests.compat.harness import COMPARE, GRAPHITE_MARKS, RANGES

pytestmark = GRAPHITE_MARKS

TABLES = {"paths": paths, "combine": combine, "transform": transform, "calculate": calculate,
          "filter_series": filter_series, "filter_data": filter_data, "sorting": sorting, "alias": alias,
          "graph": graph, "special": special, "tagged": tagged, "template": template, "events": events}


def _params():
    for table, module in TABLES.items():
        for case in map(as_case, module.CASES):
            assert case.compare in COMPARE, f"{table}: {case.target}: unknown compare {case.compare!r}"
            extra = "".join(f"&{k}={v}" for k, v in case.params.items())
            for name in case.ranges:
                yield pytest.param(case, name, id=f"{table}:{case.target}:{name}{extra}")


@pytest.mark.parametrize("case, range_name", list(_params()))
def test_render_matches_graphite_web(request, case, range_name):
    pair = request.getfixturevalue(case.needs or "graphite_pair")
    COMPARE[case.compare](pair, case.target, {**RANGES[range_name], **case.params})
