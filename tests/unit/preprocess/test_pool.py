"""ImagePool: normalise() off the event loop, in threads or processes; errors keep their types."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator

import pytest

from streams.errors import InvalidImage, TransientError, UnsupportedImage
from streams.imaging import ImagePool
from streams.settings import PreprocessSettings
from tests.unit.preprocess import factory as f


def _die(data: bytes) -> None:
    os._exit(13)  # a worker killed mid-job, as by the OOM killer


@pytest.fixture(scope="module")
def process_pool() -> Iterator[ImagePool]:
    pool = ImagePool(PreprocessSettings(), workers=2, kind="process")
    yield pool
    pool.close()


async def test_thread_pool_normalises() -> None:
    pool = ImagePool(PreprocessSettings(pool="thread"), workers=2)
    try:
        image = await pool.run(f.jpeg_small())
    finally:
        pool.close()
    assert pool.kind == "thread"
    assert (image.width, image.height) == (800, 600)


async def test_process_pool_is_the_default_and_runs_concurrently(process_pool: ImagePool) -> None:
    default = ImagePool(PreprocessSettings(pool_workers=3))
    assert (default.kind, default.workers) == ("process", 3)
    default.close()
    images = await asyncio.gather(*(process_pool.run(f.jpeg_small(seed=s)) for s in range(4)))
    assert len({i.sha256 for i in images}) == 4


async def test_typed_errors_cross_the_process_boundary(process_pool: ImagePool) -> None:
    with pytest.raises(InvalidImage) as exc:
        await process_pool.run(f.truncated_jpeg())
    assert exc.value.reason == "invalid_image"
    with pytest.raises(UnsupportedImage):
        await process_pool.run(f.SVG)


async def test_a_dead_worker_is_transient_and_the_pool_recovers() -> None:
    pool = ImagePool(PreprocessSettings(), workers=1, kind="process")
    job = pool._job
    try:
        pool._job = _die  # type: ignore[assignment]
        with pytest.raises(TransientError, match="pool restarted"):
            await pool.run(b"")
        pool._job = job  # the real job again, on the replacement executor
        assert (await pool.run(f.jpeg_small())).width == 800
    finally:
        pool.close()


async def test_warm_starts_the_workers_before_the_first_photo(process_pool: ImagePool) -> None:
    await process_pool.warm()
    assert (await process_pool.run(f.jpeg_small())).width == 800
