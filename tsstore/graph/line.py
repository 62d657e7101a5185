"""The line graph (graphType=line), laid out and drawn as graphite-web's LineGraph does.

Order of work: background; title, vertical titles and legend take their room from the plot
area; the x labels take two text heights at the bottom; each series is consolidated to the
pixels left (minXStep), the y axis chosen for the consolidated values and the plot narrowed
for its labels, again until the labels' width stops changing; then labels, grid and lines.
Points are placed with numpy and each run of non-null values becomes one polyline.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from datetime import tzinfo
from urllib.parse import unquote_plus

import numpy as np

from tsstore.graph import legend, timeaxis
from tsstore.graph.canvas import Canvas
from tsstore.graph.colors import DEFAULT_COLOR_LIST, ColorError, parse_color
from tsstore.graph.frame import DEFAULTS, draw_title, font_styles, no_data
from tsstore.graph.options import LEGEND_MAX_ITEMS, GraphParameterError
from tsstore.graph.ticks import Axis, axis
from tsstore.query.series import TimeSeries, consolidate

FAR_BELOW = 1e6  # pixels: where a value far under the axis is drawn from (outside the plot)


def series_color(value: str, s: TimeSeries) -> str:
    try:
        parse_color(value)
    except ColorError as exc:
        raise GraphParameterError(f"the color of series {s.name!r}: {exc}") from None
    return value


@dataclass
class Line:
    """A series as drawn: its consolidated values and where they go."""

    series: TimeSeries
    color: str
    options: dict
    values: np.ndarray = None  # consolidated, NaN for null
    x_step: float = 1.0
    vpp: int = 1

    @property
    def right(self) -> bool:
        return bool(self.options.get("secondYAxis"))


def data_limits(lines: list[Line], null_as_zero: bool, stacked: bool, log: bool) -> tuple[float, float]:
    """The smallest and largest value the axis must show (graphite-web's dataLimits): drawn-as-
    infinite series do not count; stacked areas count their sums; a log axis only values > 0."""
    finite = [ln for ln in lines if not ln.options.get("drawAsInfinite")]
    pools = [ln.values[np.isfinite(ln.values) & ((ln.values > 0) if log else True)] for ln in finite]
    pools = [p for p in pools if len(p)]
    if not pools:
        return 0.0, 1.0
    missing = any(np.isnan(ln.series.values).any() for ln in lines)
    low = min(float(p.min()) for p in pools)
    if low > 0 and null_as_zero and missing and not log:
        low = 0.0
    if stacked:
        n = min(len(ln.values) for ln in finite)
        sums = np.zeros(n)
        for ln in finite:
            v = ln.values[:n]
            sums += np.where(np.isfinite(v), v, 0.0)
        high = float(sums.max()) if n else low
    else:
        high = max(float(p.max()) for p in pools)
    if high < 0 and null_as_zero and missing:
        high = 0.0
    return low, high


def runs(known: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) of each stretch of True."""
    edges = np.diff(np.concatenate(([0], known.view(np.int8), [0])))
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist()))


