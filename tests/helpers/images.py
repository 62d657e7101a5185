"""PNG bytes as pixels, and how different two pictures are: what the picture tests compare."""
from __future__ import annotations

import numpy as np
import skia


def decode_png(png: bytes) -> np.ndarray:
    """(height, width, 4) RGBA uint8. The bytes are copied into skia first: MakeFromEncoded
    keeps a pointer to a Python bytes object and decodes lazily, after it may be gone."""
    image = skia.Image.MakeFromEncoded(skia.Data.MakeWithCopy(png))
    assert image is not None, "not an image skia can decode"
    return image.makeRasterImage().toarray(colorType=skia.kRGBA_8888_ColorType)


def differing_share(a: np.ndarray, b: np.ndarray, tolerance: int = 48) -> float | None:
    """The share of pixels whose channels differ by more than `tolerance`; None if the sizes differ."""
    if a.shape != b.shape:
        return None
    return float((np.abs(a.astype(int) - b.astype(int)).max(axis=2) > tolerance).mean())
