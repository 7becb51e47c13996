"""LocalStore and make_store(): the object-store contract on a directory; key validation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from streams.errors import InvalidInput, StoreUnavailable
from streams.settings import S3Settings, Settings
from streams.store import LocalStore, ObjectNotFound, S3Store, make_store, validate_key


async def test_put_get_exists_delete(local_store: LocalStore) -> None:
    assert local_store.kind == "local"
    await local_store.put("images/abc.jpg", b"jpeg bytes", "image/jpeg")
    assert await local_store.get("images/abc.jpg") == b"jpeg bytes"
    assert await local_store.exists("images/abc.jpg")
    await local_store.delete("images/abc.jpg")
    assert not await local_store.exists("images/abc.jpg")
    await local_store.delete("images/abc.jpg")  # deleting twice is fine


async def test_get_missing_raises_object_not_found(local_store: LocalStore) -> None:
    with pytest.raises(ObjectNotFound):
        await local_store.get("raw/nothing")
    with pytest.raises(KeyError):  # ObjectNotFound is a KeyError
        await local_store.get("raw")


async def test_put_overwrites_atomically_and_leaves_no_temp_files(local_store: LocalStore) -> None:
    await local_store.put("cache/answers/aa.json", b"one")
    await local_store.put("cache/answers/aa.json", b"two")
    assert await local_store.get("cache/answers/aa.json") == b"two"
    assert [p.name for p in (local_store.root / "cache/answers").iterdir()] == ["aa.json"]


async def test_list_filters_by_prefix_with_last_modified(local_store: LocalStore) -> None:
    before = datetime.now(UTC) - timedelta(seconds=5)
    for key in ("raw/a", "raw/b.prepared.json", "rawish/c", "images/d.jpg"):
        await local_store.put(key, b"x" * 3)
    listed = await local_store.list("raw/")
    assert [o.key for o in listed] == ["raw/a", "raw/b.prepared.json"]
    assert all(o.size == 3 and o.last_modified > before and o.last_modified.tzinfo for o in listed)
    assert [o.key for o in await local_store.list("raw")] == ["raw/a", "raw/b.prepared.json", "rawish/c"]
    assert len(await local_store.list("")) == 4
    assert await local_store.list("cache/") == []


async def test_presigned_url_is_none_for_a_local_store(local_store: LocalStore) -> None:
    await local_store.put("images/a.jpg", b"x")
    assert await local_store.presigned_url("images/a.jpg", 60) is None


@pytest.mark.parametrize(
    "key",
    [
        "../escape",
        "raw/../../etc/passwd",
        "/etc/passwd",
        "raw//a",
        "raw/./a",
        "raw/.hidden",
        "raw\\a",
        "",
        "raw/",
        "raw/a\x00b",
        "raw/a b",
        "x" * 600,
        "C:/windows",
    ],
)
async def test_unsafe_keys_are_refused(local_store: LocalStore, tmp_path: Path, key: str) -> None:
    with pytest.raises(InvalidInput):
        validate_key(key)
    with pytest.raises(InvalidInput):
        await local_store.put(key, b"x")
    with pytest.raises(InvalidInput):
        await local_store.get(key)
    assert not (tmp_path / "escape").exists()


async def test_disk_errors_are_transient(tmp_path: Path) -> None:
    (tmp_path / "file").write_bytes(b"")
    store = LocalStore(tmp_path / "file")  # the root is a file: every write fails
    with pytest.raises(StoreUnavailable):
        await store.put("raw/a", b"x")


def test_make_store_defaults_to_a_directory_under_data_dir(tmp_path: Path) -> None:
    store = make_store(Settings(data_dir=tmp_path / "data"))
    assert isinstance(store, LocalStore)
    assert store.root == (tmp_path / "data" / "store").resolve()


def test_make_store_uses_s3_when_a_bucket_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    s3 = S3Settings(bucket="bunri", endpoint_url="http://127.0.0.1:9", prefix="dev/", presign_ttl_s=120)
    store = make_store(Settings(s3=s3))
    assert isinstance(store, S3Store)
    assert (store.kind, store.bucket, store.prefix, store.presign_ttl_s) == ("s3", "bunri", "dev/", 120)


async def test_small_objects_stay_on_the_loop_big_ones_go_to_a_thread(local_store: LocalStore,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio

    import streams.store.local as store_module

    hops: list[str] = []
    real = asyncio.to_thread

    async def counting(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
        hops.append(getattr(fn, "__name__", repr(fn)))
        return await real(fn, *args, **kwargs)

    monkeypatch.setattr(store_module.asyncio, "to_thread", counting)
    small, big = b"x" * 1000, b"y" * (store_module.INLINE_BYTES + 1)
    await local_store.put("images/small.jpg", small)
    assert await local_store.get("images/small.jpg") == small
    assert await local_store.touch("images/small.jpg") and await local_store.exists("images/small.jpg")
    await local_store.delete("images/small.jpg")
    assert hops == []  # a thread hop costs more than these page-cache copies and metadata calls
    await local_store.put("raw/big", big)
    assert await local_store.get("raw/big") == big
    assert hops == ["_put", "read_bytes"]