class LineGraph:
    def __init__(self, canvas: Canvas, series: list[TimeSeries], opts: dict, tz: tzinfo):
        self.canvas, self.opts, self.tz = canvas, dict(opts), tz
        self.width, self.height = canvas.width, canvas.height
        margin = opts.get("margin", 10)
        self.margin = 10 if margin < 0 else margin
        self.area = {"xmin": self.margin + 10, "xmax": self.width - self.margin,
                     "ymin": self.margin, "ymax": self.height - self.margin}
        self.fg = opts.get("fgcolor", DEFAULTS["fgcolor"])
        self.text, self.title_style = font_styles(opts)
        self.text_params = (opts.get("fontName", DEFAULTS["fontName"]), int(opts.get("fontSize", DEFAULTS["fontSize"])),
                            bool(opts.get("fontBold")), bool(opts.get("fontItalic")))
        self.series = series
        self.log_base = opts.get("logBase")

    # -- layout
    def draw(self) -> None:
        o, c = self.opts, self.canvas
        c.fill_rect(0, 0, self.width, self.height, c.color(o.get("bgcolor", DEFAULTS["bgcolor"])))
        if not self.series:
            return no_data(c)
        start = min(s.start for s in self.series)
        if max(s.end for s in self.series) - start <= 0:
            return no_data(c)
        lines = self.drawn = self._lines()
        self.second = any(ln.right for ln in lines)
        if o.get("graphOnly"):
            o.update(hideLegend=True, hideGrid=True, hideAxes=True, hideXAxis=False, hideYAxis=False,
                     yAxisSide="left", title="", vtitle="", margin=0)
            self.margin = 0
            self.area = {"xmin": 0, "xmax": self.width, "ymin": 0, "ymax": self.height}
        if self.second:
            o["yAxisSide"] = "left"
        self.right_side = o.get("yAxisSide") == "right"
        self.line_width = o.get("lineWidth", 1.2)
        self.line_mode = o.get("lineMode", "slope")
        self.area_mode = o.get("areaMode", "none")
        if self.line_mode == "slope" and any(len(s.values) == 1 for s in self.series):
            self.line_mode = "staircase"  # a one-point series has no slope to draw
        if o.get("title"):
            draw_title(c, o["title"], self.area, self.title_style, self.fg, self.margin, self.right_side)
        if o.get("vtitle"):
            self._vtitle(o["vtitle"], right=False)
        if self.second and o.get("vtitleRight"):
            self._vtitle(o["vtitleRight"], right=True)
        self._legend(lines)
        if not o.get("hideAxes") and not o.get("hideXAxis"):
            self.area["ymax"] -= self.text.ascent * 2
        self.start = start
        if self.line_mode == "staircase":
            self.end = max(s.end for s in self.series)
        else:
            self.end = max(s.end - s.step for s in self.series)
        self.time_range = self.end - self.start
        if self.time_range <= 0:  # one point per series in slope mode: nothing spans the x axis
            self.time_range = max(s.step for s in self.series)
            self.end = self.start + self.time_range
        bounds = None
        for _ in range(10):  # the labels' width decides the plot's, which decides the labels
            self._consolidate(lines)
            self._setup_y(lines)
            if bounds == (self.area["xmin"], self.area["xmax"]):
                break
            bounds = (self.area["xmin"], self.area["xmax"])
        self.scale = timeaxis.choose_scale(self.time_range, self.graph_width)
        self.x_factor = self.graph_width / self.time_range
        if not o.get("hideAxes"):
            self._labels()
            if not o.get("hideGrid"):
                self._grid()
        self._lines_draw(lines)

    def metadata(self) -> dict:
        """What graphite-web embeds in its SVG as `metadata` (its docs list it): the plot area,
        the x range, the y axis (one-axis graphs), the font, and each series not stacked."""
        if not hasattr(self, "x_factor"):
            return {}
        f = self.text_params
        meta = {"x": {"start": self.start, "end": self.end}, "options": {"lineWidth": self.line_width},
                "font": {"name": f[0], "size": f[1], "bold": f[2], "italic": f[3]}, "area": dict(self.area),
                "series": [{"name": ln.series.name, "start": ln.series.start, "end": ln.series.end,
                            "step": ln.series.step, "valuesPerPoint": ln.vpp, "color": ln.color,
                            "data": [None if v != v else v for v in ln.series.values.tolist()],
                            "options": {k: v for k, v in ln.options.items() if isinstance(v, (str, int, float, bool))}}
                           for ln in self.drawn if not ln.options.get("stacked")]}
        if not self.second:
            a = self.axis_l
            meta["y"] = {"top": a.top, "bottom": a.bottom, "step": a.step, "labels": a.labels, "labelValues": a.values}
        return meta

    def _lines(self) -> list[Line]:
        o = self.opts
        cycle = itertools.cycle(o.get("colorList") or DEFAULT_COLOR_LIST)
        lines = []
        second = any(s.options.get("secondYAxis") for s in self.series)
        for s in self.series:
            opts = dict(s.options)
            color = opts.get("color")
            if second:  # leftWidth/rightColor/... apply only to a graph with two axes
                side = "right" if opts.get("secondYAxis") else "left"
                if side + "Width" in o:
                    opts["lineWidth"] = o[side + "Width"]
                if side + "Dashed" in o:
                    opts["dashed"] = o[side + "Dashed"]
                if side + "Color" in o:
                    color = o[side + "Color"]
            color = series_color(color, s) if color else next(cycle)
            lines.append(Line(s, color, opts))
        return lines

    def _vtitle(self, text: str, right: bool) -> None:
        # in the title's font: graphite-web draws the vertical titles before it sets the text font back
        style = self.title_style
        h = style.height
        color = self.canvas.color(self.fg)
        if right:
            x = self.area["xmax"] - h
            for line in text.split("\n"):
                self.canvas.text(line, x, self.height / 2, style, color, "center", "baseline", rotate=90)
                x -= h
            self.area["xmax"] = x - self.margin - h
        else:
            x = self.area["xmin"] + h
            for line in text.split("\n"):
                self.canvas.text(line, x, self.height / 2, style, color, "center", "baseline", rotate=270)
                x += h
            self.area["xmin"] = x + self.margin + h

    def _legend(self, lines: list[Line]) -> None:
        o = self.opts
        if o.get("hideLegend", len(lines) > o.get("legendMaxItems", LEGEND_MAX_ITEMS)):
            return
        items = [legend.Item(unquote_plus(ln.series.name), ln.color, ln.right) for ln in lines
                 if ln.series.name and not (o.get("hideNullFromLegend") and np.isnan(ln.series.values).all())]
        if o.get("uniqueLegend"):
            items = legend.unique(items)
        if items:
            legend.draw_legend(self.canvas, items, self.area, self.text, self.fg, self.second)

    def _consolidate(self, lines: list[Line]) -> None:
        """Each series' values at most one per minXStep pixels, and the pixels between points."""
        # at least a pixel: a picture too small for its labels still draws (graphite-web divides by zero)
        pixels = self.graph_width = max(1.0, self.area["xmax"] - self.area["xmin"] - (self.line_width + 1))
        min_x_step = self.opts.get("minXStep", 1.0)
        for ln in lines:
            s = ln.series
            points = self.time_range / s.step
            best = pixels / points
            if best < min_x_step:
                drawable = max(1, int(pixels / min_x_step))
                vpp = max(1, math.ceil(points / drawable))
                ln.x_step = pixels * vpp / points
            else:
                vpp, ln.x_step = 1, best
            if vpp != ln.vpp or ln.values is None:
                ln.vpp = vpp
                ln.values = self._drawn(s, s.values, vpp)

    def _drawn(self, s: TimeSeries, raw: np.ndarray, vpp: int) -> np.ndarray:
        values = consolidate(raw, vpp, s.consolidation_func, s.xfiles_factor).astype(float)
        return np.where(np.isnan(values), 0.0, values) if self.opts.get("drawNullAsZero") else values

    def _setup_y(self, lines: list[Line]) -> None:
        try:
            self._choose_y(lines)
        except (OverflowError, ZeroDivisionError) as exc:  # values near the float limits with a tiny yStep, a log base
            raise GraphParameterError(f"the y axis cannot be drawn for these values and settings: {exc}") from None

    def _choose_y(self, lines: list[Line]) -> None:
        o = self.opts
        stacked = self.area_mode == "stacked"
        null_zero = bool(o.get("drawNullAsZero"))
        if self.second:
            left = [ln for ln in lines if not ln.right]
            right = [ln for ln in lines if ln.right]
            self.axis_l = axis(*data_limits(left, null_zero, stacked, bool(self.log_base)), o, "Left")
            self.axis_r = axis(*data_limits(right, null_zero, stacked, bool(self.log_base)), o, "Right")
            self.axes = {"left": self.axis_l, "right": self.axis_r}
        else:
            self.axis_l = axis(*data_limits(lines, null_zero, stacked, bool(self.log_base)), o)
            self.axis_r = None
            self.axes = {"left": self.axis_l, "right": self.axis_l}
        if o.get("hideAxes"):
            for a in {id(a): a for a in self.axes.values()}.values():
                a.values, a.labels, a.label_width = [], [], 0.0
            return
        for a in {id(a): a for a in self.axes.values()}.values():
            a.values = a.label_values()
            a.labels = [a.label(v) for v in a.values]
            a.label_width = max((self.text.width(t) for t in a.labels), default=0.0)
        if self.second:
            self.area["xmin"] = max(self.area["xmin"], self.margin + self.axis_l.label_width * 1.02)
            self.area["xmax"] = min(self.area["xmax"], self.width - self.axis_r.label_width * 1.02)
        elif not o.get("hideYAxis"):
            if self.right_side:  # graphite-web measures the right side from the full width
                self.area["xmax"] = min(self.area["xmax"], self.width - self.axis_l.label_width * 1.02)
            else:
                self.area["xmin"] = max(self.area["xmin"], self.margin + self.axis_l.label_width * 1.02)

    def y_coords(self, values: np.ndarray, a: Axis) -> np.ndarray:
        """Pixel rows of values on axis a; the ends are the outermost labels when there are
        labels (as graphite-web scales), else the axis' bottom and top."""
        low, high = (min(a.values), max(a.values)) if len(a.values) > 1 else (a.bottom, a.top)
        pixels = self.area["ymax"] - self.area["ymin"]
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.log_base:
                rel = np.log(values) / math.log(self.log_base) - math.log(low, self.log_base)
                span = math.log(high, self.log_base) - math.log(low, self.log_base)
            else:
                rel, span = values - low, high - low
            return self.area["ymax"] - rel * (pixels / span)

    def y_coord(self, value: float, a: Axis) -> float:
        return float(self.y_coords(np.array([value], dtype=float), a)[0])

    # -- axes and grid
    def _labels(self) -> None:
        c, o = self.canvas, self.opts
        color = c.color(self.fg)
        if not o.get("hideYAxis"):
            sides = [("left", self.axis_l)] + ([("right", self.axis_r)] if self.second else [])
            for side, a in sides:
                if side == "right":
                    x, align = self.area["xmax"] + a.label_width * 0.02 + 3, "left"
                elif self.right_side:
                    x, align = self.area["xmax"] + a.label_width * 0.02, "left"
                else:
                    x, align = self.area["xmin"] - a.label_width * 0.02, "right"
                for value, label in zip(a.values, a.labels):
                    y = self.y_coord(value, a)
                    if math.isfinite(y):
                        c.text(label, x, max(y, 0.0), self.text, color, align=align, valign="middle")
        if not o.get("hideXAxis"):
            fmt = o.get("xFormat", self.scale.format)
            y = self.area["ymax"] + self.text.ascent
            for dt in timeaxis.ticks(self.start, self.end, self.tz, self.scale.label_unit, self.scale.label_step):
                x = self.area["xmin"] + (dt.timestamp() - self.start) * self.x_factor
                c.text(dt.strftime(fmt), x, y, self.text, color, align="center")

    def _grid(self) -> None:
        c, o, a = self.canvas, self.opts, self.axis_l
        left, right, top, bottom = self.area["xmin"], self.area["xmax"], self.area["ymin"], self.area["ymax"]
        major = c.color(o.get("majorGridLineColor", DEFAULTS["majorGridLineColor"]))
        minor = c.color(o.get("minorGridLineColor", DEFAULTS["minorGridLineColor"]))
        minor_y = o.get("minorY", 1)
        top_factor = self.log_base ** 2 if self.log_base else 1
        for i, value in enumerate(a.values):
            y = self.y_coord(value, a)
            if math.isfinite(y) and y >= 0:
                c.line(left, y, right, y, major, 0.4)
            if minor_y >= 1 and i < len(a.values) - 1:
                lo, hi = sorted((value, a.values[i + 1]))
                gap = (hi - lo) / (1 + minor_y)
                for k in range(minor_y):
                    v = lo + (k + 1) * gap
                    if v >= top_factor * a.top:
                        continue
                    y = self.y_coord(v, a)
                    if math.isfinite(y) and y >= 0:
                        c.line(left, y, right, y, minor, 0.3)
        s = self.scale
        for unit, step, color, width in ((s.minor_unit, s.minor_step, minor, 0.25), (s.major_unit, s.major_step, major, 0.33)):
            for dt in timeaxis.ticks(self.start, self.end, self.tz, unit, step):
                x = left + (dt.timestamp() - self.start) * self.x_factor
                if x < right:
                    c.line(x, bottom, x, top, color, width)
        c.line(right, bottom, right, top, major, 0.5)
        c.line(left, bottom, left, top, major, 0.5)

    # -- series
    def _lines_draw(self, lines: list[Line]) -> None:
        c, o = self.canvas, self.opts
        if any(ln.options.get("stacked") for ln in lines):  # stacked areas are drawn first
            lines = [ln for ln in lines if ln.options.get("stacked")] + [ln for ln in lines if not ln.options.get("stacked")]
        if self.area_mode == "stacked" and not self.second:
            # the raw values are stacked, then consolidated (as graphite-web: a null in one
            # series dents the areas above it)
            total = np.zeros(max(len(ln.series.values) for ln in lines))
            for ln in lines:
                if ln.options.get("drawAsInfinite"):
                    continue
                ln.options["stacked"] = True
                raw = ln.series.values
                known = ~np.isnan(raw)
                total[:len(raw)][known] += raw[known]  # a null adds nothing and stays null
                ln.values = self._drawn(ln.series, np.where(known, total[:len(raw)], np.nan), ln.vpp)
        elif self.area_mode == "first" and lines:
            lines[0].options["stacked"] = True
        elif self.area_mode == "all":
            for ln in lines:
                if not ln.options.get("drawAsInfinite"):
                    ln.options["stacked"] = True
        if "areaAlpha" in o:  # areas see-through, each outlined by a line of its color
            outlines = []
            for ln in lines:
                if ln.options.get("stacked"):
                    ln.options["alpha"] = o["areaAlpha"]
                    outlines.append(Line(ln.series, ln.color, {"secondYAxis": True} if ln.right else {},
                                         ln.values, ln.x_step, ln.vpp))
            lines = lines + outlines
        c.save()
        c.clip_rect(self.area["xmin"], self.area["ymin"], self.area["xmax"] - self.area["xmin"],
                    self.area["ymax"] - self.area["ymin"])
        c.save()  # the areas clip out what they cover; lines after them only the plot
        areas_done = False
        for ln in lines:
            if not ln.options.get("stacked") and not areas_done:
                areas_done = True
                c.restore()
            self._draw_one(ln)
        if not areas_done:
            c.restore()
        c.restore()

    def _draw_one(self, ln: Line) -> None:
        c = self.canvas
        s, opts = ln.series, ln.options
        a = self.axes["right" if ln.right else "left"]
        shift = ln.x_step * ((s.start - self.start) / s.step / ln.vpp)
        n = len(ln.values)
        xs = self.area["xmin"] + shift + self.line_width / 2.0 + ln.x_step * np.arange(n + 1)
        v = ln.values
        if opts.get("invisible"):
            color = c.color(ln.color, 0.0, force=True)
        else:
            color = c.color(ln.color, opts.get("alpha") or 1.0)
        ys = self.y_coords(v, a)
        known = ~np.isnan(ys) & (v > 0) if self.log_base else ~np.isnan(ys)  # log: only values > 0
        # above the picture (+inf too): at its top edge, as graphite-web; far below it: a
        # million pixels down (clipped away; skia's float32 coordinates must stay finite)
        ys = np.clip(ys, 0.0, FAR_BELOW)
        width = float(opts.get("lineWidth", self.line_width))
        if opts.get("drawAsInfinite"):
            up = known & (v > 0)
            for x in xs[:n][up]:
                c.line(x, self.area["ymax"], x, self.area["ymin"], color, width)
            known &= ~up
        dash = opts.get("dashed")
        dash = float(dash) if dash not in (None, False) else None
        y0 = self.y_coord(0.0, a) if not self.log_base else self.area["ymax"]
        y0 = min(max(y0, 0.0), FAR_BELOW) if math.isfinite(y0) else self.area["ymax"]
        pieces = self._pieces(xs, ys, known, merge=not opts.get("stacked"))
        if opts.get("stacked"):
            for pts in pieces:  # the next stacked area shows only above this one
                c.polygon(np.concatenate([pts, [[pts[-1, 0], y0], [pts[0, 0], y0]]]), color, clip_out=True)
        elif pieces:
            c.polylines(pieces, color, width, dash)

    def _pieces(self, xs: np.ndarray, ys: np.ndarray, known: np.ndarray, merge: bool) -> list[np.ndarray]:
        """The polylines of one series: per run of known values its points (staircase: two per
        value), plus graphite-web's flat step to where the next null starts; in connected mode
        runs closer than connectedLimit nulls join into one line."""
        n = len(ys)
        out: list[np.ndarray] = []
        gap_limit = self.opts.get("connectedLimit", math.inf)
        prev_end = None
        for a, b in runs(known):
            if self.line_mode == "staircase":
                px = np.repeat(xs[a:b + 1], 2)[1:-1]
                py = np.repeat(ys[a:b], 2)
            else:
                px, py = xs[a:b], ys[a:b]
            pts = np.column_stack([px, py])
            if b < n and self.line_mode != "staircase":  # the line runs on to where the null starts
                pts = np.vstack([pts, [xs[b], ys[b - 1]]])
            if merge and self.line_mode == "connected" and out and a - prev_end <= gap_limit:
                out[-1] = np.vstack([out[-1], pts])
            else:
                out.append(pts)
            prev_end = b
        return out
