"""Image validation and normalisation (see docs/images.md).

- :func:`sniff` and :func:`check_upload`: cheap checks (magic numbers, size, header pixel count) the
  gateway runs so a bad upload is refused before it enters Kafka.
- :func:`normalise`: pure and deterministic. Decode (JPEG in draft mode), apply the EXIF orientation,
  drop all metadata, shrink to ``max_edge``, flatten on white, encode JPEG: same pixels, same sha256.
- :class:`ImagePool`: runs :func:`normalise` in a process (or thread) pool, off the event loop.

Example::

    check_upload(data[:HEAD_BYTES], len(data), settings.preprocess)
    pool = ImagePool(settings.preprocess)  # settings.preprocess.pool / pool_workers
    image = await pool.run(data)  # NormalisedImage(jpeg=..., sha256=..., ...)
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import math
import multiprocessing
import os
import warnings
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from functools import partial
from typing import Literal

import imagehash
import pillow_heif
from PIL import Image

from streams.errors import ImageTooLarge, InvalidImage, PipelineError, TransientError, UnsupportedImage
from streams.lifeline import watch_parent
from streams.settings import PreprocessSettings

__all__ = [
    "HEAD_BYTES",
    "ImagePool",
    "NormalisedImage",
    "check_upload",
    "normalise",
    "sniff",
]

# Registering the HEIF opener is a Pillow plugin registration, so it has to happen in every process
# that decodes; importing this module (which pool workers do to unpickle `normalise`) does it.
# Thumbnails, depth and auxiliary images are never used: not parsing them is less attack surface.
pillow_heif.register_heif_opener(thumbnails=False, depth_images=False, aux_images=False)
# We enforce max_pixels ourselves, from the header, before decoding; Pillow's warning for images
# between its soft and hard limits is noise. A process-wide filter, because catch_warnings() is not
# thread-safe and the pool may be a thread pool.
warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)

#: How much of an upload the gateway should pass to :func:`check_upload`. Sniffing needs 12 bytes;
#: a JPEG's size sits after its EXIF/ICC segments, which rarely exceed 64 KiB.
HEAD_BYTES = 64 * 1024

Format = Literal["jpeg", "png", "webp", "heic"]
_PIL_FORMATS: dict[str, list[str]] = {"jpeg": ["JPEG"], "png": ["PNG"], "webp": ["WEBP"], "heic": ["HEIF"]}
# ISO-BMFF major brands of HEIF/HEIC stills and sequences (the list pillow-heif itself accepts).
_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs", b"mif1", b"msf1"}
# JPEG draft mode decodes at 1/2, 1/4 or 1/8 scale in the IDCT. Accepting a result up to 10% under
# max_edge lets a 12 MP photo (4000 px) decode at 1/4 (1000 px) and skip resampling altogether,
# instead of decoding at 1/2 and paying more for the resize than for the decode.
_DRAFT_SLACK = 0.9
_ORIENTATION_TAG = 0x0112
_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_ALPHA_MODES = {"RGBA", "LA", "PA", "RGBa", "La"}
_WIDE_MODES = {"I", "I;16", "I;16L", "I;16B", "I;16N", "F"}


@dataclass(frozen=True, slots=True)
class NormalisedImage:
    """The output of :func:`normalise`; picklable, so it crosses the process pool."""

    jpeg: bytes
    sha256: str
    phash: str
    width: int
    height: int
    source_format: str

    @property
    def key(self) -> str:
        """Content-addressed object-store key."""
        return f"images/{self.sha256}.jpg"


def sniff(head: bytes) -> Format | None:
    """The image format named by the magic numbers at the start of ``head``, or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        return "heic"
    return None


def check_upload(head: bytes, size: int, settings: PreprocessSettings) -> Format:
    """Refuse an upload from its first bytes and total size, without decoding it.

    Returns the sniffed format. Raises:
        InvalidImage: empty, or the header claims more than ``max_pixels`` pixels.
        ImageTooLarge: more than ``max_upload_bytes``.
        UnsupportedImage: not JPEG, PNG, WebP or HEIC/HEIF.
    """
    if size <= 0:
        raise InvalidImage("empty upload")
    if size > settings.max_upload_bytes:
        raise ImageTooLarge(f"upload of {size} bytes exceeds the limit of {settings.max_upload_bytes}")
    fmt = sniff(head)
    if fmt is None:
        raise UnsupportedImage("not a JPEG, PNG, WebP or HEIC/HEIF image")
    dims = _header_size(head, fmt)
    if dims is not None:
        _check_pixels(*dims, settings.max_pixels)
    return fmt


