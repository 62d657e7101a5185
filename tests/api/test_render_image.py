"""/render drawing pictures through the real app over the real embedded store: png by default
(as graphite-web), svg and pdf, the graph parameters refused with a 400 naming them, pie
charts with literal slices, and the render budgets applying to pictures too."""
import xml.etree.ElementTree as ET

import pytest

from tests.api.store_data import BASE, NOW, open_client
from tests.helpers.images import decode_png as pixels
from tsstore.config import Settings

Q = {"target": "servers.web01.cpu.user", "from": str(BASE), "until": str(NOW)}


async def test_a_render_without_format_is_a_png_of_graphite_webs_default_size(client):
    resp = await client.get("/render", params=Q)
    assert resp.status_code == 200 and resp.headers["content-type"] == "image/png"
    assert pixels(resp.content).shape == (250, 330, 4)


async def test_width_height_and_bgcolor_reach_the_picture(client):
    resp = await client.get("/render", params={**Q, "width": "400", "height": "120", "bgcolor": "00ff00"})
    img = pixels(resp.content)
    assert img.shape == (120, 400, 4)
    assert tuple(img[0, 0]) == (0, 255, 0, 255)


async def test_svg_is_xml_holding_the_title(client):
    resp = await client.get("/render", params={**Q, "format": "svg", "title": "CPU of web01"})
    assert resp.headers["content-type"] == "image/svg+xml"
    root = ET.fromstring(resp.content)
    assert root.tag.endswith("svg") and root.get("width") == "330"
    text = "".join(t.text or "" for t in root.iter() if t.tag.endswith("text"))
    assert "CPU of web01" in text


async def test_svg_with_jsonp_is_the_markup_as_a_json_string(client):
    resp = await client.get("/render", params={**Q, "format": "svg", "jsonp": "cb"})
    assert resp.headers["content-type"].startswith("text/javascript")
    assert resp.text.startswith('cb("<?xml') and resp.text.endswith('")')


async def test_pdf_is_a_pdf(client):
    resp = await client.get("/render", params={**Q, "format": "pdf"})
    assert resp.headers["content-type"] == "application/x-pdf"
    assert resp.content.startswith(b"%PDF-") and resp.content.rstrip().endswith(b"%%EOF")


async def test_no_target_draws_no_data(client):
    resp = await client.get("/render", params={"from": str(BASE), "until": str(NOW)})
    img = pixels(resp.content)
    # graphite-web's red "No Data" in the middle of a white picture
    red = (img[:, :, 0] > 150) & (img[:, :, 1] < 80)
    assert red[100:150].any() and not red[:80].any()


@pytest.mark.parametrize("name, value, message", [
    ("width", "0", "width must be an integer between 1 and 8192"),
    ("width", "wide", "width must be an integer between 1 and 8192, got 'wide'"),
    ("height", "100000", "height must be an integer between 1 and 8192"),
    ("bgcolor", "notacolor", "bgcolor: 'notacolor' is not a color"),
    ("colorList", "red,nope", "colorList: 'nope' is not a color"),
    ("lineMode", "curvy", "lineMode must be one of slope, staircase, connected"),
    ("areaMode", "some", "areaMode must be one of none, first, all, stacked"),
    ("yMin", "low", "yMin must be a number"),
    ("yStep", "-1", "yStep must be a number > 0"),
    ("lineWidth", "1e9", "lineWidth must be a number between 0 and 100"),
    ("hideLegend", "maybe", "hideLegend must be true or false"),
    ("logBase", "1", "logBase must be greater than 1"),
    ("yUnitSystem", "furlongs", "yUnitSystem must be one of si, binary, sec, msec, none"),
    ("yDivisors", "4,x", "yDivisors must be a comma-separated list of integers"),
    ("graphType", "bar", "graphType must be one of line, pie"),
    ("fontSize", "0", "fontSize must be a number between 1 and 200"),
    ("areaAlpha", "2", "areaAlpha must be a number between 0 and 1"),
])
async def test_a_bad_graph_parameter_is_400_naming_it(client, name, value, message):
    # the target is wrong too: the parameter is refused before the targets are evaluated
    resp = await client.get("/render", params={"target": "nosuch(x)", name: value})
    assert resp.status_code == 400 and message in resp.text, resp.text
    assert resp.headers["content-type"].startswith("text/plain")


async def test_a_picture_too_big_in_total_is_400(client):
    resp = await client.get("/render", params={**Q, "width": "8000", "height": "8000"})
    assert resp.status_code == 400 and "width x height must be at most 16777216 pixels" in resp.text


async def test_a_bad_color_in_a_target_is_400_naming_the_series(client):
    resp = await client.get("/render", params={**Q, "target": "color(servers.web01.cpu.user, 'blurple')"})
    assert resp.status_code == 400 and "the color of series 'servers.web01.cpu.user'" in resp.text


async def test_log_scale_over_data_reaching_zero_draws_the_positive_values(client):
    # the data starts at 0: graphite-web fails (HTTP 500); tsstore leaves out what log cannot show
    resp = await client.get("/render", params={**Q, "target": "servers.web01.cpu.user", "logBase": "10"})
    assert resp.status_code == 200


async def test_a_pie_of_literal_slices_and_series(client):
    resp = await client.get("/render", params={"graphType": "pie", "target": ["apples:3", "servers.db01.cpu.user"],
                                               "from": str(BASE), "until": str(NOW), "pieMode": "maximum",
                                               "colorList": "ff0000,0000ff", "hideLegend": "true"})
    assert resp.status_code == 200
    img = pixels(resp.content)
    red = (img[:, :, 0] > 200) & (img[:, :, 1] < 50) & (img[:, :, 2] < 50)
    blue = (img[:, :, 2] > 200) & (img[:, :, 0] < 50) & (img[:, :, 1] < 50)
    # db01's maximum is 61 (value 2 + 59), apples 3: blue takes about 61/64 of the disc
    assert blue.sum() > 10 * red.sum() > 0


async def test_a_bad_pie_literal_is_400(client):
    resp = await client.get("/render", params={"graphType": "pie", "target": "apples:many"})
    assert resp.status_code == 400 and "invalid pie target 'apples:many'" in resp.text
    resp = await client.get("/render", params={"graphType": "pie", "target": "apples:inf"})
    assert resp.status_code == 400 and "must be name:number (finite)" in resp.text


async def test_the_render_budgets_apply_to_pictures(tmp_path):
    c, store = await open_client(tmp_path, Settings(max_points_per_render=100))
    async with c:
        resp = await c.get("/render", params={**Q, "target": ["servers.web01.cpu.user"] * 3})
        assert resp.status_code == 400 and "too many points" in resp.text
    await store.close()


async def test_no_cache_and_cache_timeout_are_accepted(client):
    resp = await client.get("/render", params={**Q, "noCache": "1", "cacheTimeout": "0"})
    assert resp.status_code == 200 and resp.content.startswith(b"\x89PNG")
