"""The graph parameters read and checked (tsstore/graph/options.py) and the colors they name."""
import pytest

from tsstore.graph.colors import ColorError, parse_color, rgba
from tsstore.graph.options import GraphParameterError, parse_graph_options


def test_defaults_are_graphite_webs_size_and_nothing_else():
    assert parse_graph_options({}) == {"width": 330, "height": 250}


def test_values_are_read_as_their_kind():
    opts = parse_graph_options({"width": "600", "yMin": "-2.5", "hideLegend": "true", "lineMode": "Staircase",
                                "colorList": "red,%23ff0000,00ff0080", "title": "a+b%20c", "logBase": "e",
                                "yDivisors": "3,7", "rightDashed": "true"})
    assert opts["width"] == 600 and opts["yMin"] == -2.5 and opts["hideLegend"] is True
    assert opts["lineMode"] == "staircase"
    assert opts["colorList"] == ["red", "#ff0000", "00ff0080"]
    assert opts["title"] == "a b c"  # unquoted as graphite-web does ('+' is a space)
    assert opts["logBase"] == pytest.approx(2.718281828) and opts["yDivisors"] == [3, 7]
    assert opts["rightDashed"] == 1.0


def test_empty_and_default_values_mean_absent():
    assert parse_graph_options({"width": "", "bgcolor": "default", "yMin": ""}) == {"width": 330, "height": 250}


def test_graphite_webs_older_names():
    opts = parse_graph_options({"min": "1", "max": "9", "thickness": "3"})
    assert (opts["yMin"], opts["yMax"], opts["lineWidth"]) == (1.0, 9.0, 3.0)
    assert "min" not in opts and "thickness" not in opts
    assert parse_graph_options({"min": "1", "yMin": "2"})["yMin"] == 2.0


def test_a_log_base_below_one_is_ignored_as_graphite_web_does():
    assert "logBase" not in parse_graph_options({"logBase": "0.5"})


@pytest.mark.parametrize("params, message", [
    ({"width": "-3"}, "width must be an integer between 1 and 8192, got '-3'"),
    ({"height": "1.5"}, "height must be an integer between 1 and 8192"),
    ({"width": "5000", "height": "5000"}, "width x height must be at most 16777216 pixels, got 5000 x 5000"),
    ({"fgcolor": "#12345"}, "fgcolor: '#12345' is not a color"),
    ({"pieMode": "median"}, "pieMode must be one of average, maximum, minimum"),
    ({"minorY": "-1"}, "minorY must be an integer between 0 and 100"),
    ({"yMax": "top"}, "yMax must be a number, got 'top'"),
    ({"yMin": "nan"}, "yMin must be a number"),
    ({"yStep": "inf"}, "yStep must be a number > 0"),
    ({"fontBold": "bold"}, "fontBold must be true or false"),
    ({"connectedLimit": "x"}, "connectedLimit must be an integer"),
    ({"pieLabels": "around"}, "pieLabels must be one of horizontal, rotated"),
])
def test_bad_values_name_the_parameter(params, message):
    with pytest.raises(GraphParameterError) as err:
        parse_graph_options(params)
    assert message in str(err.value)


def test_colors_graphite_web_names_and_hex():
    assert parse_color("green") == (0, 200, 0, None)  # graphite-web's green, not CSS's
    assert parse_color("DarkGrey") == (111, 111, 111, None)
    assert parse_color("#ff8000") == (255, 128, 0, None)
    assert parse_color("%23ff8000") == (255, 128, 0, None)
    assert parse_color("ff800080")[3] == pytest.approx(128 / 255)
    with pytest.raises(ColorError):
        parse_color("blurple")


def test_a_colors_own_alpha_wins_unless_forced():
    assert rgba("ff000080", 1.0)[3] == pytest.approx(128 / 255)
    assert rgba("ff000080", 0.0, force=True)[3] == 0.0
    assert rgba("red", 0.25) == pytest.approx((200 / 255, 0.0, 50 / 255, 0.25))
