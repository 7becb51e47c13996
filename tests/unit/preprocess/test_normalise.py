"""normalise(): orientation, metadata stripping, shrinking, flattening, determinism, refusals."""

from __future__ import annotations

import hashlib
import io

import imagehash
import pytest
from PIL import Image

from streams.errors import InvalidImage, UnsupportedImage
from streams.imaging import NormalisedImage, normalise
from tests.unit.preprocess import factory as f

LIMITS = {"max_edge": 1024, "jpeg_quality": 85, "max_pixels": 50_000_000}


def run(data: bytes, **overrides: int) -> NormalisedImage:
    return normalise(data, **{**LIMITS, **overrides})


def decoded(image: NormalisedImage) -> Image.Image:
    im = Image.open(io.BytesIO(image.jpeg))
    assert im.format == "JPEG" and im.mode == "RGB"
    assert im.size == (image.width, image.height)
    return im


@pytest.mark.parametrize(
    ("make", "fmt", "size"),
    [
        (f.jpeg_12mp, "jpeg", (750, 1000)),  # 4000x3000 drafted at 1/4, then rotated (orientation 6)
        (f.png_alpha, "png", (1024, 768)),
        (f.webp, "webp", (1024, 768)),
        (f.heic_small, "heic", (640, 480)),  # small images are never upscaled
    ],
)
def test_each_format_becomes_a_small_rgb_jpeg(make, fmt: str, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    image = run(make())
    decoded(image)
    assert (image.width, image.height) == size
    assert image.source_format == fmt
    assert image.sha256 == hashlib.sha256(image.jpeg).hexdigest()
    assert len(image.phash) == 16 and int(image.phash, 16) >= 0
    assert image.key == f"images/{image.sha256}.jpg"


def test_long_edge_is_capped_at_max_edge_when_draft_cannot_get_close() -> None:
    # 3000 px: a 1/4 draft would give 750 px (far under 1024), so it decodes at 1/2 and resamples.
    data = f.encode(f.scene(3000, 2000), "JPEG", quality=90)
    image = run(data)
    assert (image.width, image.height) == (1024, 683)
    assert max(run(data, max_edge=512).width, 0) == 512


@pytest.mark.parametrize(
    ("orientation", "red_at"),
    [(1, "top-left"), (3, "bottom-right"), (6, "top-right"), (8, "bottom-left")],
)
def test_exif_orientation_is_applied_to_the_pixels(orientation: int, red_at: str) -> None:
    # Raw pixels: the top-left quadrant is red. After rotating for display it must sit at red_at.
    image = run(f.jpeg_quadrants(orientation))
    im = decoded(image)
    w, h = im.size
    assert (w < h) == (orientation in (6, 8))  # 90° turns make the landscape photo portrait
    centres = {
        "top-left": (w // 4, h // 4),
        "top-right": (3 * w // 4, h // 4),
        "bottom-left": (w // 4, 3 * h // 4),
        "bottom-right": (3 * w // 4, 3 * h // 4),
    }
    for corner, xy in centres.items():
        r, g, _b = im.getpixel(xy)  # type: ignore[misc]
        assert (r > 150 and g < 60) == (corner == red_at), (corner, im.getpixel(xy))


@pytest.mark.parametrize("make", [f.jpeg_12mp, f.png_alpha, f.webp, f.heic_small])
def test_all_metadata_is_stripped(make) -> None:  # type: ignore[no-untyped-def]
    data = make()
    assert b"Exif" in data or b"exif" in data.lower()  # the input really carries EXIF (and GPS)
    f.assert_no_metadata(run(data).jpeg)


def test_transparency_is_flattened_on_white() -> None:
    im = decoded(run(f.png_alpha()))
    assert all(c >= 250 for c in im.getpixel((5, 5)))  # type: ignore[union-attr]
    assert not all(c >= 250 for c in im.getpixel((im.width // 2, im.height // 2)))  # type: ignore[union-attr]


def test_palette_transparency_is_flattened_too() -> None:
    im = Image.new("P", (40, 40), 0)
    im.putpalette([0, 0, 0, 255, 0, 0])
    data = f.encode(im, "PNG", transparency=0)
    assert decoded(run(data)).getpixel((20, 20)) == (255, 255, 255)


def test_same_bytes_give_the_same_image() -> None:
    data = f.jpeg_small()
    assert run(data) == run(data)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_same_pixels_with_different_metadata_give_the_same_sha256(fmt: str) -> None:
    pixels = f.scene(900, 600, seed=3)
    params = {"quality": 90} if fmt != "PNG" else {}
    a = f.encode(pixels, fmt, exif=f.exif_bytes(gps=True, camera="Galaxy S24"), **params)
    b = f.encode(pixels, fmt, exif=f.exif_bytes(gps=False, camera="iPhone 15"), **params)
    assert a != b
    assert run(a).sha256 == run(b).sha256


def test_different_photos_differ() -> None:
    a, b = run(f.jpeg_small(seed=1)), run(f.jpeg_small(seed=2))
    assert a.sha256 != b.sha256


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (f.bomb_png(), InvalidImage),
        (f.bomb_jpeg(), InvalidImage),
        (f.truncated_jpeg(), InvalidImage),
        (f.jpeg_small()[:2000] + b"\x00" * 5000, InvalidImage),
        (f.png_alpha()[:-5000], InvalidImage),
        (f.heic_small()[:3000], InvalidImage),
        (f.TEXT_AS_JPG, UnsupportedImage),
        (f.SVG, UnsupportedImage),
        (f.HTML, UnsupportedImage),
        (f.ZERO_BYTES, UnsupportedImage),
        (f.gif(), UnsupportedImage),
    ],
    ids=[
        "bomb-png",
        "bomb-jpeg",
        "truncated-jpeg",
        "corrupt-jpeg",
        "truncated-png",
        "truncated-heic",
        "text",
        "svg",
        "html",
        "zero-byte",
        "gif",
    ],
)
def test_bad_input_raises_the_typed_error(data: bytes, error: type[Exception]) -> None:
    with pytest.raises(error):
        run(data)


def test_pillows_own_decompression_bomb_error_becomes_invalid_image() -> None:
    # Our limit out of the way: Pillow refuses 10 G pixels itself, and that maps to InvalidImage too.
    with pytest.raises(InvalidImage, match="decompression bomb"):
        run(f.bomb_png(), max_pixels=10**12)


def test_the_pixel_limit_is_checked_before_decoding() -> None:
    with pytest.raises(InvalidImage, match="pixels"):
        run(f.jpeg_small(), max_pixels=800 * 600 - 1)


def test_the_sample_photo_shows_stripping_and_rotation() -> None:
    from pathlib import Path

    sample = Path(__file__).resolve().parents[3] / "examples" / "pet_bottle.jpg"
    data = sample.read_bytes()
    assert len(data) < 300 * 1024
    exif = Image.open(io.BytesIO(data)).getexif()
    assert exif[0x0112] == 6 and exif.get_ifd(0x8825)  # orientation and GPS, as a phone writes them
    image = run(data)
    assert (image.width, image.height) == (768, 1024)  # landscape pixels shown upright (portrait)
    f.assert_no_metadata(image.jpeg)


def _odd_modes() -> dict[str, bytes]:
    import numpy as np

    s = f.scene(300, 200)
    ramp = (np.arange(200 * 300).reshape(200, 300) * 3 % 65535).astype(np.uint16)
    return {
        "png-16bit-grey": f.encode(Image.fromarray(ramp), "PNG"),
        "jpeg-cmyk": f.encode(s.convert("CMYK"), "JPEG"),
        "jpeg-grey": f.encode(s.convert("L"), "JPEG"),
        "png-grey-alpha": f.encode(s.convert("LA"), "PNG"),
        "png-1bit": f.encode(s.convert("1"), "PNG"),
        "webp-alpha": f.encode(s.convert("RGBA"), "WEBP"),
        "heic-alpha": f.encode(s.convert("RGBA"), "HEIF"),
    }


@pytest.mark.parametrize("name", list(_odd_modes()))
def test_other_pixel_modes_become_rgb(name: str) -> None:
    im = decoded(run(_odd_modes()[name]))
    assert im.size == (300, 200)
    if name == "png-16bit-grey":  # scaled to 8 bits, not clipped: 3010 * 3 / 256 ≈ 35
        assert abs(im.getpixel((10, 10))[0] - 35) <= 3  # type: ignore[index]


@pytest.mark.parametrize("size", [(1600, 1200), (1024, 768), (700, 1300)])
def test_the_perceptual_hash_of_the_reduced_copy_matches_the_full_picture(size: tuple[int, int]) -> None:
    image = run(f.encode(f.scene(*size), "JPEG", quality=90))
    full = imagehash.phash(decoded(image))  # the whole output picture, as imagehash takes it
    assert full - imagehash.hex_to_hash(image.phash) <= 4  # of 64 bits: the same picture for analytics
