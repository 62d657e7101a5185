"""Tagged series names: validation and canonical form, as carbon and graphite-web produce them."""
import pytest
from hypothesis import given, strategies as st

from tsstore.index import tags


@pytest.mark.parametrize("path, canonical", [
    ("disk.used;rack=a1;datacenter=dc1", "disk.used;datacenter=dc1;rack=a1"),  # the spec's example
    ("disk.used;datacenter=dc1;rack=a1", "disk.used;datacenter=dc1;rack=a1"),
    ("a;x=1;x=2", "a;x=2"),  # a repeated tag: the last value wins
    ("a;name=other;x=1", "a;x=1"),  # the name tag is always the metric name
    ("~~a.b;x=1", "a.b;x=1"),  # leading '~' removed from the name
    ("a;x=b=c;y=d~", "a;x=b=c;y=d~"),  # values may hold '=' and a '~' that is not first
    ("a;z=1;b=2;m=3", "a;b=2;m=3;z=1"),
    ("a.b;host=web 01", "a.b;host=web 01"),  # carbon does not forbid spaces (they cannot arrive in a line)
    ("a;ключ=значение;b=ü", "a;b=ü;ключ=значение"),
])
def test_carbon_form_is_canonicalised(path, canonical):
    assert tags.canonical(path) == canonical


def test_segments_sort_as_whole_strings_like_carbon():
    # carbon sorts ';tag=value' strings, so 'core1' comes before 'core' ('1' < '=')
    assert tags.canonical("cpu;core=2;core1=x") == "cpu;core1=x;core=2"
    assert tags.canonical("cpu;core1=x;core=2") == "cpu;core1=x;core=2"


@pytest.mark.parametrize("path, canonical", [
    ('cpu{host="a",dc="x"}', "cpu;dc=x;host=a"),
    ('cpu{host="a"}', "cpu;host=a"),
    (r'm{a="q\"x"}', 'm;a=q"x'),  # \" is a quote inside the value
    (r'm{a="p\\q"}', "m;a=p\\q"),  # \\ is one backslash
    ('m{a="1",a="2"}', "m;a=2"),
    ('~m{a="1"}', "m;a=1"),
    ('m{name="x",a="1"}', "m;a=1"),
    ('m{a="1":,b="2"}', "m;a=1;b=2"),  # carbon's pattern also takes ':,' between pairs
    ('m{a="1", b="2"}', "m; b=2;a=1"),  # the space belongs to the tag, as in carbon
])
def test_openmetrics_form_is_canonicalised(path, canonical):
    assert tags.canonical(path) == canonical


@pytest.mark.parametrize("path, problem", [
    ("a;", "no '='"),
    ("a;x", "no '='"),
    ("a;x=1;", "no '='"),
    ("a;=1", "empty tag"),
    ("a;x=", "empty value"),
    ("a;x=~1", "starts with '~'"),
    ("a;x!=1", "'!'"),
    ("a;x^y=1", "'^'"),
    (";x=1", "no metric name"),
    ("~~;x=1", "leading '~'"),
    ('{a="1"}', "no metric name"),
    ('~{a="1"}', "leading '~'"),
    ('m{a="x{y"}', "more than one '{'"),
    ('m{a=""}', "cannot read"),
    ('m{a="~x"}', "starts with '~'"),
    ('m{a!="x"}', "'!'"),
    ('m{a="1"b="2"}', "cannot read"),
    ('m{a=1"}', "cannot read"),
    ('m{"}', "cannot read"),
    (r'm{a="x\y"}', "cannot read"),  # a backslash must escape '"' or '\'
])
def test_invalid_tags_raise_with_the_problem_named(path, problem):
    with pytest.raises(tags.InvalidTagError) as err:
        tags.canonical(path)
    assert problem in str(err.value)
    assert isinstance(err.value, ValueError)


@pytest.mark.parametrize("path, tagged", [
    ("a.b.c", False),
    ("a;b=c", True),
    ("a;", True),  # tagged syntax, invalid tags: canonical() will say so
    ('m{a="b"}', True),
    ('m"}', False),  # no '{': an ordinary name
    ('m{a="b"} ', False),
    ('m{a="b",}', False),  # must end in '"}'
])
def test_is_tagged(path, tagged):
    assert tags.is_tagged(path) is tagged


def test_parse_returns_the_name_and_every_tag():
    assert tags.parse("disk.used;rack=a1;dc=x") == ("disk.used", {"name": "disk.used", "rack": "a1", "dc": "x"})
    assert tags.parse_tags("disk.used;dc=x;rack=a1") == {"name": "disk.used", "dc": "x", "rack": "a1"}
    assert tags.parse_tags("plain.name") == {"name": "plain.name"}
    assert tags.format_path({"name": "a", "z": "1", "b": "2"}) == "a;b=2;z=1"


# '{' is left out: a path that ends in '"}' with a '{' in it is read as OpenMetrics (as carbon does)
_tag = st.text(st.characters(blacklist_characters=";!^={", blacklist_categories=("Cs",)), min_size=1, max_size=6)
_value = st.text(st.characters(blacklist_characters=";{", blacklist_categories=("Cs",)), min_size=1, max_size=6).filter(
    lambda v: not v.startswith("~"))
_name = st.text(st.characters(blacklist_characters=";{", blacklist_categories=("Cs",)), min_size=1, max_size=8).filter(
    lambda n: n.lstrip("~") and not n.endswith('"}'))


@given(_name, st.lists(st.tuples(_tag, _value), max_size=6))
def test_canonical_form_is_stable_and_keeps_every_tag(name, pairs):
    path = name + "".join(f";{t}={v}" for t, v in pairs)
    canonical = tags.canonical(path)
    assert tags.canonical(canonical) == canonical
    expected = dict(pairs)
    expected["name"] = name.lstrip("~")
    assert tags.parse_tags(canonical) == expected
    segments = canonical.split(";")[1:]
    assert segments == sorted(segments, key=lambda s: ";" + s)
