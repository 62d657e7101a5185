"""Colors as graphite-web's graphs name them: its named colors, RRGGBB and RRGGBBAA hex with or
without '#' (or a URL-encoded '%23'), and its default line colors."""
from __future__ import annotations

# graphite-web's color names and their RGB values (they differ from CSS: 'green' is 0,200,0)
NAMED = {
    "black": (0, 0, 0),
    "white": (255, 255, 255),
    "blue": (100, 100, 255),
    "green": (0, 200, 0),
    "red": (200, 0, 50),
    "yellow": (255, 255, 0),
    "orange": (255, 165, 0),
    "purple": (200, 100, 255),
    "brown": (150, 100, 50),
    "cyan": (0, 255, 255),
    "aqua": (0, 150, 150),
    "gray": (175, 175, 175),
    "grey": (175, 175, 175),
    "magenta": (255, 0, 255),
    "pink": (255, 100, 100),
    "gold": (200, 200, 0),
    "rose": (200, 150, 200),
    "darkblue": (0, 0, 255),
    "darkgreen": (0, 255, 0),
    "darkred": (255, 0, 0),
    "darkgray": (111, 111, 111),
    "darkgrey": (111, 111, 111),
}

DEFAULT_COLOR_LIST = ("blue", "green", "red", "purple", "brown", "yellow", "aqua", "grey",
                      "magenta", "pink", "gold", "rose")

HEX_DIGITS = frozenset("0123456789abcdefABCDEF")


class ColorError(ValueError):
    pass


def parse_color(value: str) -> tuple[int, int, int, float | None]:
    """(r, g, b, alpha or None) of a color name or hex string; a ColorError saying what is
    accepted otherwise. alpha comes only from an RRGGBBAA form."""
    text = str(value).strip()
    if text.lower() in NAMED:
        return (*NAMED[text.lower()], None)
    hexpart = text[1:] if text.startswith("#") else text[3:] if text.startswith("%23") else text
    if len(hexpart) in (6, 8) and set(hexpart) <= HEX_DIGITS:
        r, g, b = (int(hexpart[i:i + 2], 16) for i in (0, 2, 4))
        alpha = int(hexpart[6:8], 16) / 255.0 if len(hexpart) == 8 else None
        return r, g, b, alpha
    raise ColorError(f"{value!r} is not a color: use a name such as red or darkgrey, "
                     f"or hex RRGGBB / RRGGBBAA with or without '#'")


def rgba(value: str, alpha: float = 1.0, force: bool = False) -> tuple[float, float, float, float]:
    """The color as four floats 0..1. As in graphite-web, an RRGGBBAA color's own alpha wins
    over `alpha` unless `force` (how an invisible series stays invisible)."""
    r, g, b, own = parse_color(value)
    a = own if own is not None and not force else alpha
    return r / 255.0, g / 255.0, b / 255.0, max(0.0, min(1.0, float(a)))