def _header_size(head: bytes, fmt: Format) -> tuple[int, int] | None:
    # Best effort: when the head is too short to hold the header, the worker checks again.
    if fmt == "heic":  # libheif wants the whole file
        return None
    try:
        with Image.open(io.BytesIO(head), formats=_PIL_FORMATS[fmt]) as im:
            return im.size
    except Image.DecompressionBombError as e:
        raise InvalidImage(f"decompression bomb: {e}") from e
    except Exception:  # noqa: BLE001 - a truncated head can make any plugin raise anything
        return None


def _check_pixels(width: int, height: int, max_pixels: int) -> None:
    if width * height > max_pixels:
        raise InvalidImage(f"{width}x{height} exceeds the limit of {max_pixels} pixels (decompression bomb)")


def normalise(data: bytes, *, max_edge: int, jpeg_quality: int, max_pixels: int) -> NormalisedImage:
    """Decode, orient, strip, shrink and re-encode one upload. Pure and picklable.

    Raises:
        UnsupportedImage: the bytes are not a supported format.
        InvalidImage: truncated, corrupt, or over ``max_pixels`` (checked before decoding).
    """
    fmt = sniff(data[:32])
    if fmt is None:
        raise UnsupportedImage("not a JPEG, PNG, WebP or HEIC/HEIF image")
    try:
        im = _open(data, fmt, max_pixels)
        orientation = _orientation(im)
        _draft(im, fmt, max_edge)
        im.load()
        out = _to_rgb(im, max_edge)
        if orientation in _TRANSPOSE:  # after the shrink: rotating 1 MP is cheaper than 12 MP
            out = out.transpose(_TRANSPOSE[orientation])
    except (PipelineError, MemoryError):  # memory pressure is not the image's fault
        raise
    except Image.DecompressionBombError as e:
        raise InvalidImage(f"decompression bomb: {e}") from e
    except Exception as e:  # noqa: BLE001 - decoders raise OSError, SyntaxError, ValueError, struct.error...
        raise InvalidImage(f"cannot decode {fmt}: {e}") from e
    jpeg = _encode(out, jpeg_quality)
    return NormalisedImage(
        jpeg=jpeg,
        sha256=hashlib.sha256(jpeg).hexdigest(),
        phash=_phash(out),
        width=out.width,
        height=out.height,
        source_format=fmt,
    )


def _open(data: bytes, fmt: Format, max_pixels: int) -> Image.Image:
    im = Image.open(io.BytesIO(data), formats=_PIL_FORMATS[fmt])
    _check_pixels(im.width, im.height, max_pixels)  # header only: nothing decoded yet
    return im


def _orientation(im: Image.Image) -> int:
    try:
        return int(im.getexif().get(_ORIENTATION_TAG, 1))
    except Exception:  # noqa: BLE001 - broken EXIF must not fail an otherwise good photo
        return 1


def _draft(im: Image.Image, fmt: Format, max_edge: int) -> None:
    # Orientation does not matter here: the long edge is the same before and after rotation.
    scale = max_edge * _DRAFT_SLACK / max(im.size)
    if fmt == "jpeg" and scale < 1:
        im.draft("RGB", (max(1, math.ceil(im.width * scale)), max(1, math.ceil(im.height * scale))))


def _to_rgb(im: Image.Image, max_edge: int) -> Image.Image:
    if im.mode in _WIDE_MODES:  # 16-bit greyscale PNG: Pillow's convert would clip, not scale
        im = im.convert("I").point(lambda v: v * (1 / 256)).convert("L")
    alpha = im.mode in _ALPHA_MODES or "transparency" in im.info
    mode = "RGBA" if alpha else "RGB"
    out = _shrink(im if im.mode == mode else im.convert(mode), max_edge)
    if alpha:  # flatten on white after the shrink (Pillow resamples RGBA premultiplied)
        flat = Image.new("RGB", out.size, (255, 255, 255))
        flat.paste(out, mask=out.getchannel("A"))
        out = flat
    return out


