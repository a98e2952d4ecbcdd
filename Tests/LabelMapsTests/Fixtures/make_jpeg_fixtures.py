#!/usr/bin/env python3
"""Writes the JPEG fixtures of LabelMapsTests (JPEGDecodingTests) and what Pillow decodes them to.

Each JPEG is encoded by Pillow from a 37×29 picture with colour edges and gradients (odd sizes, so
the chroma of 4:2:0 files is upsampled at partial blocks), then decoded by Pillow exactly as the
reference preprocessing does: Image.open(path).convert("RGB"), no EXIF transpose. The decoded RGB
is stored as raw bytes in <name>.rgb (row-major, 3 bytes per pixel) and listed in jpeg_fixtures.json
with the Pillow and libjpeg-turbo versions that made it; photo64.jpg's decoded RGB is photo64_pillow.png. The Swift test decodes the JPEGs with
libjpeg-turbo through ovseg and compares with these bytes.

Run from this directory: python3 make_jpeg_fixtures.py (needs pillow).
"""
import io
import json
import os

from PIL import Image, features

HERE = os.path.dirname(os.path.abspath(__file__))
WIDTH, HEIGHT = 37, 29


def picture():
    """Colour blocks with sharp edges (chroma detail) over gradients."""
    image = Image.new("RGB", (WIDTH, HEIGHT))
    pixels = image.load()
    for y in range(HEIGHT):
        for x in range(WIDTH):
            r = (x * 7 + y * 3) % 256
            g = (y * 9 + (x // 5) * 40) % 256
            b = 230 if (x // 6 + y // 5) % 2 else 20
            if 10 <= x < 19 and 8 <= y < 17:
                r, g, b = 250, 10, 10
            pixels[x, y] = (r, g, b)
    return image


def save(name, image, **options):
    path = os.path.join(HERE, name)
    image.save(path, "JPEG", **options)
    return path


def main():
    base = picture()
    entries = []

    def record(name, colorspace, note):
        path = os.path.join(HERE, name)
        with Image.open(path) as opened:
            rgb = opened.convert("RGB")
        assert rgb.size == (WIDTH, HEIGHT)
        expected = name.rsplit(".", 1)[0] + ".rgb"
        with open(os.path.join(HERE, expected), "wb") as f:
            f.write(rgb.tobytes())
        entries.append({"file": name, "width": WIDTH, "height": HEIGHT, "colorspace": colorspace,
                        "expected_rgb": expected, "note": note})

    save("photo420.jpg", base, quality=85, subsampling=2)
    record("photo420.jpg", "YCbCr", "baseline, 4:2:0 chroma subsampling")
    save("photo444.jpg", base, quality=85, subsampling=0)
    record("photo444.jpg", "YCbCr", "baseline, no chroma subsampling")
    save("gray.jpg", base.convert("L"), quality=85)
    record("gray.jpg", "gray", "one-channel JPEG: R = G = B")
    save("progressive.jpg", base, quality=80, subsampling=2, progressive=True)
    record("progressive.jpg", "YCbCr", "progressive, 4:2:0")
    # EXIF Orientation = 6 (rotate 90° clockwise to display): Image.open does not apply it, so the
    # expected pixels are the stored 37×29 grid, not a 29×37 rotated one.
    exif = Image.Exif()
    exif[0x0112] = 6
    save("rotated_exif.jpg", base, quality=85, subsampling=2, exif=exif.tobytes())
    record("rotated_exif.jpg", "YCbCr", "EXIF orientation 6, not applied")
    # CMYK: refused by ovseg, so only the file is written (no expected pixels).
    save("cmyk.jpg", base.convert("CMYK"), quality=85)

    # For the CLI test (CLITests, `ovseg eval` over JPEG and PNG images): a 64×64 4:2:0 photo, the size
    # of `ovseg demo --size 64` tiles, and the RGB Pillow decodes it to saved as a PNG.
    big = base.resize((64, 64), Image.BILINEAR)
    save("photo64.jpg", big, quality=90, subsampling=2)
    with Image.open(os.path.join(HERE, "photo64.jpg")) as opened:
        opened.convert("RGB").save(os.path.join(HERE, "photo64_pillow.png"))

    manifest = {
        "generator": "make_jpeg_fixtures.py",
        "pillow": Image.__version__,
        "libjpeg_turbo": features.version("libjpeg_turbo"),
        "decode": "Image.open(path).convert('RGB')",
        "images": entries,
    }
    with open(os.path.join(HERE, "jpeg_fixtures.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
