"""A page of pictures for a person to compare: the same /render requests drawn by the real
graphite-web and by tsstore, side by side, on the same data (tests/compat/harness.py).

    python -m tests.compat.render_gallery OUT_DIR

writes OUT_DIR/index.html and the pictures beside it (graphite-web from Debian, as
scripts/test installs it). Each row also gives the share of pixels that differ by more than
a small tolerance, to point at the rows worth a look: 0.1-2.5 % when it was written (anti-
aliased edges, glyph rasterisation); tests/compat/test_render_images.py fails a row past 4 %.
"""
from __future__ import annotations

import html
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlencode

import httpx

from tests.compat.harness import NOW, start_pair
from tests.helpers.images import decode_png, differing_share

HOUR = {"from": str(NOW - 3600), "until": str(NOW)}
FOUR = {"from": str(NOW - 4 * 3600 + 10), "until": str(NOW)}
WEB_CPU = "servers.web*.cpu.user"

# (title, parameters); every request gets the range unless it names one
REQUESTS = [
    ("defaults: one series", {"target": "servers.web01.cpu.user"}),
    ("defaults: a glob of three", {"target": WEB_CPU}),
    ("600x300, title, vtitle", {"target": WEB_CPU, "width": "600", "height": "300", "title": "CPU user",
                                "vtitle": "percent"}),
    ("four hours, 10 s points", {"target": "servers.*.cpu.system", **FOUR, "width": "500"}),
    ("areaMode=stacked", {"target": WEB_CPU, "areaMode": "stacked"}),
    ("areaMode=all, areaAlpha=0.4", {"target": WEB_CPU, "areaMode": "all", "areaAlpha": "0.4"}),
    ("areaMode=first", {"target": WEB_CPU, "areaMode": "first"}),
    ("lineMode=staircase, lineWidth=2", {"target": "servers.web01.sparse", "lineMode": "staircase", "lineWidth": "2"}),
    ("lineMode=connected", {"target": "servers.web01.sparse", "lineMode": "connected"}),
    ("yMin=0, yMax=100, minorY=3", {"target": WEB_CPU, "yMin": "0", "yMax": "100", "minorY": "3"}),
    ("yUnitSystem=binary, big values", {"target": "scale(servers.web01.requests.count, 1048576)", "yUnitSystem": "binary"}),
    ("si units, yStep", {"target": "scale(servers.web01.cpu.user, 100000)", "yStep": "500000"}),
    ("logBase=10", {"target": "scale(servers.web02.cpu.user, 1000)", "logBase": "10"}),
    ("secondYAxis, vtitleRight", {"target": ["servers.web01.cpu.user", "secondYAxis(scale(servers.db01.cpu.user, 1000))"],
                                  "vtitle": "left", "vtitleRight": "right"}),
    ("colors, dashed, lineWidth functions", {"target": ["color(servers.web01.cpu.user, 'ff8800')",
                                                        "dashed(lineWidth(servers.web02.cpu.user, 3))",
                                                        "alpha(color(servers.web03.cpu.user, 'purple'), 0.4)"]}),
    ("bgcolor, fgcolor, grid colors", {"target": WEB_CPU, "bgcolor": "black", "fgcolor": "white",
                                       "majorGridLineColor": "red", "minorGridLineColor": "333333"}),
    ("colorList, fontSize=14, fontBold", {"target": WEB_CPU, "colorList": "orange,aqua,magenta", "fontSize": "14",
                                          "fontBold": "true"}),
    ("hideLegend, hideGrid", {"target": WEB_CPU, "hideLegend": "true", "hideGrid": "true"}),
    ("hideAxes", {"target": WEB_CPU, "hideAxes": "true"}),
    ("graphOnly", {"target": WEB_CPU, "graphOnly": "true"}),
    ("yAxisSide=right", {"target": WEB_CPU, "yAxisSide": "right"}),
    ("threshold, drawAsInfinite", {"target": ["servers.web01.cpu.user", "threshold(20, 'limit', 'red')",
                                              "drawAsInfinite(removeBelowValue(servers.web01.cpu.user, 23))"]}),
    ("drawNullAsZero over gaps", {"target": "servers.web01.sparse", "drawNullAsZero": "true"}),
    ("a day: x labels by the hour", {"target": WEB_CPU, "from": str(NOW - 86400), "until": str(NOW)}),
    ("legendValue, uniqueLegend", {"target": ["legendValue(servers.web01.cpu.user, 'avg', 'max')",
                                              "alias(servers.web02.cpu.user, 'same')", "alias(servers.web03.cpu.user, 'same')"],
                                   "uniqueLegend": "true"}),
    ("tz=Asia/Kolkata (x labels at half hours of UTC)", {"target": WEB_CPU, "tz": "Asia/Kolkata"}),
    ("xFormat, margin=30, fontItalic", {"target": WEB_CPU, "xFormat": "%H.%M", "margin": "30", "fontItalic": "true"}),
    ("hideYAxis, hideNullFromLegend", {"target": [WEB_CPU, "no.such.series", "removeAboveValue(servers.web01.cpu.user, -1)"],
                                       "hideYAxis": "true", "hideNullFromLegend": "true"}),
    ("yDivisors=3, minXStep=4", {"target": WEB_CPU, "yDivisors": "3", "minXStep": "4"}),
    ("stacked() function, areaAlpha", {"target": "stacked(servers.web*.cpu.system)", "areaAlpha": "0.6"}),
    ("areaBetween", {"target": "areaBetween(servers.web0[12].cpu.user)", "areaMode": "stacked"}),
    ("width=800, height=100", {"target": WEB_CPU, "width": "800", "height": "100"}),
    ("pie, pieMode=maximum", {"target": "servers.*.cpu.user", "graphType": "pie", "pieMode": "maximum"}),
    ("pie literals, pieLabels=rotated", {"target": ["a:30", "b:20", "c:50"], "graphType": "pie", "pieLabels": "rotated"}),
    ("pie, valueLabels=number, title", {"target": ["a:3.5", "servers.web01.cpu.user"], "graphType": "pie",
                                        "pieMode": "minimum", "valueLabels": "number", "valueLabelsMin": "0",
                                        "title": "slices"}),
    ("no data", {"target": "no.such.series"}),
]


