"""A graph as bytes: the entry point of tsstore.graph for /render's png, svg and pdf formats."""
from __future__ import annotations

from datetime import tzinfo

import numpy as np
import orjson

from tsstore.graph.canvas import Canvas
from tsstore.graph.line import LineGraph
from tsstore.graph.pie import draw_pie
from tsstore.query.series import TimeSeries

MEDIA_TYPES = {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/x-pdf"}


def line_picture(series: list[TimeSeries], opts: dict, tz: tzinfo, fmt: str) -> bytes:
    """`opts` as tsstore.graph.options.parse_graph_options returns them. An SVG carries the
    graph's metadata in a script element, as graphite-web's does."""
    with Canvas(opts["width"], opts["height"], fmt) as canvas:
        graph = LineGraph(canvas, series, opts, tz)
        graph.draw()
        body = canvas.finish()
    if fmt == "svg":
        script = b"<script>\n  <![CDATA[\n    metadata = " + orjson.dumps(graph.metadata()).replace(b"]]>", b"]]\\u003e") \
            + b"\n  ]]>\n</script>\n</svg>"
        body = body.rstrip()[: -len(b"</svg>")] + script
    return body


def pie_picture(slices: list[tuple[str, float]], opts: dict, fmt: str) -> bytes:
    with Canvas(opts["width"], opts["height"], fmt) as canvas:
        draw_pie(canvas, slices, opts)
        return canvas.finish()


def pie_value(series: TimeSeries, mode: str) -> float:
    """A series as one slice (pieMode average, maximum or minimum of its non-null values); 0
    for a series without values, as graphite-web."""
    known = series.values[np.isfinite(series.values)]
    if not len(known):
        return 0.0
    return float({"average": np.mean, "maximum": np.max, "minimum": np.min}[mode](known))
