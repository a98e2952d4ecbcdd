#!/usr/bin/env python3
"""Writes the PNG fixtures of LabelFormatTests (label files read as a forced LabelFormat:
index, palette or color), with PIL and make_fixtures.py's hand-written encoder (for 16-bit
RGB, which PIL does not write).

Every pixel follows a formula the Swift tests recompute; each file is read back with PIL and
its IHDR checked. Run from this directory: python3 make_label_format_fixtures.py (needs pillow).
"""
from PIL import Image

from make_fixtures import CLASS_COLORS, check_pixels, encode, ihdr, path

# A palette whose entry i is class 5 - i, so reading colours and reading indices differ,
# and one entry (6) whose colour is no class colour.
REVERSED = list(reversed(CLASS_COLORS)) + [(9, 9, 9)]


def gray_as_rgb(x, y):
    return (3 * x + 5 * y) % 256


def rgb_file(name, width, height, pixel):
    image = Image.new("RGB", (width, height))
    image.putdata([pixel(x, y) for y in range(height) for x in range(width)])
    image.save(path(name))
    check_pixels(name, pixel)
    assert ihdr(name)[2:4] == (8, 2), ihdr(name)


def palette_file(name, width, height, index):
    image = Image.new("P", (width, height))
    image.putpalette([c for rgb in REVERSED for c in rgb])
    image.putdata([index(x, y) for y in range(height) for x in range(width)])
    image.save(path(name))
    check_pixels(name, index)
    assert ihdr(name)[3] == 3, ihdr(name)
    assert Image.open(path(name)).getpalette()[:3 * len(REVERSED)] == [c for rgb in REVERSED for c in rgb]


def main():
    # Gray labels saved as RGB: R = G = B everywhere.
    rgb_file("format_rgb_gray.png", 6, 4, lambda x, y: (gray_as_rgb(x, y),) * 3)
    # The same, except pixel (4, 2) whose blue channel is one more.
    def differing(x, y):
        v = gray_as_rgb(x, y)
        return (v, v, v + 1) if (x, y) == (4, 2) else (v, v, v)
    rgb_file("format_rgb_differ.png", 6, 4, differing)
    # 16-bit RGB with equal channels: values above 255 survive.
    encode("format_rgb16_gray.png", 3, 2, 16, 2,
           [[(1000 * x + 300 * y,) * 3 for x in range(3)] for y in range(2)])
    assert ihdr("format_rgb16_gray.png")[2:4] == (16, 2)
    # Palette of class colours in reverse order: index (x + 2y) % 6 is class 5 - index.
    palette_file("format_palette_classes.png", 5, 4, lambda x, y: (x + 2 * y) % 6)
    # The same palette with entry 6 (no class colour) at pixel (4, 3).
    palette_file("format_palette_unknown.png", 5, 4, lambda x, y: 6 if (x, y) == (4, 3) else (x + 2 * y) % 6)


if __name__ == "__main__":
    main()