def _shrink(im: Image.Image, max_edge: int) -> Image.Image:
    long_edge = max(im.size)
    if long_edge <= max_edge:
        return im
    s = max_edge / long_edge
    size = (max(1, round(im.width * s)), max(1, round(im.height * s)))
    # Bilinear (Pillow's is antialiased: a triangle filter widened by the ratio) after a 2x box
    # reduction whenever the ratio is at least 3 (4000 -> 2000 -> 1024). Bicubic's wider filter cost
    # twice as much (1600 x 1200 -> 1024: 17 of a photo's 26 ms in the image pool) for a sharpness the
    # model does not see at this size.
    return im.resize(size, Image.Resampling.BILINEAR, reducing_gap=1.5)


def _phash(im: Image.Image) -> str:
    # imagehash shrinks to 32 x 32 with Lanczos; from ~1 MP that cost 5 ms a photo, from a box-reduced
    # thumbnail (a few hundred pixels a side) it costs a tenth and hashes the same picture.
    grey = im.convert("L")
    factor = max(1, min(grey.size) // 128)
    return str(imagehash.phash(grey.reduce(factor) if factor > 1 else grey))


def _encode(im: Image.Image, quality: int) -> bytes:
    # Fixed encoder settings and no metadata at all (no EXIF, XMP, ICC, comment, DPI): the output
    # depends only on the pixels, so re-sending a photo with edited metadata dedupes.
    im.info = {}
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=quality, subsampling="4:2:0", optimize=True, progressive=False)
    return buf.getvalue()


class ImagePool:
    """Runs :func:`normalise` off the event loop, in a process pool (default) or a thread pool.

    As with any spawn/forkserver pool, workers import the program's main module: run the worker
    from a real file or ``-m`` module whose entry point is guarded by ``if __name__ == "__main__"``.

    Example::

        pool = ImagePool(settings.preprocess)
        image = await pool.run(data)
        pool.close()
    """

    def __init__(
        self,
        settings: PreprocessSettings,
        *,
        workers: int | None = None,
        kind: Literal["process", "thread"] | None = None,
    ) -> None:
        self.kind = kind or settings.pool
        self.workers = max(1, workers or settings.pool_workers)
        self._job = partial(
            normalise,
            max_edge=settings.max_edge,
            jpeg_quality=settings.jpeg_quality,
            max_pixels=settings.max_pixels,
        )
        self._executor = self._new_executor()

    def _new_executor(self) -> Executor:
        if self.kind == "thread":
            return ThreadPoolExecutor(self.workers, thread_name_prefix="bunri-image")
        # each worker exits when this process does, even on SIGKILL (streams/lifeline)
        return ProcessPoolExecutor(self.workers, mp_context=_mp_context(), initializer=watch_parent,
                                   initargs=(os.getpid(),))

    async def run(self, data: bytes) -> NormalisedImage:
        executor = self._executor
        try:
            return await asyncio.get_running_loop().run_in_executor(executor, self._job, data)
        except BrokenProcessPool as e:
            # A worker was killed (OOM on a hostile image, a signal): the pool is unusable from now
            # on. Replace it once, and let the message be redelivered.
            if self._executor is executor:
                self._executor = self._new_executor()
                executor.shutdown(wait=False, cancel_futures=True)
            raise TransientError("image worker process died; pool restarted", stage="preprocess") from e

    async def warm(self) -> None:
        """Start the workers now (fork server, imports) instead of on the first photo (~0.5 s).

        The submits run in a thread: the first one starts the fork server and the processes, ~0.3 s of
        blocking calls that would otherwise hold the event loop (and a worker's group join) meanwhile."""
        futures = await asyncio.to_thread(lambda: [self._executor.submit(sniff, b"") for _ in range(self.workers)])
        await asyncio.gather(*(asyncio.wrap_future(f) for f in futures))

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)


def _mp_context() -> multiprocessing.context.BaseContext:
    # Never fork the worker itself: it has an event loop and threads (Kafka client, to_thread).
    # A fork server started early, with this module preloaded, forks clean and warm children.
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        # scipy.fftpack is what imagehash.phash imports on first use: load it once, shared copy-on-write.
        ctx.set_forkserver_preload(["streams.imaging", "scipy.fftpack"])
        return ctx
    return multiprocessing.get_context("spawn")
