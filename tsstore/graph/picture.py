"""A graph as bytes: the entry point of tsstore.graph for /render's png, svg and pdf formats."""
from __future__ import annotations

from datetime import tzinfo

import numpy as np

from tsstore.graph.canvas import Canvas
from tsstore.graph.line import LineGraph
from tsstore.graph.pie import draw_pie
from tsstore.query.series import TimeSeries

MEDIA_TYPES = {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/x-pdf"}


def line_picture(series: list[TimeSeries], opts: dict, tz: tzinfo, fmt: str) -> bytes:
    """`opts` as tsstore.graph.options.parse_graph_options returns them."""
    canvas = Canvas(opts["width"], opts["height"], fmt)
    LineGraph(canvas, series, opts, tz).draw()
    return canvas.finish()


def pie_picture(slices: list[tuple[str, float]], opts: dict, fmt: str) -> bytes:
    canvas = Canvas(opts["width"], opts["height"], fmt)
    draw_pie(canvas, slices, opts)
    return canvas.finish()


def pie_value(series: TimeSeries, mode: str) -> float:
    """A series as one slice (pieMode average, maximum or minimum of its non-null values); 0
    for a series without values, as graphite-web."""
    known = series.values[np.isfinite(series.values)]
    if not len(known):
        return 0.0
    return float({"average": np.mean, "maximum": np.max, "minimum": np.min}[mode](known))
