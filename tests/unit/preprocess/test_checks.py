"""sniff() and check_upload(): the cheap checks the gateway runs before anything enters Kafka."""

from __future__ import annotations

import pytest

from streams.errors import ImageTooLarge, InvalidImage, PermanentError, UnsupportedImage
from streams.imaging import HEAD_BYTES, check_upload, sniff
from streams.settings import PreprocessSettings
from tests.unit.preprocess import factory as f

GOOD = {
    "jpeg": f.jpeg_small,
    "png": f.png_alpha,
    "webp": f.webp,
    "heic": f.heic_small,
}
NOT_IMAGES = {
    "text renamed .jpg": lambda: f.TEXT_AS_JPG,
    "svg": lambda: f.SVG,
    "html": lambda: f.HTML,
    "gif": f.gif,
    "avif brand": lambda: b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1",
}


@pytest.mark.parametrize("fmt", GOOD)
def test_sniff_names_the_real_format(fmt: str) -> None:
    assert sniff(GOOD[fmt]()[:16]) == fmt


@pytest.mark.parametrize("name", NOT_IMAGES)
def test_sniff_refuses_everything_else(name: str) -> None:
    assert sniff(NOT_IMAGES[name]()) is None


def test_sniff_ignores_the_name_and_type_and_reads_bytes() -> None:
    # A PNG sent as photo.jpg with Content-Type image/jpeg is still a PNG.
    assert sniff(f.png_alpha()) == "png"
    assert sniff(b"") is None


@pytest.mark.parametrize("fmt", GOOD)
def test_check_upload_accepts_good_images(fmt: str) -> None:
    data = GOOD[fmt]()
    assert check_upload(data[:HEAD_BYTES], len(data), PreprocessSettings()) == fmt


@pytest.mark.parametrize(
    ("data", "size", "error", "reason"),
    [
        (f.ZERO_BYTES, 0, InvalidImage, "invalid_image"),
        (f.TEXT_AS_JPG, len(f.TEXT_AS_JPG), UnsupportedImage, "unsupported_image"),
        (f.SVG, len(f.SVG), UnsupportedImage, "unsupported_image"),
        (f.HTML, len(f.HTML), UnsupportedImage, "unsupported_image"),
        (f.bomb_png(), len(f.bomb_png()), InvalidImage, "invalid_image"),
        (f.bomb_jpeg(), len(f.bomb_jpeg()), InvalidImage, "invalid_image"),
    ],
    ids=["zero-byte", "text", "svg", "html", "bomb-png", "bomb-jpeg"],
)
def test_check_upload_refuses(data: bytes, size: int, error: type[PermanentError], reason: str) -> None:
    with pytest.raises(error) as exc:
        check_upload(data[:HEAD_BYTES], size, PreprocessSettings())
    assert exc.value.reason == reason
    assert isinstance(exc.value, PermanentError) and isinstance(exc.value, ValueError)


def test_check_upload_refuses_30mb_before_looking_at_it() -> None:
    data = f.upload_30mb()
    with pytest.raises(ImageTooLarge) as exc:
        check_upload(data[:HEAD_BYTES], len(data), PreprocessSettings())
    assert exc.value.reason == "image_too_large"


def test_check_upload_uses_the_configured_pixel_limit() -> None:
    data = f.jpeg_small()  # 800x600 = 480,000 px
    check_upload(data[:HEAD_BYTES], len(data), PreprocessSettings(max_pixels=480_000))
    with pytest.raises(InvalidImage, match="pixels"):
        check_upload(data[:HEAD_BYTES], len(data), PreprocessSettings(max_pixels=479_999))


def test_check_upload_with_a_head_too_short_for_the_header_leaves_it_to_the_worker() -> None:
    data = f.jpeg_small()
    assert check_upload(data[:64], len(data), PreprocessSettings(max_pixels=1)) == "jpeg"