def write_gallery(out: Path, ref_url: str, ours_url: str) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("[0-9][0-9]-*.png"):  # a row that fails now must not show an earlier run's picture
        old.unlink()
    rows = []
    for i, (title, params) in enumerate(REQUESTS):
        params = {**HOUR, "now": str(NOW), **params}
        cells = []
        bodies = []
        for who, url in (("graphite-web", ref_url), ("tsstore", ours_url)):
            resp = httpx.get(url + "/render", params=params, timeout=120)
            name = f"{i:02d}-{'ref' if who == 'graphite-web' else 'ours'}.png"
            if resp.status_code == 200 and resp.headers.get("content-type", "").startswith("image/png"):
                (out / name).write_bytes(resp.content)
                bodies.append(resp.content)
                cells.append(f'<td><img src="{name}" alt="{who}"></td>')
            else:
                bodies.append(b"")
                cells.append(f"<td><pre>{who}: HTTP {resp.status_code}\n{html.escape(resp.text[:400])}</pre></td>")
        share = differing_share(*map(decode_png, bodies)) if all(bodies) else None
        query = html.escape(urlencode({k: v for k, v in params.items() if k not in ("from", "until", "now")}, doseq=True))
        diff = "size differs" if share is None else f"{share:.1%} of pixels differ"
        rows.append(f"<tr><th>{i:02d} {html.escape(title)}<br><code>{query}</code><br><small>{diff}</small></th>"
                    + "".join(cells) + "</tr>")
    page = out / "index.html"
    page.write_text(
        "<!doctype html><meta charset=utf-8><title>tsstore vs graphite-web: /render pictures</title>"
        "<style>body{font-family:sans-serif;margin:12px}td,th{border:1px solid #ccc;padding:6px;vertical-align:top}"
        "th{text-align:left;font-weight:normal;min-width:240px;max-width:280px;word-break:break-all}code{font-size:11px}"
        "table{border-collapse:collapse}</style>"
        "<h1>/render pictures: graphite-web 1.1 (left) and tsstore (right)</h1>"
        "<table><tr><th>request</th><th>graphite-web</th><th>tsstore</th></tr>" + "".join(rows) + "</table>")
    return page


class _Temp:
    """What start_pair wants from pytest's tmp_path_factory."""

    def __init__(self):
        self.base = Path(tempfile.mkdtemp(prefix="tsstore-gallery-"))

    def mktemp(self, name: str) -> Path:
        path = self.base / name
        path.mkdir()
        return path


def main(argv: list[str]) -> None:
    if len(argv) != 1:
        sys.exit("usage: python -m tests.compat.render_gallery OUT_DIR")
    pair = start_pair(_Temp())
    ref, ours = next(pair)
    try:
        page = write_gallery(Path(argv[0]), ref.url, ours)
        print(f"wrote {page}")
    finally:
        pair.close()


if __name__ == "__main__":
    main(sys.argv[1:])
