"""S3Store against moto's real HTTP server on loopback: the store contract, presigned URLs over
HTTP, error mapping, and the preprocess stage end to end on S3."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import boto3
import httpx
import pytest
from moto.server import ThreadedMotoServer

from streams.cache import ANSWERS, Cache
from streams.contracts import ImageRef, PreparedQuery
from streams.errors import StoreUnavailable
from streams.imaging import ImagePool
from streams.settings import CacheSettings, PreprocessSettings, S3Settings, Settings
from streams.stages.preprocess import prepare
from streams.store import ObjectNotFound, S3Store, make_store
from streams.sweep import sweep
from tests.unit.preprocess import factory as f
from tests.unit.preprocess.conftest import MODELS, RULES_VERSION, make_request

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Dummy credentials; no shared config files, no instance-metadata lookups."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": "/nonexistent",
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture
def bucket(moto_endpoint: str, aws_env: None) -> str:
    name = f"bunri-{uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1").create_bucket(Bucket=name)
    return name


@pytest.fixture
def s3(moto_endpoint: str, bucket: str) -> S3Store:
    store = make_store(Settings(s3=S3Settings(bucket=bucket, endpoint_url=moto_endpoint, prefix="bunri/")))
    assert isinstance(store, S3Store)
    return store


async def test_put_get_exists_list_delete(s3: S3Store, moto_endpoint: str, bucket: str) -> None:
    assert s3.kind == "s3"
    await s3.put("raw/a", b"hello", "image/jpeg")
    await s3.put("raw/b.prepared.json", b"{}", "application/json")
    await s3.put("images/c.jpg", b"jpeg", "image/jpeg")
    assert await s3.get("raw/a") == b"hello"
    assert await s3.exists("raw/a") and not await s3.exists("raw/zzz")
    listed = await s3.list("raw/")
    assert [o.key for o in listed] == ["raw/a", "raw/b.prepared.json"]
    assert all(o.last_modified.tzinfo is not None for o in listed) and listed[0].size == 5
    # Keys live under the configured prefix in the bucket.
    raw = boto3.client("s3", endpoint_url=moto_endpoint).list_objects_v2(Bucket=bucket)
    assert sorted(o["Key"] for o in raw["Contents"]) == [
        "bunri/images/c.jpg",
        "bunri/raw/a",
        "bunri/raw/b.prepared.json",
    ]
    await s3.delete("raw/a")
    await s3.delete("raw/a")
    with pytest.raises(ObjectNotFound):
        await s3.get("raw/a")


async def test_presigned_url_serves_the_object_over_http(s3: S3Store) -> None:
    await s3.put("images/x.jpg", b"\xff\xd8 not really", "image/jpeg")
    url = await s3.presigned_url("images/x.jpg", 60)
    assert url is not None and url.startswith("http://127.0.0.1:") and "X-Amz-Expires=60" in url
    async with httpx.AsyncClient() as client:
        resp = await client.get(url)
    assert resp.status_code == 200 and resp.content == b"\xff\xd8 not really"
    assert resp.headers["content-type"] == "image/jpeg"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_an_unreachable_endpoint_is_store_unavailable(aws_env: None) -> None:
    store = S3Store("bunri", endpoint_url=f"http://127.0.0.1:{_closed_port()}")
    with pytest.raises(StoreUnavailable):
        await store.get("raw/a")
    with pytest.raises(StoreUnavailable):
        await store.put("raw/a", b"x")


async def test_a_missing_bucket_is_store_unavailable_not_the_messages_fault(
    moto_endpoint: str, aws_env: None
) -> None:
    store = S3Store("no-such-bucket-" + uuid4().hex[:8], endpoint_url=moto_endpoint)
    with pytest.raises(StoreUnavailable, match="NoSuchBucket"):
        await store.put("raw/a", b"x")


async def test_prepare_end_to_end_on_s3(s3: S3Store) -> None:
    pool = ImagePool(PreprocessSettings(), workers=2, kind="thread")
    cache = Cache(s3, CacheSettings())
    key = f"raw/{uuid4()}"
    data = f.jpeg_12mp()
    await s3.put(key, data, "application/octet-stream")
    try:
        out = await prepare(
            make_request(image=ImageRef(key=key, size=len(data))),
            store=s3,
            cache=cache,
            pool=pool,
            settings=PreprocessSettings(),
            rules_version=RULES_VERSION,
            models=MODELS,
        )
    finally:
        pool.close()
    assert isinstance(out, PreparedQuery) and out.image is not None
    assert not await s3.exists(key)
    url = await s3.presigned_url(out.image.key)
    async with httpx.AsyncClient() as client:
        stored = (await client.get(url)).content  # type: ignore[arg-type]
    assert len(stored) == out.image.size
    f.assert_no_metadata(stored)


async def test_cache_and_sweep_on_s3(s3: S3Store) -> None:
    cache = Cache(s3, CacheSettings())
    await cache.put(ANSWERS, "ab" * 32, {"answer": "ok"})
    assert await cache.get(ANSWERS, "ab" * 32) == {"answer": "ok"}
    await s3.put("raw/leftover", b"x")
    future = datetime.now(UTC) + timedelta(days=30)  # everything is old by then
    report = await sweep(s3, CacheSettings(ttl_s=3600), PreprocessSettings(raw_retention_s=60), future)
    assert (report.raw_deleted, report.cache_expired) == (1, 1)
    assert await s3.list("") == []


async def test_touch_refreshes_last_modified_and_keeps_the_object(s3: S3Store) -> None:
    key = "images/" + "d" * 64 + ".jpg"
    await s3.put(key, b"\xff\xd8jpeg", "image/jpeg")
    [before] = await s3.list("images/")
    await asyncio.sleep(1.1)  # S3 times have one-second resolution
    assert await s3.touch(key)
    [after] = await s3.list("images/")
    assert after.last_modified > before.last_modified and await s3.get(key) == b"\xff\xd8jpeg"
    head = boto3.client("s3", endpoint_url=s3._client.meta.endpoint_url).head_object(  # noqa: SLF001
        Bucket=s3.bucket, Key=s3.prefix + key)
    assert head["ContentType"] == "image/jpeg"  # the self-copy kept the metadata
    assert not await s3.touch("images/" + "e" * 64 + ".jpg")
