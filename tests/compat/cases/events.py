"""events(): the events that tests/compat/conftest.py's `with_events` posts to both servers,
as series (over the hour the events fall in)."""
from tests.compat.cases import Case

CASES = [
    Case(target, ranges=("events-hour",), needs="with_events")
    for target in ('events("*")', 'events("release")', 'events("release", "web")', 'drawAsInfinite(events("web"))')
]
