"""The built-in page's files as the API serves them (tsstore.api.page); what the page does is
tested in a browser (tests/ui)."""
from html.parser import HTMLParser

from tsstore.api import page


class _Refs(HTMLParser):
    """The src and href attributes of a document."""

    def __init__(self):
        super().__init__()
        self.refs = []

    def handle_starttag(self, tag, attrs):
        self.refs += [v for k, v in attrs if k in ("src", "href") and v]


async def test_the_page_is_served_at_the_root_with_its_assets(client):
    r = await client.get("/")
    assert r.status_code == 200 and r.headers["content-type"] == "text/html; charset=utf-8"
    assert r.headers["cache-control"] == "no-cache"
    assert "default-src 'self'" in r.headers["content-security-policy"]
    refs = _Refs()
    refs.feed(r.text)
    # every file the page names is served from here: nothing from a CDN, so it works offline
    local = [ref for ref in refs.refs if not ref.startswith(("data:", "#"))]
    assert sorted(local) == ["ui/app.css", "ui/app.js"]
    for ref, media in (("ui/app.js", "text/javascript"), ("ui/app.css", "text/css")):
        asset = await client.get("/" + ref)
        assert asset.status_code == 200 and asset.headers["content-type"].startswith(media), ref
        assert asset.content == (page.STATIC / ref.split("/")[1]).read_bytes()
        assert asset.headers["x-content-type-options"] == "nosniff"


async def test_only_the_pages_own_files_are_served(client):
    for path in ("/ui/page.py", "/ui/..%2Fpage.py", "/ui/%2e%2e%2fapp.py", "/ui/index.html.bak", "/ui/", "/ui/.js"):
        r = await client.get(path)
        assert r.status_code == 404, path
        assert b"def index" not in r.content  # a refusal, never a file of the package


async def test_the_api_beside_the_page_is_unchanged(client):
    assert (await client.get("/version")).status_code == 200
    assert (await client.get("/nothing/here")).status_code == 404
    doc = (await client.get("/openapi.json")).json()
    assert "/" not in doc["paths"] and "/render" in doc["paths"]  # the page is not an API endpoint


def test_the_page_files_are_package_data():
    """pip install . ships what the routes read (pyproject's package-data for tsstore.api)."""
    import tomllib
    from pathlib import Path

    pyproject = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())
    patterns = pyproject["tool"]["setuptools"]["package-data"]["tsstore.api"]
    shipped = {p.name for pattern in patterns for p in page.STATIC.glob(pattern.removeprefix("static/"))}
    assert shipped == {"index.html", *page.ASSETS}
