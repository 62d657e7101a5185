"""Each graph parameter changes the picture the way it should: the line graph drawn for real
(skia, PNG decoded back), looked at by its pixels and by the layout the graph chose."""
from zoneinfo import ZoneInfo

import numpy as np

from tests.graph.data import START, STEP, saw, three
from tests.helpers.images import decode_png
from tsstore.graph.canvas import Canvas
from tsstore.graph.line import LineGraph
from tsstore.graph.options import parse_graph_options
from tsstore.query.series import TimeSeries

UTC = ZoneInfo("UTC")
BLUE = (100, 100, 255)  # graphite-web's blue, the first default line color
BLACK = (0, 0, 0)


def draw(series, **params) -> tuple[np.ndarray, LineGraph]:
    opts = parse_graph_options({k: str(v) for k, v in params.items()})
    canvas = Canvas(opts["width"], opts["height"], "png")
    graph = LineGraph(canvas, series, opts, UTC)
    graph.draw()
    return decode_png(canvas.finish()), graph


def count(img: np.ndarray, rgb, tolerance: int = 10, rows=slice(None)) -> int:
    return int((np.abs(img[rows, :, :3].astype(int) - rgb).max(axis=2) <= tolerance).sum())


def test_bgcolor_fills_the_picture():
    img, _ = draw(three(), bgcolor="102030")
    assert tuple(img[0, 0]) == (16, 32, 48, 255) and tuple(img[-1, -1]) == (16, 32, 48, 255)


def test_text_is_drawn():
    # the legend names and axis labels are black (fgcolor) pixels; none without axes or legend
    img, _ = draw(three())
    assert count(img, BLACK, 60) > 300
    img, _ = draw(three(), hideAxes="true", hideLegend="true")
    assert count(img, BLACK, 60) == 0


def test_hide_legend_gives_the_plot_the_legends_room():
    _, with_legend = draw(three())
    _, without = draw(three(), hideLegend="true")
    assert without.area["ymax"] == with_legend.area["ymax"] + 18  # one legend line: 13 px + 5 padding
    img, _ = draw(three(), hideLegend="true")
    assert count(img, BLACK, 60, rows=slice(int(without.area["ymax"]) + 20, None)) == 0


def test_more_series_than_legend_max_items_hide_the_legend():
    many = [saw(f"s{i}", i) for i in range(11)]
    _, graph = draw(many)
    assert graph.area["ymax"] > 200  # only the time labels below the plot
    _, graph = draw(many, legendMaxItems=20)
    assert graph.area["ymax"] < 200


def test_ymin_ymax_change_the_labels():
    _, graph = draw(three())
    assert graph.axis_l.labels[0] == "0 " and graph.axis_l.labels[-1] == "50.0 "
    _, graph = draw(three(), yMin=-100, yMax=100)
    assert graph.axis_l.values[0] == -100 and graph.axis_l.values[-1] == 100


def test_area_mode_first_fills_under_the_first_series():
    lines, _ = draw(three())
    filled, _ = draw(three(), areaMode="first")
    assert count(filled, BLUE) > 5 * count(lines, BLUE)


def test_area_mode_stacked_puts_the_series_on_each_other():
    _, graph = draw(three(), areaMode="stacked")
    # the axis is for the sums: 28.5 + 38.5 + 48.5 at the top of each tooth
    assert graph.axis_l.top >= 115.5


def test_line_width_thickens():
    thin, _ = draw([saw("a")], lineWidth=1, hideLegend="true")
    thick, _ = draw([saw("a")], lineWidth=4, hideLegend="true")
    assert count(thick, BLUE, 60) > 2.5 * count(thin, BLUE, 60)


def test_color_list_colors_the_series_in_order():
    img, _ = draw(three(), colorList="ff0000,00ff00,0000ff", hideLegend="true")
    for rgb in ((255, 0, 0), (0, 255, 0), (0, 0, 255)):
        assert count(img, rgb, 30) > 50


def test_graph_only_is_the_lines_alone():
    img, graph = draw(three(), graphOnly="true")
    assert graph.area == {"xmin": 0, "xmax": 330, "ymin": 0, "ymax": 250}
    assert count(img, BLACK, 60) == 0


