"""The pictures tsstore draws against graphite-web's, request by request (the gallery's,
tests/compat/render_gallery.py): the same size and content type, and no more than a few
percent of the pixels different (1-2.5 % when this was written: anti-aliased edges and glyph
rasterisation; a moved axis, legend or line differs by far more)."""
import httpx
import pytest

from tests.compat.harness import GRAPHITE_MARKS, NOW
from tests.compat.render_gallery import HOUR, REQUESTS
from tests.helpers.images import decode_png, differing_share

pytestmark = GRAPHITE_MARKS
MOST = 0.04


@pytest.mark.parametrize("title, params", REQUESTS, ids=[title for title, _ in REQUESTS])
def test_the_picture_is_graphite_webs(graphite_pair, title, params):
    ref, ours = graphite_pair
    params = {**HOUR, "now": str(NOW), **params}
    theirs = httpx.get(ref.url + "/render", params=params, timeout=120)
    mine = httpx.get(ours + "/render", params=params, timeout=120)
    assert theirs.status_code == mine.status_code == 200, mine.text[:300]
    assert mine.headers["content-type"] == theirs.headers["content-type"] == "image/png"
    share = differing_share(decode_png(mine.content), decode_png(theirs.content))
    assert share is not None, "the pictures differ in size"
    assert share <= MOST, f"{share:.1%} of the pixels differ from graphite-web's"
