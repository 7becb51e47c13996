"""sweep(): raw retention, cache TTL and the max_entries bound, on a local store."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest

from streams.settings import CacheSettings, PreprocessSettings
from streams.store import LocalStore
from streams.sweep import SweepReport, sweep

NOW = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)


async def put_aged(store: LocalStore, key: str, age_s: float) -> None:
    await store.put(key, b"{}")
    t = (NOW - timedelta(seconds=age_s)).timestamp()
    os.utime(store.root / key, (t, t))


async def keys(store: LocalStore, prefix: str = "") -> list[str]:
    return [o.key for o in await store.list(prefix)]


async def test_raw_uploads_and_markers_older_than_retention_go(local_store: LocalStore) -> None:
    await put_aged(local_store, "raw/old", 3601)
    await put_aged(local_store, "raw/old.prepared.json", 4000)
    await put_aged(local_store, "raw/fresh", 10)
    await put_aged(local_store, "images/" + "a" * 64 + ".jpg", 10**6)  # images have their own, longer retention
    report = await sweep(local_store, CacheSettings(), PreprocessSettings(raw_retention_s=3600), NOW)
    assert report.raw_deleted == 2
    assert await keys(local_store) == ["images/" + "a" * 64 + ".jpg", "raw/fresh"]


async def test_images_unused_for_their_retention_go_and_a_reused_one_stays(local_store: LocalStore) -> None:
    old, reused = "images/" + "a" * 64 + ".jpg", "images/" + "b" * 64 + ".jpg"
    await put_aged(local_store, old, 31 * 86400)
    await put_aged(local_store, reused, 31 * 86400)
    assert await local_store.touch(reused)  # a query used it again (preprocess touches it)
    assert not await local_store.touch("images/" + "c" * 64 + ".jpg")  # gone: the caller stores it anew
    settings = PreprocessSettings(image_retention_s=30 * 86400)
    report = await sweep(local_store, CacheSettings(), settings, datetime.now(UTC))
    assert report.images_deleted == 1 and await keys(local_store, "images/") == [reused]


async def test_expired_cache_entries_go(local_store: LocalStore) -> None:
    await put_aged(local_store, "cache/answers/" + "1" * 64 + ".json", 120)
    await put_aged(local_store, "cache/analysis/" + "2" * 64 + ".json", 30)
    report = await sweep(local_store, CacheSettings(ttl_s=60), PreprocessSettings(), NOW)
    assert (report.cache_expired, report.cache_trimmed, report.cache_kept) == (1, 0, 1)
    assert await keys(local_store, "cache/") == ["cache/analysis/" + "2" * 64 + ".json"]


async def test_cache_is_trimmed_to_max_entries_oldest_first(local_store: LocalStore) -> None:
    for i in range(10):  # entry i is i seconds younger than entry i-1; all within the TTL
        ns = "answers" if i % 2 else "analysis"
        await put_aged(local_store, f"cache/{ns}/{i:064x}.json", 100 - i)
    report = await sweep(local_store, CacheSettings(max_entries=4), PreprocessSettings(), NOW)
    assert report == SweepReport(raw_deleted=0, cache_expired=0, cache_trimmed=6, cache_kept=4)
    kept = sorted(int(k.rsplit("/", 1)[1].split(".")[0], 16) for k in await keys(local_store, "cache/"))
    assert kept == [6, 7, 8, 9]


async def test_an_empty_store_sweeps_cleanly(local_store: LocalStore) -> None:
    assert await sweep(local_store, CacheSettings(), PreprocessSettings(), NOW) == SweepReport()


async def test_now_must_be_timezone_aware(local_store: LocalStore) -> None:
    with pytest.raises(ValueError):
        await sweep(local_store, CacheSettings(), PreprocessSettings(), datetime(2025, 5, 1))  # noqa: DTZ001
