"""The drawing surface (skia): what the graph modules draw with, written out as PNG, SVG or PDF.

Coordinates are pixels from the top left, as in graphite-web's cairo context. The graph
modules never touch skia's surfaces or encoders; they call these methods, so their layout
logic can be tested by what it draws.
"""
from __future__ import annotations

import math

import numpy as np
import skia

from tsstore.graph import colors
from tsstore.graph.png import encode_png
from tsstore.graph.typefaces import make_font

Color = tuple[float, float, float, float]


class TextStyle:
    """A font and what graphite-web reads from its extents: the line height, ascent and descent,
    in whole pixels as cairo gives them with hinted metrics (ascent and descent rounded up, the
    height to the nearest), which is what graphite-web's layout is measured in."""

    def __init__(self, name: str, size: float, bold: bool, italic: bool):
        self.font = make_font(name, size, bold, italic)
        m = self.font.getMetrics()
        self.ascent = float(math.ceil(-m.fAscent))
        self.descent = float(math.ceil(m.fDescent))
        self.height = float(round(-m.fAscent + m.fDescent + m.fLeading))

    def width(self, text: str) -> float:
        return self.font.measureText(text)


CHUNK = 16  # points per stroked piece of a busy opaque line (see Canvas.polylines)
BUSY = 32  # a line is busy when it travels up and down this many picture heights


def _points(xy: np.ndarray) -> list:
    return list(map(skia.Point, xy[:, 0].tolist(), xy[:, 1].tolist()))


