#!/usr/bin/env python3
"""Writes the PNG fixtures of LabelMapsTests with tools independent of our libpng
shim: PIL for most files, and a small hand-written encoder (zlib + struct) for an
Adam7-interlaced file and a 16-bit RGB file, which PIL does not write.

Every pixel value follows a formula that the Swift tests recompute; each file is
read back with PIL and its IHDR checked, so a fixture is known to hold what the
tests expect. Run from this directory: python3 make_fixtures.py (needs pillow).
"""
import os
import struct
import zlib

from PIL import Image, PngImagePlugin

HERE = os.path.dirname(os.path.abspath(__file__))

# ISPRS-like class colours: colour-coded maps use class = index in this list.
CLASS_COLORS = [(255, 255, 255), (0, 0, 255), (0, 255, 255), (0, 255, 0), (255, 255, 0), (255, 0, 0)]


def path(name):
    return os.path.join(HERE, name)


def ihdr(name):
    """(width, height, bit depth, colour type, interlace) from the file's IHDR."""
    with open(path(name), "rb") as f:
        data = f.read(33)
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", data[16:29])
    return w, h, depth, ctype, interlace


def chunk(kind, payload):
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def encode(name, width, height, depth, ctype, sample_rows, interlace=False):
    """Hand-written PNG encoder. sample_rows[y][x] is a tuple of samples."""
    bytes_per_sample = depth // 8

    def scanline(samples):
        out = bytearray([0])  # filter type None
        for pixel in samples:
            for s in pixel:
                out += s.to_bytes(bytes_per_sample, "big")
        return bytes(out)

    raw = bytearray()
    if interlace:
        passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
        for x0, y0, dx, dy in passes:
            if x0 >= width or y0 >= height:
                continue  # empty pass: no scanlines at all
            for y in range(y0, height, dy):
                raw += scanline([sample_rows[y][x] for x in range(x0, width, dx)])
    else:
        for y in range(height):
            raw += scanline(sample_rows[y])
    header = struct.pack(">IIBBBBB", width, height, depth, ctype, 0, 0, 1 if interlace else 0)
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(bytes(raw), 9)) + chunk(b"IEND", b"")
    with open(path(name), "wb") as f:
        f.write(data)


def check_pixels(name, expected):
    """Reads the file back with PIL and compares every pixel."""
    image = Image.open(path(name))
    width, height = image.size
    for y in range(height):
        for x in range(width):
            got = image.getpixel((x, y))
            want = expected(x, y)
            assert got == want, (name, x, y, got, want)


def sub_byte_gray(name, width, height, depth, value):
    """Gray PNG of 2 or 4 bits per sample (Pillow never writes these), value(x, y) < 2**depth."""
    raw = bytearray()
    for y in range(height):
        bits = "".join(format(value(x, y), "0%db" % depth) for x in range(width))
        bits += "0" * (-len(bits) % 8)
        raw += bytes([0]) + int(bits, 2).to_bytes(len(bits) // 8, "big")
    header = struct.pack(">IIBBBBB", width, height, depth, 0, 0, 0, 0)
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(bytes(raw), 9)) + chunk(b"IEND", b"")
    with open(path(name), "wb") as f:
        f.write(data)


def palette_image(name, width, height, colors, index):
    image = Image.new("P", (width, height))
    image.putpalette([c for rgb in colors for c in rgb])
    image.putdata([index(x, y) for y in range(height) for x in range(width)])
    image.save(path(name))
    check_pixels(name, index)


