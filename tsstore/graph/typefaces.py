"""The typeface a graph's text is drawn in.

graphite-web asks fontconfig for its font name ('Sans' by default), which is DejaVu Sans on a
Debian machine. tsstore ships DejaVu Sans (fonts/, licence in fonts/LICENSE.txt) and uses it
for 'Sans' and for any name the system does not know, so labels always draw, even on a machine
without fonts, and the default pictures do not depend on what is installed. Another fontName
is looked up among the system's fonts (fontconfig).
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import skia

FONTS = Path(__file__).with_name("fonts")
BUNDLED = {(False, False): FONTS / "DejaVuSans.ttf", (True, False): FONTS / "DejaVuSans-Bold.ttf",
           (False, True): FONTS / "DejaVuSans-Oblique.ttf", (True, True): FONTS / "DejaVuSans-BoldOblique.ttf"}
# the names that mean the bundled face (fontconfig's generic sans names)
BUNDLED_NAMES = frozenset({"sans", "sans-serif", "dejavu sans", ""})


@lru_cache(maxsize=64)
def _system(name: str, bold: bool, italic: bool) -> skia.Typeface | None:
    style = skia.FontStyle(skia.FontStyle.kBold_Weight if bold else skia.FontStyle.kNormal_Weight,
                           skia.FontStyle.kNormal_Width,
                           skia.FontStyle.kItalic_Slant if italic else skia.FontStyle.kUpright_Slant)
    face = skia.FontMgr.RefDefault().matchFamilyStyle(name, style)
    # fontconfig answers its default family for an unknown name: only an exact family counts
    if face is None or face.getFamilyName().lower() != name.lower():
        return None
    return face


@lru_cache(maxsize=4)
def _bundled(bold: bool, italic: bool) -> skia.Typeface:
    return skia.Typeface.MakeFromFile(str(BUNDLED[bold, italic]))


def make_font(name: str, size: float, bold: bool, italic: bool) -> skia.Font:
    """A font of `size` pixels; graphite-web draws its text without anti-aliasing (hinted,
    aliased glyphs), and so does this."""
    face = None if name.strip().lower() in BUNDLED_NAMES else _system(name.strip(), bold, italic)
    font = skia.Font(face or _bundled(bold, italic), float(size))
    font.setEdging(skia.Font.Edging.kAlias)
    font.setHinting(skia.FontHinting.kNormal)
    return font