class Canvas:
    def __init__(self, width: int, height: int, fmt: str):
        self.width, self.height, self.fmt = width, height, fmt
        if fmt == "png":
            self._surface = skia.Surface(width, height)
            self.sk = self._surface.getCanvas()
        elif fmt == "svg":
            self._stream = skia.DynamicMemoryWStream()
            self.sk = skia.SVGCanvas.Make(skia.Rect.MakeWH(width, height), self._stream)
        elif fmt == "pdf":
            self._stream = skia.DynamicMemoryWStream()
            self._doc = skia.PDF.MakeDocument(self._stream)
            self.sk = self._doc.beginPage(width, height)
        else:
            raise ValueError(f"no canvas for format {fmt!r}")

    @staticmethod
    def color(value: str, alpha: float = 1.0, force: bool = False) -> Color:
        return colors.rgba(value, alpha, force)

    @staticmethod
    def _paint(color: Color, stroke_width: float | None = None, dash: float | None = None,
               antialias: bool = True) -> skia.Paint:
        paint = skia.Paint(Color4f=skia.Color4f(*color), AntiAlias=antialias)
        if stroke_width is not None:
            paint.setStyle(skia.Paint.kStroke_Style)
            paint.setStrokeWidth(stroke_width)
            paint.setStrokeCap(skia.Paint.kButt_Cap)
            paint.setStrokeJoin(skia.Paint.kMiter_Join)
            if dash:
                paint.setPathEffect(skia.DashPathEffect.Make([dash, dash], 0))
        return paint

    def fill_rect(self, x: float, y: float, w: float, h: float, color: Color) -> None:
        self.sk.drawRect(skia.Rect.MakeXYWH(x, y, w, h), self._paint(color, antialias=False))

    def stroke_rect(self, x: float, y: float, w: float, h: float, color: Color, width: float = 1.0) -> None:
        # inset by half the line, as graphite-web draws a box's border inside it
        o = width / 2.0
        self.sk.drawRect(skia.Rect.MakeXYWH(x + o, y + o, w - o, h - o), self._paint(color, width))

    def line(self, x0: float, y0: float, x1: float, y1: float, color: Color, width: float) -> None:
        self.sk.drawLine(x0, y0, x1, y1, self._paint(color, width))

    def polylines(self, runs: list[np.ndarray], color: Color, width: float, dash: float | None = None) -> None:
        """Open polylines, each an (n, 2) array of points. A busy opaque solid line (noisy data
        crossing the plot up and down) is stroked in pieces of CHUNK points sharing their end
        points: skia's anti-aliased stroke of one long self-crossing path costs five times
        more, and the pieces look the same (the shared points overlap where the line is drawn
        anyway). Other lines are one path each: fewer calls."""
        paint = self._paint(color, width, dash)
        whole = [run for run in runs if dash or color[3] < 1.0  # a dash runs along the whole line; alpha must not overlap
                 or np.abs(np.diff(run[:, 1])).sum() < BUSY * self.height]
        if whole:
            path = skia.Path()
            for run in whole:
                path.addPoly(_points(run), False)
            self.sk.drawPath(path, paint)
        drawn = {id(run) for run in whole}
        for run in runs:
            if id(run) in drawn:
                continue
            points = _points(run)
            for i in range(0, max(len(points) - 1, 1), CHUNK):
                path = skia.Path()
                path.addPoly(points[i:i + CHUNK + 1], False)
                self.sk.drawPath(path, paint)

    def polygon(self, points: np.ndarray, color: Color, clip_out: bool = False) -> None:
        """A filled polygon; with clip_out nothing drawn later (until restore) lands inside it."""
        path = skia.Path()
        path.addPoly(_points(points), True)
        self.sk.drawPath(path, self._paint(color))
        if clip_out:
            self.sk.clipPath(path, skia.ClipOp.kDifference, True)

    def fill_wedge(self, cx: float, cy: float, r: float, start: float, sweep: float, color: Color) -> None:
        """A pie slice from angle `start` over `sweep` (radians, clockwise from 3 o'clock)."""
        oval = skia.Rect.MakeLTRB(cx - r, cy - r, cx + r, cy + r)
        path = skia.Path()
        if abs(sweep) >= 2 * math.pi - 1e-9:  # the whole disc: an arc of 360 degrees draws nothing
            path.addOval(oval)
        else:
            path.moveTo(cx, cy)
            path.arcTo(oval, math.degrees(start), math.degrees(sweep), False)
            path.close()
        self.sk.drawPath(path, self._paint(color))

    def save(self) -> None:
        self.sk.save()

    def restore(self) -> None:
        self.sk.restore()

    def clip_rect(self, x: float, y: float, w: float, h: float) -> None:
        self.sk.clipRect(skia.Rect.MakeXYWH(x, y, w, h))

    def text(self, text: str, x: float, y: float, style: TextStyle, color: Color,
             align: str = "left", valign: str = "top", rotate: float = 0.0) -> None:
        """`text` placed as graphite-web's drawText places it: (x, y) is the anchor named by
        align (left/center/right) and valign (top/middle/bottom/baseline), the text turned
        `rotate` degrees about it."""
        dx = {"left": 0.0, "center": style.width(text) / 2.0, "right": style.width(text)}[align]
        dy = {"top": style.ascent, "middle": style.height / 2.0 - style.descent,
              "bottom": -style.descent, "baseline": 0.0}[valign]
        paint = self._paint(color)
        if rotate:
            self.sk.save()
            self.sk.translate(x, y)
            self.sk.rotate(rotate)
            self.sk.drawString(text, -dx, dy, style.font, paint)
            self.sk.restore()
        else:
            self.sk.drawString(text, x - dx, y + dy, style.font, paint)

    def finish(self) -> bytes:
        """The picture's bytes; the canvas cannot be drawn on afterwards."""
        if self.fmt == "png":
            return encode_png(self._surface)
        if self.fmt == "svg":
            self.sk = None  # the SVG canvas writes its closing tags when it goes away
            return bytes(self._stream.detachAsData())
        self.sk = None
        self._doc.endPage()
        self._doc.close()
        self._doc = None
        return bytes(self._stream.detachAsData())

    def close(self) -> None:
        """Let go of skia's objects in an order skia survives, finished or not: a PDF document
        dropped with its page still open crashes the process, so an unfinished one is aborted."""
        self.sk = None
        if self.fmt == "pdf" and self._doc is not None:
            self._doc.abort()
            self._doc = None

    def __enter__(self) -> "Canvas":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
