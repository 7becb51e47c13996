"""Regenerate examples/pet_bottle.jpg: a clear PET water bottle with label and cap on a table.

The photo is stored the way phones store portrait shots: landscape pixels (1600x1200) plus EXIF
Orientation 6 ("rotate 90° clockwise to display"), with the phone's make/model, a timestamp and GPS
coordinates. The preprocess stage must show it upright and drop every piece of that metadata.

    .venv/bin/python examples/make_pet_bottle.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import ExifTags, Image, ImageDraw, ImageFilter, ImageFont

W, H = 1200, 1600  # upright (portrait) scene
CX = W // 2
TABLE_Y = 1250
OUT = Path(__file__).resolve().parent / "pet_bottle.jpg"


def background() -> Image.Image:
    y = np.linspace(0, 1, H, dtype=np.float32)[:, None]
    x = np.linspace(-1, 1, W, dtype=np.float32)[None, :]
    wall = np.stack([236 - 22 * y, 232 - 24 * y, 224 - 26 * y], -1) * (1 - 0.06 * x[..., None] ** 2)
    table = np.stack([205 - 30 * y, 184 - 30 * y, 152 - 30 * y], -1) * np.ones((1, W, 1))
    img = np.where((np.arange(H)[:, None, None] >= TABLE_Y), table, wall)
    return Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).convert("RGBA")


def bottle_outline() -> list[tuple[float, float]]:
    """Right half of the silhouette from the neck ring down to the base, mirrored."""
    right = [
        (68, 275),
        (70, 330),
        (110, 380),
        (160, 430),
        (172, 480),
        (172, 600),
        (160, 640),
        (172, 680),
        (172, 1180),
        (160, 1220),
        (172, 1260),
        (170, 1300),
        (150, 1330),
    ]
    left = [(-x, y) for x, y in reversed(right)]
    return [(CX + x, y) for x, y in right + left]


def draw_bottle(img: Image.Image) -> Image.Image:
    shadow = Image.new("RGBA", img.size, (0, 0, 0, 0))
    ImageDraw.Draw(shadow).ellipse((CX - 230, 1300, CX + 260, 1365), fill=(60, 45, 30, 120))
    img = Image.alpha_composite(img, shadow.filter(ImageFilter.GaussianBlur(18)))

    body = Image.new("RGBA", img.size, (0, 0, 0, 0))
    d = ImageDraw.Draw(body)
    d.polygon(bottle_outline(), fill=(196, 222, 238, 120), outline=(120, 150, 175, 200), width=5)
    for y in (500, 540, 580, 1100, 1140, 1180):  # grip rings
        d.line((CX - 170, y, CX + 170, y), fill=(150, 180, 200, 110), width=6)
    d.rectangle((CX - 172, 700, CX + 172, 930), fill=(24, 110, 196, 255))  # label band
    d.rectangle((CX - 172, 845, CX + 172, 880), fill=(255, 255, 255, 255))
    d.rectangle((CX - 68, 262, CX + 68, 282), fill=(40, 95, 190, 255))  # neck ring
    d.rounded_rectangle((CX - 78, 170, CX + 78, 265), 14, fill=(28, 86, 190, 255))  # cap
    for x in range(CX - 70, CX + 71, 12):
        d.line((x, 180, x, 255), fill=(18, 60, 150, 255), width=3)
    font = ImageFont.load_default(size=50)
    d.text((CX, 770), "PURE WATER", fill=(255, 255, 255, 255), font=font, anchor="mm")
    d.text(
        (CX, 863), "2L  PET 1", fill=(24, 110, 196, 255), font=ImageFont.load_default(size=28), anchor="mm"
    )
    img = Image.alpha_composite(img, body)

    shine = Image.new("RGBA", img.size, (0, 0, 0, 0))
    s = ImageDraw.Draw(shine)
    s.rounded_rectangle((CX - 125, 440, CX - 95, 1290), 15, fill=(255, 255, 255, 110))
    s.rounded_rectangle((CX + 110, 460, CX + 126, 1280), 8, fill=(255, 255, 255, 80))
    return Image.alpha_composite(img, shine.filter(ImageFilter.GaussianBlur(6)))


def photographic(img: Image.Image) -> Image.Image:
    rng = np.random.default_rng(7)
    arr = np.asarray(img.convert("RGB"), np.int16) + rng.normal(0, 3, (H, W, 3)).astype(np.int16)
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(0.8))


def exif() -> Image.Exif:
    e = Image.Exif()
    e[ExifTags.Base.Make] = "samsung"
    e[ExifTags.Base.Model] = "SM-S921N"
    e[ExifTags.Base.DateTime] = "2025:05:01 09:30:12"
    e[ExifTags.Base.Orientation] = 6
    e.get_ifd(ExifTags.IFD.GPSInfo).update(
        {1: "N", 2: (37.0, 33.0, 59.44), 3: "E", 4: (126.0, 58.0, 40.92), 5: 0, 6: 38.0}
    )
    return e


def main() -> None:
    upright = photographic(draw_bottle(background()))
    # Stored as a phone stores a portrait shot: sensor (landscape) pixels + Orientation 6.
    stored = upright.transpose(Image.Transpose.ROTATE_90)
    stored.save(OUT, "JPEG", quality=82, exif=exif(), optimize=True)
    print(f"wrote {OUT} {stored.size} {OUT.stat().st_size} bytes")  # noqa: T201


if __name__ == "__main__":
    main()
