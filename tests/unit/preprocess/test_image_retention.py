"""Normalised images live image_retention_s after their *last* use, so a recorded q.gpt5 message can replay."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from typing import Any

from streams.settings import CacheSettings, PreprocessSettings
from streams.stages.preprocess import prepare
from streams.sweep import sweep
from tests.unit.preprocess import factory as f
from tests.unit.preprocess.conftest import make_request

MONTH = 31 * 86400


def _age(store: Any, key: str, seconds: float) -> None:
    t = time.time() - seconds
    os.utime(store.inner.root / key, (t, t))


async def test_a_reused_image_restarts_its_retention(upload, prepare_kwargs, store) -> None:  # type: ignore[no-untyped-def]
    data = f.jpeg_small()
    first = await prepare(make_request(image=await upload(data)), **prepare_kwargs)
    _age(store, first.image.key, MONTH)  # stored a month ago

    await prepare(make_request("다른 질문", image=await upload(data)), **prepare_kwargs)  # the same photo again
    assert ("touch", first.image.key) in store.calls

    report = await sweep(store.inner, CacheSettings(), PreprocessSettings(image_retention_s=30 * 86400),
                         datetime.now(UTC))
    assert report.images_deleted == 0 and await store.inner.exists(first.image.key)


async def test_an_image_no_query_used_for_the_retention_is_swept(upload, prepare_kwargs, store) -> None:  # type: ignore[no-untyped-def]
    first = await prepare(make_request(image=await upload(f.jpeg_small())), **prepare_kwargs)
    _age(store, first.image.key, MONTH)
    report = await sweep(store.inner, CacheSettings(), PreprocessSettings(image_retention_s=30 * 86400),
                         datetime.now(UTC))
    assert report.images_deleted == 1 and not await store.inner.exists(first.image.key)
    again = await prepare(make_request(image=await upload(f.jpeg_small())), **prepare_kwargs)
    assert again.image == first.image and await store.inner.exists(first.image.key)  # stored anew