def main():
    # 8-bit palette: 20 colours whose luminance differs from the index.
    luma_colors = [(255 - 10 * i, (13 * i) % 256, 200) for i in range(20)]
    palette_image("palette8.png", 5, 4, luma_colors, lambda x, y: (x + 4 * y) % 20)
    assert ihdr("palette8.png")[2:4] == (8, 3), ihdr("palette8.png")

    # PIL picks the palette bit depth from the palette size: 2 colours → 1 bit, 11 → 4 bits.
    palette_image("palette1.png", 9, 2, [(10, 10, 10), (240, 240, 240)], lambda x, y: (x + y) % 2)
    assert ihdr("palette1.png")[2:4] == (1, 3), ihdr("palette1.png")
    palette_image("palette4.png", 5, 3, CLASS_COLORS + [(9, 9, 9)] * 5, lambda x, y: (3 * x + 5 * y) % 11)
    assert ihdr("palette4.png")[2:4] == (4, 3), ihdr("palette4.png")

    # 16-bit gray with values above 255.
    gray16 = lambda x, y: (4099 * x + 13001 * y) % 65536
    image = Image.new("I;16", (5, 3))
    image.putdata([gray16(x, y) for y in range(3) for x in range(5)])
    image.save(path("gray16.png"))
    assert ihdr("gray16.png")[2:4] == (16, 0), ihdr("gray16.png")
    check_pixels("gray16.png", gray16)

    # 1-bit gray (PIL mode "1"): the file holds 0/1, PIL shows 0/255.
    bit = lambda x, y: (x * y + x) % 2
    image = Image.new("1", (10, 2))
    image.putdata([255 * bit(x, y) for y in range(2) for x in range(10)])
    image.save(path("gray1.png"))
    assert ihdr("gray1.png")[2:4] == (1, 0), ihdr("gray1.png")
    check_pixels("gray1.png", lambda x, y: 255 * bit(x, y))

    # 2- and 4-bit gray: Pillow (mmseg's default label loader) stretches them to 0-255
    # (x 85, x 17); check_pixels reads them with Pillow, which is what ovseg must match.
    gray2 = lambda x, y: (x + 2 * y) % 4
    sub_byte_gray("gray2.png", 7, 3, 2, gray2)
    check_pixels("gray2.png", lambda x, y: 85 * gray2(x, y))
    gray4 = lambda x, y: (3 * x + 5 * y) % 16
    sub_byte_gray("gray4.png", 9, 3, 4, gray4)
    check_pixels("gray4.png", lambda x, y: 17 * gray4(x, y))

    # 8-bit gray with gAMA 0.5: a gamma-correcting reader would change the values.
    gray8 = lambda x, y: (40 * x + 7 * y) % 256
    info = PngImagePlugin.PngInfo()
    info.add(b"gAMA", struct.pack(">I", 50000))
    image = Image.new("L", (6, 4))
    image.putdata([gray8(x, y) for y in range(4) for x in range(6)])
    image.save(path("gray8_gama.png"), pnginfo=info)
    assert b"gAMA" in open(path("gray8_gama.png"), "rb").read()
    check_pixels("gray8_gama.png", gray8)

    # Colour-coded RGB with gAMA 1.0 (libpng's simplified API changed such values).
    rgb_class = lambda x, y: (x + 2 * y) % 6
    info = PngImagePlugin.PngInfo()
    info.add(b"gAMA", struct.pack(">I", 100000))
    image = Image.new("RGB", (6, 4))
    image.putdata([CLASS_COLORS[rgb_class(x, y)] for y in range(4) for x in range(6)])
    image.save(path("rgb_gama.png"), pnginfo=info)
    assert ihdr("rgb_gama.png")[2:4] == (8, 2)
    check_pixels("rgb_gama.png", lambda x, y: CLASS_COLORS[rgb_class(x, y)])

    # RGBA colour-coded: alpha varies and must be ignored.
    rgba_class = lambda x, y: (x + y) % 6
    image = Image.new("RGBA", (4, 2))
    image.putdata([CLASS_COLORS[rgba_class(x, y)] + (60 * x,) for y in range(2) for x in range(4)])
    image.save(path("rgba.png"))
    assert ihdr("rgba.png")[2:4] == (8, 6)
    check_pixels("rgba.png", lambda x, y: CLASS_COLORS[rgba_class(x, y)] + (60 * x,))

    # Gray + alpha: the gray value is the label.
    image = Image.new("LA", (4, 3))
    image.putdata([(50 * x + y, 128) for y in range(3) for x in range(4)])
    image.save(path("gray_alpha.png"))
    assert ihdr("gray_alpha.png")[2:4] == (8, 4)
    check_pixels("gray_alpha.png", lambda x, y: (50 * x + y, 128))

    # Adam7-interlaced 8-bit gray, odd size so that passes have ragged edges.
    interlaced = lambda x, y: (23 * x + 17 * y) % 256
    encode("interlaced.png", 11, 9, 8, 0, [[(interlaced(x, y),) for x in range(11)] for y in range(9)], interlace=True)
    assert ihdr("interlaced.png") == (11, 9, 8, 0, 1)
    check_pixels("interlaced.png", interlaced)

    # 16-bit RGB: valid PNG, unsupported as a label map.
    encode("rgb16.png", 2, 2, 16, 2, [[(1000, 2000, 3000), (4, 5, 6)], [(7, 8, 9), (65535, 0, 1)]])
    assert Image.open(path("rgb16.png")).size == (2, 2)

    print("fixtures written to", HERE)


if __name__ == "__main__":
    main()
