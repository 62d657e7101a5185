"""timeSlice() without an end: graphite-web ends it at its wall clock, tsstore at the
request's `now` (the values are compared in tests/compat/cases/transform.py)."""
import httpx

from tests.compat.harness import GRAPHITE_MARKS, NOW, RANGES

pytestmark = GRAPHITE_MARKS


def test_time_slice_without_an_end_ends_at_the_request_now(graphite_pair):
    _, ours = graphite_pair
    params = {"target": f"timeSlice(servers.web01.sparse, '{NOW - 6000}')", "format": "json", "now": str(NOW),
              **RANGES["last-hour"]}
    (series,) = httpx.get(ours + "/render", params=params, timeout=60).json()
    assert series["target"] == f"timeSlice(servers.web01.sparse, {NOW - 6000}, {NOW})"
    assert series["tags"]["timeSliceEnd"] == str(NOW)
