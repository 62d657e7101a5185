"""The legend under the plot: one colored box and name per series, in as many columns of the
longest name's width as fit, as graphite-web lays it out. With a second y axis and room for two
names side by side, left-axis series fill columns from the left and right-axis series from the
right. Drawing it takes its height from the bottom of the plot area."""
from __future__ import annotations

import math
from dataclasses import dataclass

from tsstore.graph.canvas import Canvas, TextStyle

PADDING = 5
BOX_BORDER = "darkgrey"


@dataclass
class Item:
    name: str
    color: str
    right: bool = False  # drawn against the right y axis


def unique(items: list[Item]) -> list[Item]:
    """The first item of each name (uniqueLegend)."""
    seen: set[str] = set()
    out = []
    for item in items:
        if item.name not in seen:
            seen.add(item.name)
            out.append(item)
    return out


def draw_legend(canvas: Canvas, items: list[Item], area: dict, style: TextStyle, fg: str,
                second_axis: bool) -> None:
    longest = max((i.name for i in items), key=len)
    box = style.height - 1
    line_height = style.height + 1
    label_width = style.width(longest) + 2 * (box + PADDING)
    two_sided = second_axis and style.width(longest + " " + longest) + 2 * (box + PADDING) + 50 < canvas.width
    if two_sided:
        columns = max(1, math.floor((canvas.width - area["xmin"]) / label_width))
        columns = max(1, math.floor(columns / 2.0))
        n_right = sum(1 for i in items if i.right)
        lines = max(len(items) - n_right, n_right)
        area["ymax"] -= max(1, lines / columns) * line_height + PADDING
    else:
        columns = max(1, math.floor(canvas.width / label_width))
        area["ymax"] -= math.ceil(len(items) / columns) * line_height + PADDING
    x = area["xmin"]
    y = area["ymax"] + 2 * PADDING
    x_right_start = area["xmax"] - area["xmin"]
    x_right, y_right, n_left, n_right = x_right_start, y, 0, 0
    text_color = canvas.color(fg)
    for i, item in enumerate(items):
        if two_sided and item.right:
            n_right += 1
            _box(canvas, x_right - PADDING, y_right, box, item.color)
            canvas.text(item.name, x_right - box, y_right, style, text_color, align="right")
            x_right -= label_width
            if n_right % columns == 0:
                x_right, y_right = x_right_start, y_right + line_height
            continue
        if item.right:  # one-sided layout: the box after the name
            _box(canvas, x + label_width + PADDING, y, box, item.color)
            canvas.text(item.name, x + label_width, y, style, text_color, align="right")
        else:
            _box(canvas, x, y, box, item.color)
            canvas.text(item.name, x + box + PADDING, y, style, text_color)
        x += label_width
        n_left += 1
        if (n_left if two_sided else i + 1) % columns == 0:
            x, y = area["xmin"], y + line_height


def _box(canvas: Canvas, x: float, y: float, size: float, color: str) -> None:
    canvas.fill_rect(x, y, size, size, canvas.color(color))
    canvas.stroke_rect(x, y, size, size, canvas.color(BOX_BORDER), 1.0)
