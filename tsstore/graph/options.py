"""The graph parameters of a /render image request, read and checked before anything is drawn.

Each parameter of graphite-web 1.1's render API that shapes a picture is declared once below
with its kind; a value of the wrong kind is a GraphParameterError naming the parameter and
what it accepts (answered HTTP 400). As in graphite-web an empty value or 'default' means the
parameter is absent. Sizes are bounded so one request cannot ask for a huge surface:
width and height at most MAX_SIDE pixels each and MAX_PIXELS together.
"""
from __future__ import annotations

import math
from typing import Callable
from urllib.parse import unquote_plus

from tsstore.graph.colors import ColorError, parse_color

MAX_SIDE = 8192
MAX_PIXELS = 4096 * 4096  # 64 MB of RGBA
MAX_FONT_SIZE = 200
MAX_LINE_WIDTH = 100.0
LEGEND_MAX_ITEMS = 10  # graphite-web's LEGEND_MAX_ITEMS: more series than this hide the legend

UNIT_SYSTEMS = ("si", "binary", "sec", "msec", "none")


class GraphParameterError(ValueError):
    pass


def _int_between(lo: int, hi: int) -> Callable[[str, str], int]:
    def read(name, text):
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or not lo <= value <= hi:
            raise GraphParameterError(f"{name} must be an integer between {lo} and {hi}, got {text!r}")
        return value
    return read


def _number(lo: float = -math.inf, hi: float = math.inf, above: bool = False) -> Callable[[str, str], float]:
    """A finite float in [lo, hi] (in (lo, hi] when `above`)."""
    def read(name, text):
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        low_ok = value > lo if above else value >= lo
        if not (math.isfinite(value) and low_ok and value <= hi):
            if lo == -math.inf and hi == math.inf:
                wanted = "a number"
            elif hi == math.inf:
                wanted = f"a number {'>' if above else '>='} {lo:g}"
            else:
                wanted = f"a number between {lo:g} and {hi:g}"
            raise GraphParameterError(f"{name} must be {wanted}, got {text!r}")
        return value
    return read


TRUE = ("true", "1", "yes", "on")
FALSE = ("false", "0", "no", "off")


def _bool(name, text):
    low = text.lower()
    if low in TRUE or low in FALSE:
        return low in TRUE
    raise GraphParameterError(f"{name} must be true or false, got {text!r}")


def _choice(*choices: str) -> Callable[[str, str], str]:
    def read(name, text):
        low = text.lower()
        if low not in choices:
            raise GraphParameterError(f"{name} must be one of {', '.join(choices)}, got {text!r}")
        return low
    return read


def _color(name, text):
    try:
        parse_color(text)
    except ColorError as exc:
        raise GraphParameterError(f"{name}: {exc}") from None
    return text


def _color_list(name, text):
    names = [c.strip() for c in unquote_plus(text).split(",")]
    for c in names:
        _color(name, c)
    return names


def _text(name, text):
    return unquote_plus(text)


def _y_max(name, text):
    # graphite-web's yMax=max: the top is the data's maximum, not rounded up to a step
    return "max" if text.lower() == "max" else _number()(name, text)


def _log_base(name, text):
    if text.lower() == "e":
        return math.e
    value = _number()(name, text)
    if value == 1:
        raise GraphParameterError(f"{name} must be greater than 1 (or e), got {text!r}")
    return value if value > 1 else None  # graphite-web ignores a base below 1


def _divisors(name, text):
    try:
        values = [int(d) for d in text.split(",")]
    except ValueError:
        values = []
    if not values or any(not 1 <= d <= 100 for d in values):
        raise GraphParameterError(f"{name} must be a comma-separated list of integers between 1 and 100, got {text!r}")
    return values


def _dash(name, text):
    # graphite-web hands the value to cairo's set_dash: true is a dash of 1
    if text.lower() in TRUE:
        return 1.0
    if text.lower() in FALSE:
        return None
    return _number(0, 1000, above=True)(name, text)


_width = _number(0, MAX_LINE_WIDTH)
_y = _number()
_step = _number(0, above=True)

PARAMETERS: dict[str, Callable[[str, str], object]] = {
    "graphType": _choice("line", "pie"),
    "width": _int_between(1, MAX_SIDE),
    "height": _int_between(1, MAX_SIDE),
    "margin": _int_between(-1_000_000, 1000),  # graphite-web: a negative margin means the default
    "bgcolor": _color, "fgcolor": _color, "majorGridLineColor": _color, "minorGridLineColor": _color,
    "colorList": _color_list,
    "fontName": _text,
    "fontSize": _number(1, MAX_FONT_SIZE),
    "fontBold": _bool, "fontItalic": _bool,
    "template": _text,
    "yAxisSide": _choice("left", "right"),
    "title": _text, "vtitle": _text, "vtitleRight": _text,
    "lineMode": _choice("slope", "staircase", "connected"),
    "lineWidth": _width, "thickness": _width,
    "hideLegend": _bool, "hideAxes": _bool, "hideXAxis": _bool, "hideYAxis": _bool, "hideGrid": _bool,
    "graphOnly": _bool, "drawNullAsZero": _bool, "uniqueLegend": _bool, "hideNullFromLegend": _bool,
    "legendMaxItems": _int_between(0, 1_000_000),
    "minXStep": _number(0, 10_000, above=True),
    "min": _y, "max": _y_max, "yMin": _y, "yMax": _y_max, "yLimit": _y, "yStep": _step,
    "yMinLeft": _y, "yMinRight": _y, "yMaxLeft": _y_max, "yMaxRight": _y_max,
    "yLimitLeft": _y, "yLimitRight": _y, "yStepLeft": _step, "yStepRight": _step,
    "areaMode": _choice("none", "first", "all", "stacked"),
    "areaAlpha": _number(0, 1),
    "pieMode": _choice("average", "maximum", "minimum"),
    "yUnitSystem": _choice(*UNIT_SYSTEMS),
    "logBase": _log_base,
    "rightWidth": _width, "leftWidth": _width,
    "rightColor": _color, "leftColor": _color,
    "rightDashed": _dash, "leftDashed": _dash,
    "xFormat": _text,
    "minorY": _int_between(0, 100),
    "yDivisors": _divisors,
    "connectedLimit": _int_between(0, 2**31),
    "valueLabels": _choice("none", "number", "percent"),
    "valueLabelsMin": _number(),
    "valueLabelsColor": _color,
    "pieLabels": _choice("horizontal", "rotated"),
}


def parse_graph_options(params) -> dict:
    """The graph parameters present in `params` (anything with get(name) -> str | None), each
    as its kind; width and height always (330 x 250 unless given)."""
    out: dict = {}
    for name, read in PARAMETERS.items():
        text = params.get(name)
        if text is None or text == "" or text.lower() == "default":
            continue
        value = read(name, text)
        if value is not None:
            out[name] = value
    out.setdefault("width", 330)
    out.setdefault("height", 250)
    if out["width"] * out["height"] > MAX_PIXELS:
        raise GraphParameterError(f"width x height must be at most {MAX_PIXELS} pixels, "
                                  f"got {out['width']} x {out['height']}")
    # graphite-web's older names
    if "min" in out:
        out.setdefault("yMin", out.pop("min"))
    if "max" in out:
        out.setdefault("yMax", out.pop("max"))
    if "thickness" in out:
        out.setdefault("lineWidth", out.pop("thickness"))
    return out
