"""Cache: object-store entries with a TTL; key derivation and question normalisation."""

from __future__ import annotations

import json

import pytest

from streams.cache import ANALYSIS, ANSWERS, Cache, analysis_key, answer_key, normalise_question
from streams.errors import StoreUnavailable
from streams.settings import CacheSettings
from streams.store import LocalStore

SHA = "a" * 64
MODELS = {"gpt5": "gpt-5", "gpt4o": "gpt-4o-mini"}


class Clock:
    def __init__(self, t: float = 1_700_000_000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


class DownStore(LocalStore):
    async def get(self, key: str) -> bytes:
        raise StoreUnavailable("connection refused")

    async def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        raise StoreUnavailable("connection refused")


async def test_round_trip_in_the_object_store(local_store: LocalStore) -> None:
    cache = Cache(local_store, CacheSettings())
    key = answer_key(SHA, "질문", "v1", MODELS)
    assert await cache.get(ANSWERS, key) is None
    await cache.put(ANSWERS, key, {"answer": "라벨 제거", "n": 1})
    assert await cache.get(ANSWERS, key) == {"answer": "라벨 제거", "n": 1}
    entry = json.loads(await local_store.get(f"cache/answers/{key}.json"))
    assert set(entry) == {"stored_at", "value"}


async def test_entries_expire_after_the_ttl(local_store: LocalStore) -> None:
    clock = Clock()
    cache = Cache(local_store, CacheSettings(ttl_s=60), clock=clock)
    key = analysis_key(SHA, "gpt-5", "p1", question="생수병")
    await cache.put(ANALYSIS, key, {"items": []})
    clock.t += 60
    assert await cache.get(ANALYSIS, key) == {"items": []}
    clock.t += 1
    assert await cache.get(ANALYSIS, key) is None


async def test_a_disabled_cache_never_hits_and_never_writes(local_store: LocalStore) -> None:
    cache = Cache(local_store, CacheSettings(enabled=False))
    key = answer_key(None, "q", "v1", MODELS)
    await cache.put(ANSWERS, key, {"a": 1})
    assert await cache.get(ANSWERS, key) is None
    assert await local_store.list("cache/") == []


async def test_unreadable_entries_are_misses(local_store: LocalStore) -> None:
    cache = Cache(local_store, CacheSettings())
    key = answer_key(None, "q", "v1", MODELS)
    for blob in (b"not json", b'{"value": {}}', b'{"stored_at": 1e20, "value": [1]}'):
        await local_store.put(f"cache/answers/{key}.json", blob)
        assert await cache.get(ANSWERS, key) is None


async def test_store_failures_degrade_to_a_miss(tmp_path) -> None:  # type: ignore[no-untyped-def]
    cache = Cache(DownStore(tmp_path), CacheSettings())
    key = answer_key(None, "q", "v1", MODELS)
    await cache.put(ANSWERS, key, {"a": 1})
    assert await cache.get(ANSWERS, key) is None


async def test_namespace_and_key_are_validated(local_store: LocalStore) -> None:
    cache = Cache(local_store, CacheSettings())
    with pytest.raises(ValueError):
        await cache.get("../raw", SHA)
    with pytest.raises(ValueError):
        await cache.put(ANSWERS, "../../raw/x", {})


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("  생수병   어떻게\t버려요?  ", "생수병 어떻게 버려요"),
        ("생수병 어떻게 버려요?!~", "생수병 어떻게 버려요"),
        ("PET병은요。", "pet병은요"),
        ("\u1109\u1162\u11bc\u1109\u116e\u1107\u1167\u11bc", "생수병"),  # decomposed Hangul (NFD) -> NFC
        ("라벨은 떼야 하나요 ㅠㅠ", "라벨은 떼야 하나요 ㅠㅠ"),
        ("1.5L 병?", "1.5l 병"),
    ],
)
def test_normalise_question(raw: str, normal: str) -> None:
    assert normalise_question(raw) == normal


def test_answer_key_ignores_what_does_not_change_the_answer() -> None:
    base = answer_key(SHA, "생수병 어떻게 버려요?", "v1", {"gpt5": "gpt-5", "gpt4o": "gpt-4o-mini"})
    assert base == answer_key(SHA, "생수병  어떻게 버려요", "v1", {"gpt4o": "gpt-4o-mini", "gpt5": "gpt-5"})
    assert len(base) == 64


@pytest.mark.parametrize(
    "changed",
    [
        {"image_sha256": "b" * 64},
        {"image_sha256": None},
        {"question": "뚜껑은요?"},
        {"rules_version": "v2"},
        {"models": {"gpt5": "gpt-5", "gpt4o": "gpt-4o"}},
    ],
)
def test_answer_key_changes_with_what_changes_the_answer(changed: dict[str, object]) -> None:
    args: dict[str, object] = {
        "image_sha256": SHA,
        "question": "생수병",
        "rules_version": "v1",
        "models": MODELS,
    }
    assert answer_key(**args) != answer_key(**{**args, **changed})  # type: ignore[arg-type]


def test_analysis_key_depends_on_image_question_model_and_prompt() -> None:
    keys = {
        analysis_key(SHA, "gpt-5", "p1", question="페트병"),
        analysis_key("b" * 64, "gpt-5", "p1", question="페트병"),
        analysis_key(SHA, "gpt-5-mini", "p1", question="페트병"),
        analysis_key(SHA, "gpt-5", "p2", question="페트병"),
        analysis_key(SHA, "gpt-5", "p1", question="유리병"),
    }
    assert len(keys) == 5
    assert analysis_key(SHA, "gpt-5", "p1", question="PET병?") == analysis_key(SHA, "gpt-5", "p1", question="pet병")
