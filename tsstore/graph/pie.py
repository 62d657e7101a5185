"""The pie chart (graphType=pie), as graphite-web's PieGraph draws it: one slice per (name,
value) clockwise from 12 o'clock, the title and legend taking their room first, and each
slice's share (valueLabels=percent, default) or value (number) written halfway out, level or
turned along the slice (pieLabels=rotated), unless below valueLabelsMin."""
from __future__ import annotations

import itertools
import math

from tsstore.graph import legend
from tsstore.graph.canvas import Canvas
from tsstore.graph.colors import DEFAULT_COLOR_LIST
from tsstore.graph.frame import DEFAULTS, draw_title, font_styles, no_data


def draw_pie(canvas: Canvas, slices: list[tuple[str, float]], opts: dict) -> None:
    c = canvas
    c.fill_rect(0, 0, c.width, c.height, c.color(opts.get("bgcolor", DEFAULTS["bgcolor"])))
    if not slices:
        return no_data(c)
    margin = opts.get("margin", 10)
    margin = 10 if margin < 0 else margin
    area = {"xmin": margin + 10, "xmax": c.width - margin, "ymin": margin, "ymax": c.height - margin}
    fg = opts.get("fgcolor", DEFAULTS["fgcolor"])
    text, title = font_styles(opts)
    slices = [(name, value if math.isfinite(value) else 0.0) for name, value in slices]  # no angle for inf
    total = sum(v for _, v in slices)
    cycle = itertools.cycle(opts.get("colorList") or DEFAULT_COLOR_LIST)
    colored = [(name, value, next(cycle)) for name, value in slices]
    if opts.get("title"):
        draw_title(c, opts["title"], area, title, fg, margin, opts.get("yAxisSide") == "right")
    if not opts.get("hideLegend"):
        legend.draw_legend(c, [legend.Item(name, color) for name, _, color in colored], area, text, fg, False)
    half_x = (area["xmax"] - area["xmin"]) / 2.0
    half_y = (area["ymax"] - area["ymin"]) / 2.0
    x0, y0 = area["xmin"] + half_x, area["ymin"] + half_y
    radius = max(0.0, min(half_x, half_y) * 0.95)
    alpha = opts.get("areaAlpha", 1.0)
    theta = 3.0 * math.pi / 2.0
    middles = []
    for name, value, color in colored:
        share = value / total if total else 0.0
        sweep = 2 * math.pi * share
        c.fill_wedge(x0, y0, radius, theta, sweep, c.color(color, alpha))
        middles.append(((theta + theta + sweep) / 2.0) % (2 * math.pi))
        theta += sweep
    mode = opts.get("valueLabels", "percent")
    if mode == "none":
        return
    minimum = opts.get("valueLabelsMin", 5.0)
    label_color = c.color(opts.get("valueLabelsColor", "black"))
    for (name, value, _), mid in zip(colored, middles):
        share = value / total if total else 0.0
        if mode == "percent":
            if share * 100.0 < minimum:
                continue
            label = "%%%.2f" % (share * 100.0)  # graphite-web writes the sign first: %42.00
        else:
            if value < minimum:
                continue
            label = "%.2f" % value if value < 10 and value != int(value) else str(int(value))
        x = x0 + radius / 2.0 * math.cos(mid)
        y = y0 + radius / 2.0 * math.sin(mid)
        angle = 0.0
        if opts.get("pieLabels") == "rotated":
            angle = mid - math.pi if math.pi / 2.0 < mid <= 3.0 * math.pi / 2.0 else mid
            angle = math.degrees(angle)
        c.text(label, x, y, text, label_color, align="center", valign="middle", rotate=angle)
