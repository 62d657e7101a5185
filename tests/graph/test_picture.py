"""The picture formats, the pie chart, the typefaces, and golden pictures compared with a
tolerance (a different skia build may move an anti-aliased edge, never the layout).

TSSTORE_UPDATE_GOLDEN=1 rewrites the golden pictures (tests/graph/golden/); look at them
before committing."""
import gc
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
import zlib
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import skia

from tests.graph.data import saw, three
from tests.helpers.images import decode_png, differing_share
from tsstore.graph.options import GraphParameterError, parse_graph_options
from tsstore.graph.picture import line_picture, pie_picture, pie_value
from tsstore.graph.typefaces import BUNDLED, make_font

GOLDEN = Path(__file__).with_name("golden")
UTC = ZoneInfo("UTC")


def line(fmt="png", series=None, **params):
    return line_picture(three() if series is None else series, parse_graph_options(params), UTC, fmt)


def test_svg_is_xml_with_the_text_as_text():
    svg = line("svg", title="Requests per second")
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg" and (root.get("width"), root.get("height")) == ("330", "250")
    texts = "".join(t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text"))
    assert "Requests per second" in texts and "web01.cpu" in texts


def test_svg_carries_graphite_webs_metadata():
    root = ET.fromstring(line("svg"))
    (script,) = root.iter("{http://www.w3.org/2000/svg}script")
    meta = json.loads(script.text.strip().removeprefix("metadata = "))
    assert [s["name"] for s in meta["series"]] == ["web01.cpu", "web02.cpu", "web03.cpu"]
    assert meta["series"][0]["data"][10] is None and meta["series"][0]["color"] == "blue"
    assert meta["y"]["labels"][-1] == "50.0 " and meta["font"] == {"name": "Sans", "size": 10, "bold": False,
                                                                    "italic": False}


def test_pdf_is_one_page_of_the_size_asked():
    pdf = line("pdf", width="400", height="200")
    assert pdf.startswith(b"%PDF-1.") and b"/MediaBox [0 0 400 200]" in pdf


def test_a_transparent_background_keeps_its_alpha():
    img = decode_png(line(bgcolor="00000000", hideLegend="true"))
    assert img[0, 0, 3] == 0 and img[:, :, 3].max() == 255


def test_pie_values_by_mode():
    s = saw("a", 5, gaps=[0])
    assert pie_value(s, "maximum") == 33.5 and pie_value(s, "minimum") == 5.0
    assert pie_value(s, "average") == pytest.approx(s.values[1:].mean())
    s.values[:] = float("nan")
    assert pie_value(s, "average") == 0.0


def test_the_bundled_face_draws_sans_and_unknown_names():
    assert all(path.exists() for path in BUNDLED.values())
    assert make_font("Sans", 10, False, False).getTypeface().getFamilyName() == "DejaVu Sans"
    assert make_font("No Such Font 123", 10, True, False).getTypeface().getFamilyName() == "DejaVu Sans"
    assert make_font("No Such Font 123", 10, True, False).getTypeface().isBold()
    assert make_font("Sans", 10, False, True).getTypeface().isItalic()


GOLDENS = {
    "default": lambda: line(),
    "stacked-title": lambda: line(areaMode="stacked", title="Stacked", vtitle="cpu"),
    "staircase-wide": lambda: line(lineMode="staircase", width="500", height="200", lineWidth="2",
                                   colorList="orange,aqua,magenta"),
    "dark-right-axis": lambda: line(bgcolor="black", fgcolor="white", majorGridLineColor="red", yAxisSide="right",
                                    minorY="2"),
    "second-axis": lambda: line(series=[saw("left"), _right(saw("right", 1000))], vtitleRight="right"),
    "pie": lambda: pie_picture([("apples", 3.0), ("pears", 5.0), ("plums", 2.0)], parse_graph_options({}), "png"),
}


def _right(s):
    s.options["secondYAxis"] = True
    return s


@pytest.mark.parametrize("name", GOLDENS)
def test_golden_pictures(name):
    path = GOLDEN / f"{name}.png"
    picture = GOLDENS[name]()
    if os.environ.get("TSSTORE_UPDATE_GOLDEN"):
        path.write_bytes(picture)
    share = differing_share(decode_png(picture), decode_png(path.read_bytes()))
    assert share is not None and share < 0.005, f"{name}: {share} of the pixels differ from {path}"


@pytest.mark.parametrize("fmt", ["png", "svg", "pdf"])
def test_a_picture_refused_while_drawing_leaves_skia_sound(fmt):
    # values spanning more than a float: refused in the middle of the page; skia crashed the
    # process when a PDF document went away with its page open
    huge = saw("huge")
    huge.values[:2] = (1e308, -1e308)
    with pytest.raises(GraphParameterError, match="span of the values"):
        line(fmt, series=[huge])
    gc.collect()
    assert line(fmt)[:4] in (b"\x89PNG", b"<?xm", b"%PDF")


def test_font_name_picks_a_system_font_when_there_is_one():
    if skia.FontMgr.RefDefault().matchFamilyStyle("DejaVu Serif", skia.FontStyle.Normal()) is None:
        pytest.skip("no DejaVu Serif on this machine (Debian: fonts-dejavu-core)")
    assert make_font("DejaVu Serif", 10, False, False).getTypeface().getFamilyName() == "DejaVu Serif"


def test_the_png_is_the_same_picture_with_zlib_in_place_of_isal(monkeypatch):
    from tsstore.graph import png
    fast = decode_png(line())
    monkeypatch.setattr(png, "deflate_module", zlib)
    assert (decode_png(line()) == fast).all()


def test_a_pie_of_one_slice_is_a_whole_disc():
    img = decode_png(pie_picture([("all", 5.0), ("none", 0.0)], parse_graph_options({"hideLegend": "true",
                                                                                       "valueLabels": "none"}), "png"))
    blue = (img[:, :, 2] > 200) & (img[:, :, 0] < 120)
    assert blue.sum() > 0.4 * img.shape[0] * img.shape[1]  # the disc fills most of the square around it


def test_text_draws_on_a_machine_without_fonts(tmp_path):
    # fontconfig told of no font directory at all, as on a minimal machine: the bundled face draws
    conf = tmp_path / "fonts.conf"
    conf.write_text("<?xml version='1.0'?><fontconfig><cachedir>" + str(tmp_path) + "</cachedir></fontconfig>")
    script = (
        "import sys, zoneinfo\n"
        "from tests.graph.data import three\n"
        "from tests.helpers.images import decode_png\n"
        "from tsstore.graph.options import parse_graph_options\n"
        "from tsstore.graph.picture import line_picture\n"
        "import skia\n"
        "assert skia.FontMgr.RefDefault().countFamilies() == 0, 'fontconfig still finds fonts'\n"
        "img = decode_png(line_picture(three(), parse_graph_options({'title': 'Hello', 'fontName': 'Arial'}),"
        " zoneinfo.ZoneInfo('UTC'), 'png'))\n"
        "title = img[5:25, 100:230, :3]\n"
        "print(int((title.max(axis=2) < 100).sum()))\n")
    env = {**os.environ, "FONTCONFIG_FILE": str(conf), "PYTHONPATH": str(Path(__file__).parents[2])}
    proc = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert int(proc.stdout.split()[-1]) > 40  # the title's dark pixels