def test_draw_null_as_zero_drops_the_gap_to_zero():
    gappy = [saw("a", 10, gaps=range(20, 30))]
    _, graph = draw(gappy, hideLegend="true")
    assert graph.axis_l.bottom == 10
    img, graph = draw(gappy, hideLegend="true", drawNullAsZero="true")
    assert graph.axis_l.bottom == 0
    y0 = int(round(graph.y_coord(0.0, graph.axis_l)))
    band = img[y0 - 2:y0 + 1, :, :3].astype(int)
    bluish = (band[:, :, 2] - band[:, :, 0] > 40).any(axis=0)
    assert bluish.sum() > 40  # the line runs along zero (the plot's bottom edge) through the gap


def test_staircase_differs_from_slope():
    slope, _ = draw([saw("a")], hideLegend="true")
    stairs, _ = draw([saw("a")], hideLegend="true", lineMode="staircase")
    assert (np.abs(slope.astype(int) - stairs.astype(int)).max(axis=2) > 60).mean() > 0.005


def test_connected_mode_bridges_short_gaps_only():
    gappy = [saw("a", 10, gaps=[20, 21, 40, 41, 42, 43, 44, 45])]
    canvas = Canvas(330, 250, "png")
    graph = LineGraph(canvas, gappy, parse_graph_options({"lineMode": "connected", "connectedLimit": "3"}), UTC)
    graph.draw()
    n = len(gappy[0].values)
    xs = np.arange(n + 1, dtype=float)
    pieces = graph._pieces(xs, np.ones(n), ~np.isnan(gappy[0].values), merge=True)
    assert len(pieces) == 2  # the 2-null gap is bridged, the 6-null one is not


def test_second_y_axis_draws_labels_on_the_right():
    series = [saw("left"), saw("right", 1000)]
    series[1].options["secondYAxis"] = True
    img, graph = draw(series, vtitleRight="units")
    assert graph.axis_r is not None and graph.axis_r.values[0] >= 1000
    right_band = img[:, int(graph.area["xmax"]) + 3:, :3]
    assert (np.abs(right_band.astype(int) - 0).max(axis=2) < 60).sum() > 100  # labels and title in black


def test_log_base_spaces_powers_evenly():
    series = [TimeSeries("a", START, START + 4 * STEP, STEP, np.array([1.0, 10.0, 100.0, 1000.0]))]
    _, graph = draw(series, logBase=10)
    ys = [graph.y_coord(v, graph.axis_l) for v in (1.0, 10.0, 100.0, 1000.0)]
    gaps = np.diff(ys)
    assert np.allclose(gaps, gaps[0]) and gaps[0] < 0


def test_title_takes_room_above_the_plot():
    _, plain = draw(three())
    _, titled = draw(three(), title="A\nB")
    assert titled.area["ymin"] > plain.area["ymin"] + 25  # two lines of the 12 px title font


def test_y_axis_side_right_moves_the_labels():
    _, graph = draw(three(), yAxisSide="right")
    labels = graph.axis_l.label_width
    assert graph.area["xmin"] == 20 and graph.area["xmax"] == 330 - labels * 1.02 and labels > 15


def test_no_series_draws_no_data_in_red():
    img, _ = draw([])
    assert count(img, (255, 0, 0), 60) > 50  # anti-aliasing off: graphite-web's red 200,0,50 and its edges


def test_infinite_values_are_drawn_at_the_top_edge():
    values = np.array([1.0, 2.0, np.inf, 2.0, 1.0])
    img, graph = draw([TimeSeries("a", START, START + 5 * STEP, STEP, values)], hideLegend="true", yMax=10)
    top = int(graph.area["ymin"])
    assert graph.axis_l.low == 1.0  # the infinity does not count in the axis' range
    _, finite = draw([TimeSeries("a", START, START + 5 * STEP, STEP, values.clip(0, 2))], hideLegend="true", yMax=10)
    assert finite.axis_l.values == graph.axis_l.values
    band = img[top:top + 2, :, :3].astype(int)
    assert ((band[:, :, 2] - band[:, :, 0]) > 40).any()  # the line reaches the plot's top edge
