"""Fixtures for the model stages: a small catalogue, stores, messages, and a recording offline provider.

The stages delegate text-only analysis and rule-based answers to :mod:`streams.offline`; these
unit tests replace it with :class:`RecordingOffline` so they test the stages' own decisions
(which path, provider, degraded, warnings) independently of the resolver's Korean heuristics.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from streams import contracts as c
from streams.settings import CacheSettings, Gpt5Settings, ModelSettings

SHA = "ab" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"0" * 200


class Doc:
    def __init__(self, name: str, category: str) -> None:
        self.name = name
        self.official_category = category


class FakeCatalog:
    """The part of RulesCatalog the model stages use: ``items``, ``version``, and for the rag stage's reading
    (:mod:`streams.stages.reading`) ``in`` and a resolver that finds nothing."""

    version = "rules-test-1"

    def __init__(self) -> None:
        self.items = {
            "water_pet_bottle": Doc("생수병", "무색페트병"),
            "tuna_can": Doc("참치캔", "금속류"),
            "receipt": Doc("영수증", "일반종량제폐기물"),
            "snack_bag": Doc("과자봉지", "비닐류"),
        }
        self.resolved: list[str] = []

    def __contains__(self, item_id: object) -> bool:
        return item_id in self.items

    def resolve(self, text: str) -> Any:
        self.resolved.append(text)
        return SimpleNamespace(state=c.ItemState(), best=None, ambiguous=False, category_hint=None)


class RecordingOffline:
    """Stands in for streams.offline: names found in the question are confident items."""

    def __init__(self) -> None:
        self.analysed: list[str] = []
        self.written: list[tuple[c.RuleContext, bool]] = []

    def analyse_text(self, question: str, catalog: Any) -> c.VisionAnalysis:
        self.analysed.append(question)
        items = [c.DetectedItem(item_id=i, name=d.name, official_category=d.official_category, confidence=0.9,
                                match="exact") for i, d in catalog.items.items() if d.name in question]
        if not items:
            return c.VisionAnalysis(saw_image=False, method="text", needs_clarification=True,
                                    clarification=c.Clarification(question="어떤 물건인가요?"))
        return c.VisionAnalysis(items=items, confidence=0.9, saw_image=False, method="text")

    def write_answer(self, ctx: c.RuleContext, *, image_attached: bool) -> str:
        self.written.append((ctx, image_attached))
        return "규칙 안내: " + " / ".join(f"{g.name}은(는) {g.official_category}" for g in ctx.guidance)


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> RecordingOffline:
    fake = RecordingOffline()
    for module in ("streams.stages.gpt5", "streams.stages.gpt4o"):
        monkeypatch.setattr(f"{module}.offline", fake)
    return fake


@pytest.fixture
def catalog() -> FakeCatalog:
    return FakeCatalog()


class S3LikeStore:
    """Presigns; ``get`` must not be needed then."""

    kind = "s3"

    def __init__(self) -> None:
        self.presigned: list[str] = []

    async def presigned_url(self, key: str, ttl_s: int | None = None) -> str:
        self.presigned.append(key)
        return f"https://bucket.s3.test/{key}?X-Amz-Signature=sig"

    async def get(self, key: str) -> bytes:
        raise AssertionError("S3 images go by presigned URL, not bytes")


@pytest.fixture
def local_store(tmp_path: Path) -> Any:
    from streams.store import LocalStore

    return LocalStore(tmp_path / "store")


@pytest.fixture
async def store(local_store: Any) -> Any:
    await local_store.put(f"images/{SHA}.jpg", JPEG, "image/jpeg")
    return local_store


@pytest.fixture
def cache(local_store: Any) -> Any:
    from streams.cache import Cache

    return Cache(local_store, CacheSettings())


@pytest.fixture
def gpt5_settings() -> Gpt5Settings:
    return Gpt5Settings(model="gpt-5", detail="low", timeout_s=60.0, max_output_tokens=2000,
                        min_confidence=0.5, reasoning_effort=None)


@pytest.fixture
def gpt4o_settings() -> ModelSettings:
    return ModelSettings(model="gpt-4o-mini", timeout_s=30.0, max_output_tokens=800)


def envelope(seconds: float = 30.0) -> c.Envelope:
    now = c.utcnow()
    return c.Envelope(query_id=uuid.uuid4(), created_at=now, deadline=now + timedelta(seconds=seconds))


def prepared(question: str, *, image: bool = True, use_cache: bool = True, seconds: float = 30.0,
             **kw: Any) -> c.PreparedQuery:
    img = c.PreparedImage(key=f"images/{SHA}.jpg", sha256=SHA, width=640, height=480, size=len(JPEG))
    return c.PreparedQuery(envelope=envelope(seconds), question=question, image=img if image else None,
                           use_cache=use_cache, provider={"preprocess": "local"}, **kw)


def guidance(item_id: str, name: str, category: str, *, recyclable: bool | None = True) -> c.ItemGuidance:
    rule = c.RuleUsed(item_id=item_id, rule_id=f"{item_id}:step:1", kind="step", text=f"{name} 단계",
                      sources=[c.SourceRef(key="MOE-GUIDE")])
    return c.ItemGuidance(item_id=item_id, name=name, official_category=category,  # type: ignore[arg-type]
                          recyclable=recyclable, match="exact", steps=[f"{name} 단계"], rules=[rule],
                          channel="수거함")


def rule_context(question: str, items: list[c.ItemGuidance], *, image: bool = True,
                 analysis: c.VisionAnalysis | None = None, **kw: Any) -> c.RuleContext:
    base = prepared(question, image=image)
    analysis = analysis or c.VisionAnalysis(
        items=[c.DetectedItem(item_id=g.item_id, name=g.name, official_category=g.official_category,
                              confidence=0.9) for g in items], confidence=0.9, saw_image=image)
    context = "\n".join(f"[{g.name}] " + " ".join(g.steps) for g in items)
    return c.RuleContext(envelope=base.envelope, question=question, image=base.image, analysis=analysis,
                         guidance=items, context=context, rules_version="rules-test-1",
                         provider={"preprocess": "local", "gpt5": "gpt-5", "rag": "rules"}, **kw)
