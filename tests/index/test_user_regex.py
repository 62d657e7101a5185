"""Regexes from requests: re's answers, and a budget for the ones that backtrack."""
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tsstore.index.user_regex import MATCH_SECONDS, UserRegexError, compile_user

PATTERNS = [r"^web\d+$", r"cpu\.(user|system)", r"(\w+)\.(\w+)", r"^[^.]+\.[^.]+$", r"(?i)WEB", r"a{2,3}", r"^$", r"\.count$"]
NAMES = ["web01", "servers.web01.cpu.user", "db.cpu.system", "a.b", "aaaa", "", "x.requests.count", "WEB9"]


@pytest.mark.parametrize("pattern", PATTERNS)
def test_matches_as_python_re(pattern):
    mine, theirs = compile_user(pattern), re.compile(pattern)
    for name in NAMES:
        assert bool(mine.search(name)) == bool(theirs.search(name)), name
        assert bool(mine.match(name)) == bool(theirs.match(name)), name
        assert mine.sub(r"<\g<0>>", name) == theirs.sub(r"<\g<0>>", name), name


def test_a_bad_pattern_is_named():
    with pytest.raises(UserRegexError, match=r"invalid regular expression 'web\(\['"):
        compile_user("web([")


@pytest.mark.parametrize("pattern, name", [(r"(.*){1,32000}[bc]", "a" * 40), (r"(?:a+){1,30}(?:a+){1,30}b", "a" * 200)])
def test_a_pattern_that_backtracks_runs_out_of_time_and_is_named(pattern, name):
    with pytest.raises(UserRegexError, match=f"took over {MATCH_SECONDS}s on one name"):
        compile_user(pattern).search(name)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet="ab .x1", max_size=6), max_size=20),
       st.sampled_from([r"^(a)", r"^(a\sb)", r"^(.*b)", r"^([^x]+1)", r"\Ab", r"(?<!b)a", r"^(b|$)", r"^(a$)", r"^( )",
                        r"^(\bx)", r"^(.)\Z", r"^(1*)", r"^((?s).x)", r"^([^a]*)", r"^(\s*b)"]))
def test_matching_many_names_at_once_equals_matching_each(texts, pattern):
    """One scan over the names joined by newlines finds what matching each one finds,
    whether the pattern can span the newline, see the text's start or look behind it."""
    rx = compile_user(pattern)
    assert rx.matching(texts) == [i for i, t in enumerate(texts) if rx.match(t) is not None]
