"""What every graph draws around its data, as graphite-web's Graph does for line and pie
alike: the default look, the fonts (text and title), the title lines, and "No Data"."""
from __future__ import annotations

import math

from tsstore.graph.canvas import Canvas, TextStyle

DEFAULTS = {"bgcolor": "white", "fgcolor": "black", "majorGridLineColor": "rose",
            "minorGridLineColor": "grey", "fontName": "Sans", "fontSize": 10}


def font_styles(opts: dict) -> tuple[TextStyle, TextStyle]:
    """(text, title) styles: the title is fontSize + floor(ln fontSize) pixels."""
    size = int(opts.get("fontSize", DEFAULTS["fontSize"]))
    name, bold, italic = opts.get("fontName", DEFAULTS["fontName"]), opts.get("fontBold", False), opts.get("fontItalic", False)
    return TextStyle(name, size, bold, italic), TextStyle(name, size + math.floor(math.log(size)), bold, italic)


def draw_title(canvas: Canvas, text: str, area: dict, style: TextStyle, fg: str, margin: int, right_axis: bool) -> None:
    y = area["ymin"]
    for line in text.split("\n"):
        canvas.text(line, canvas.width / 2, y, style, canvas.color(fg), align="center")
        y += style.height
    area["ymin"] = y if right_axis else y + margin


def no_data(canvas: Canvas) -> None:
    style = TextStyle(DEFAULTS["fontName"], math.log(canvas.width * canvas.height), False, False)
    canvas.text("No Data", canvas.width / 2, canvas.height / 2, style, canvas.color("red"), align="center")
