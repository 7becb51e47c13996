"""Fixtures for the preprocess stage: a local store, a cache, a thread image pool, message factories."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest

from streams.cache import Cache
from streams.contracts import Answer, Envelope, ImageRef, QueryRequest, VisionAnalysis
from streams.imaging import ImagePool, NormalisedImage
from streams.settings import CacheSettings, PreprocessSettings
from streams.store import LocalStore, StoredObject

RULES_VERSION = "rules-2025.05"
MODELS = {"gpt5": "gpt-5", "gpt4o": "gpt-4o-mini"}


class SpyStore:
    """Wraps a store and records every call as (method, key)."""

    def __init__(self, inner: LocalStore) -> None:
        self.inner = inner
        self.kind = inner.kind
        self.calls: list[tuple[str, str]] = []

    def keys(self, method: str, prefix: str = "") -> list[str]:
        return [k for m, k in self.calls if m == method and k.startswith(prefix)]

    async def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        self.calls.append(("put", key))
        await self.inner.put(key, data, content_type)

    async def get(self, key: str) -> bytes:
        self.calls.append(("get", key))
        return await self.inner.get(key)

    async def exists(self, key: str) -> bool:
        self.calls.append(("exists", key))
        return await self.inner.exists(key)

    async def delete(self, key: str) -> None:
        self.calls.append(("delete", key))
        await self.inner.delete(key)

    async def list(self, prefix: str) -> list[StoredObject]:
        self.calls.append(("list", prefix))
        return await self.inner.list(prefix)

    async def touch(self, key: str) -> bool:
        self.calls.append(("touch", key))
        return await self.inner.touch(key)

    async def presigned_url(self, key: str, ttl_s: int | None = None) -> str | None:
        return await self.inner.presigned_url(key, ttl_s)


class SpyPool(ImagePool):
    """A thread pool that counts normalise() runs."""

    def __init__(self, settings: PreprocessSettings) -> None:
        super().__init__(settings, workers=2, kind="thread")
        self.runs = 0

    async def run(self, data: bytes) -> NormalisedImage:
        self.runs += 1
        return await super().run(data)


@pytest.fixture
def pre_settings() -> PreprocessSettings:
    return PreprocessSettings()


@pytest.fixture
def local_store(tmp_path: Path) -> LocalStore:
    return LocalStore(tmp_path / "store")


@pytest.fixture
def store(local_store: LocalStore) -> SpyStore:
    return SpyStore(local_store)


@pytest.fixture
def cache(store: SpyStore) -> Cache:
    return Cache(store, CacheSettings())


@pytest.fixture
def pool(pre_settings: PreprocessSettings) -> Iterator[SpyPool]:
    p = SpyPool(pre_settings)
    yield p
    p.close()


def make_request(
    question: str = "이 생수병 어떻게 버려요?", image: ImageRef | None = None, **kw: Any
) -> QueryRequest:
    now = datetime.now(UTC)
    # The claim check is tied to its query: an upload under raw/<uuid> belongs to query <uuid>.
    try:
        query_id = UUID(image.key.removeprefix("raw/")) if image is not None else uuid4()
    except ValueError:
        query_id = uuid4()
    envelope = Envelope(query_id=query_id, created_at=now, deadline=now + timedelta(seconds=30))
    return QueryRequest(envelope=envelope, question=question, image=image, timings_ms={"gateway": 1.5}, **kw)


def make_answer(question: str = "이 생수병 어떻게 버려요?") -> Answer:
    return Answer(
        query_id=uuid4(),
        question=question,
        answer="라벨을 떼고 내용물을 비운 뒤 투명 페트병 전용 수거함에 버리세요.",
        item=None,
        analysis=VisionAnalysis(saw_image=True),
        provider={"gpt5": "gpt-5", "gpt4o": "gpt-4o-mini"},
        rules_version=RULES_VERSION,
        timings_ms={"gpt5": 4100.0, "gpt4o": 900.0},
    )


@pytest.fixture
def upload(store: SpyStore) -> Callable[[bytes], Any]:
    """Put bytes under a fresh raw/ key, as the gateway does, and return the ImageRef."""

    async def _upload(data: bytes, key: str | None = None) -> ImageRef:
        key = key or f"raw/{uuid4()}"
        await store.inner.put(key, data, "application/octet-stream")
        return ImageRef(key=key, size=max(1, len(data)), content_type="image/jpeg", filename="bottle.jpg")

    return _upload


@pytest.fixture
async def prepare_kwargs(store: SpyStore, cache: Cache, pool: SpyPool) -> AsyncIterator[dict[str, Any]]:
    yield {
        "store": store,
        "cache": cache,
        "pool": pool,
        "settings": PreprocessSettings(),
        "rules_version": RULES_VERSION,
        "models": MODELS,
    }
