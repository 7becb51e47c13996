"""Test images, built in memory: every supported format and every bad input the stage must refuse.

Also used by bench/preprocess_bench.py and the S3 integration test.
"""

from __future__ import annotations

import io
import struct
import zlib
from functools import cache

import numpy as np
import pillow_heif
from PIL import ExifTags, Image, ImageDraw, ImageFilter

pillow_heif.register_heif_opener()

SEOUL_GPS = {1: "N", 2: (37.0, 33.0, 59.0), 3: "E", 4: (126.0, 58.0, 41.0), 6: 38.0}
XMP_WITH_GPS = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="37,33.99N"'
    b' exif:GPSLongitude="126,58.68E"/></rdf:RDF></x:xmpmeta>'
)


def exif_bytes(*, orientation: int | None = None, gps: bool = True, camera: str = "Galaxy S24") -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Samsung"
    exif[ExifTags.Base.Model] = camera
    exif[ExifTags.Base.DateTime] = "2025:05:01 09:30:00"
    if orientation is not None:
        exif[ExifTags.Base.Orientation] = orientation
    if gps:
        exif.get_ifd(ExifTags.IFD.GPSInfo).update(SEOUL_GPS)
    return exif.tobytes()


@cache
def _scene_array(w: int, h: int, seed: int) -> bytes:
    """A photo-like scene: lit background, a bottle with label and cap, sensor noise, slight blur."""
    rng = np.random.default_rng(seed)
    y = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
    x = np.linspace(0, 1, w, dtype=np.float32)[None, :, None]
    base = np.array([214, 206, 190], np.float32) * (0.72 + 0.28 * (1 - y)) * (0.85 + 0.15 * x)
    img = Image.fromarray(base.astype(np.uint8))
    d = ImageDraw.Draw(img)
    cx, bw = w // 2, w // 4
    top, bottom = int(h * 0.18), int(h * 0.92)
    d.rounded_rectangle((cx - bw // 2, top + h // 10, cx + bw // 2, bottom), bw // 6, fill=(176, 204, 226))
    d.polygon(
        [
            (cx - bw // 2, top + h // 8),
            (cx - bw // 7, top),
            (cx + bw // 7, top),
            (cx + bw // 2, top + h // 8),
        ],
        fill=(184, 210, 230),
    )
    d.rectangle((cx - bw // 8, top - h // 16, cx + bw // 8, top), fill=(25, 90, 200))
    d.rectangle((cx - bw // 2, int(h * 0.48), cx + bw // 2, int(h * 0.64)), fill=(20, 120, 190))
    d.text((cx - bw // 3, int(h * 0.52)), "WATER 2L", fill=(255, 255, 255), font_size=max(8, h // 20))
    noisy = np.asarray(img, np.int16) + rng.normal(0, 5, (h, w, 3)).astype(np.int16)
    out = Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(0.7))
    return out.tobytes()


def scene(w: int = 1600, h: int = 1200, seed: int = 0) -> Image.Image:
    return Image.frombytes("RGB", (w, h), _scene_array(w, h, seed))


def encode(im: Image.Image, fmt: str, **params: object) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **params)
    return buf.getvalue()


def quadrants(w: int, h: int) -> Image.Image:
    """Raw pixel layout for orientation tests: top-left quadrant red, the rest green."""
    im = Image.new("RGB", (w, h), (0, 200, 0))
    ImageDraw.Draw(im).rectangle((0, 0, w // 2 - 1, h // 2 - 1), fill=(220, 0, 0))
    return im


@cache
def jpeg_12mp() -> bytes:
    """4000x3000 phone photo, EXIF orientation 6 (rotate 90° clockwise to display), GPS in EXIF and XMP."""
    return encode(
        scene(4000, 3000),
        "JPEG",
        quality=92,
        exif=exif_bytes(orientation=6),
        xmp=XMP_WITH_GPS,
        comment=b"shot at home",
    )


@cache
def jpeg_quadrants(orientation: int, w: int = 4000, h: int = 3000) -> bytes:
    return encode(quadrants(w, h), "JPEG", quality=90, exif=exif_bytes(orientation=orientation))


@cache
def jpeg_small(*, gps: bool = True, camera: str = "Galaxy S24", seed: int = 0) -> bytes:
    return encode(scene(800, 600, seed), "JPEG", quality=90, exif=exif_bytes(gps=gps, camera=camera))


@cache
def png_alpha(w: int = 1200, h: int = 900) -> bytes:
    """RGBA: transparent background, opaque bottle in the middle."""
    im = scene(w, h).convert("RGBA")
    alpha = Image.new("L", (w, h), 0)
    ImageDraw.Draw(alpha).rectangle((w // 4, h // 4, 3 * w // 4, 3 * h // 4), fill=255)
    im.putalpha(alpha)
    return encode(im, "PNG", exif=exif_bytes())


@cache
def png_12mp() -> bytes:
    return encode(scene(4000, 3000), "PNG", compress_level=6)


@cache
def webp(w: int = 1600, h: int = 1200) -> bytes:
    return encode(scene(w, h), "WEBP", quality=80, exif=exif_bytes())


@cache
def heic(w: int = 4032, h: int = 3024) -> bytes:
    """12 MP, about 2 MB like a phone HEIC (x265 takes ~20 s to encode it: cache it)."""
    return encode(scene(w, h), "HEIF", quality=60, exif=exif_bytes())


@cache
def heic_small() -> bytes:
    return encode(scene(640, 480), "HEIF", quality=70, exif=exif_bytes())


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def bomb_png(w: int = 100_000, h: int = 100_000) -> bytes:
    """A valid PNG header claiming 10 G pixels, with a few bytes of data behind it."""
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )


def bomb_jpeg(w: int = 60_000, h: int = 60_000) -> bytes:
    """A real small JPEG whose SOF0 frame header is patched to claim 3.6 G pixels."""
    data = bytearray(encode(Image.new("RGB", (16, 16), "white"), "JPEG"))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", h, w)
    return bytes(data)


def truncated_jpeg() -> bytes:
    data = jpeg_small(gps=False)
    return data[: len(data) // 2]


TEXT_AS_JPG = b"this is not a photo, just a note renamed to bottle.jpg\n"
ZERO_BYTES = b""
SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect/></svg>'
HTML = b"<!DOCTYPE html><html><body><img src=x onerror=alert(1)></body></html>"


def gif() -> bytes:
    return encode(Image.new("P", (10, 10)), "GIF")


def upload_30mb() -> bytes:
    """Starts like a JPEG so only the size check can refuse it."""
    return b"\xff\xd8\xff\xe0" + b"\x00" * (30 * 1024 * 1024 - 4)


def jpeg_markers(data: bytes) -> list[int]:
    """The marker bytes of every segment before the scan (0xE0 = APP0 ... 0xFE = COM)."""
    assert data[:2] == b"\xff\xd8"
    markers, i = [], 2
    while i < len(data) and data[i] == 0xFF:
        marker = data[i + 1]
        markers.append(marker)
        if marker == 0xDA:  # start of scan: entropy-coded data follows
            break
        i += 2 + struct.unpack(">H", data[i + 2 : i + 4])[0]
    return markers


def assert_no_metadata(jpeg: bytes) -> None:
    """Only JFIF (APP0) may precede the image data: no EXIF/XMP (APP1), ICC (APP2), other APPn, COM."""
    metadata = [hex(m) for m in jpeg_markers(jpeg) if (0xE1 <= m <= 0xEF) or m == 0xFE]
    assert metadata == [], f"metadata segments left: {metadata}"
    im = Image.open(io.BytesIO(jpeg))
    assert not im.getexif(), "EXIF left"
    assert not set(im.info) & {"exif", "xmp", "icc_profile", "comment", "photoshop"}, im.info.keys()
    for needle in (b"GPS", b"Exif", b"126,58", b"Galaxy", b"http://ns.adobe.com"):
        assert needle not in jpeg, needle
