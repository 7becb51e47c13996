"""analyse + answer through the real OpenAI SDK against the fake server, in a thread on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from streams import contracts as c
from streams.fakellm import FakeLLMConfig, FakeLLMServer
from streams.llm import make_limiters, make_models
from streams.settings import Settings
from streams.stages.gpt4o import FALLBACK, answer
from streams.stages.gpt5 import analyse
from tests.unit.stages.conftest import guidance, prepared

pytestmark = pytest.mark.integration

FAST = {"vision_latency": (0.0, 0.01), "answer_latency": (0.0, 0.01), "seed": 1}


@pytest.fixture
def settings_for(monkeypatch: pytest.MonkeyPatch):
    def make(server: FakeLLMServer, retries: int = 0) -> Settings:
        monkeypatch.setenv("OPENAI_API_KEY", "sk-fake")
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        for stage, model in (("GPT5", "gpt-5"), ("GPT4O", "gpt-4o-mini")):
            monkeypatch.setenv(f"BUNRI_{stage}__MODEL", model)
            monkeypatch.setenv(f"BUNRI_{stage}__MAX_RETRIES", str(retries))
        return Settings()

    return make


@pytest.fixture
def server() -> Iterator[FakeLLMServer]:
    with FakeLLMServer(FakeLLMConfig(**FAST)) as srv:
        yield srv


def as_rules(analysis: c.VisionAnalysis, catalog: Any) -> list[c.ItemGuidance]:
    """A stand-in for the rag stage: one ItemGuidance per detected catalogue item."""
    return [guidance(i.item_id, catalog.items[i.item_id].name, catalog.items[i.item_id].official_category,
                     recyclable=catalog.items[i.item_id].official_category != "일반종량제폐기물")
            for i in analysis.items if i.item_id in catalog.items]


async def run_pipeline(
    settings: Settings, question: str, deps: dict[str, Any]
) -> tuple[c.AnalysedQuery, c.Answer]:
    models = make_models(settings)
    limiters = make_limiters(settings)
    try:
        analysed = await analyse(prepared(question), vision=models.vision, settings=settings.gpt5,
                                 limiter=limiters.vision, prices=models.prices, **deps)
        items = as_rules(analysed.analysis, deps["catalog"])
        ctx = c.RuleContext(**{k: v for k, v in dict(analysed).items() if k not in ("analysis", "reading")},
                            analysis=analysed.analysis, guidance=items, rules_version="rules-test-1",
                            context="\n".join(f"- {g.name}: {' '.join(g.steps)}" for g in items))
        final = await answer(ctx, writer=models.answer, cache=deps["cache"], settings=settings.gpt4o,
                             limiter=limiters.answer, prices=models.prices,
                             models={"gpt5": "gpt-5", "gpt4o": "gpt-4o-mini"})
    finally:
        await models.aclose()
    return analysed, final


@pytest.fixture
def deps(catalog, store, cache, offline) -> dict[str, Any]:
    return {"catalog": catalog, "store": store, "cache": cache}


async def test_photo_with_two_items_end_to_end(server, settings_for, deps) -> None:
    analysed, final = await run_pipeline(settings_for(server), "참치캔이랑 생수병 어떻게 버려요?", deps)
    assert [i.item_id for i in analysed.analysis.items] == ["tuna_can", "water_pet_bottle"]
    assert analysed.analysis.saw_image and analysed.provider["gpt5"] == "gpt-5"
    assert not final.degraded and "캔·고철 수거함" in final.answer and "투명 페트병 수거함" in final.answer
    assert "금속류" not in final.answer and "무색페트병" not in final.answer  # bins by everyday names
    assert final.provider["gpt4o"] == "gpt-4o-mini" and final.item.item_id == "tuna_can"
    assert [u.stage for u in final.usage.calls] == ["gpt5", "gpt4o"]
    assert final.usage.cost_usd > 0 and final.usage.input_tokens > 0
    assert server.stats()["calls"] == {"gpt-5": 1, "gpt-4o-mini": 1}


async def test_server_errors_retry_in_the_sdk_then_degrade(settings_for, deps) -> None:
    with FakeLLMServer(FakeLLMConfig(**FAST, fault_rate=1.0, faults=("429",), retry_after_s=0.05)) as srv:
        analysed, final = await run_pipeline(settings_for(srv, retries=1), "참치캔 버리는 법", deps)
        stats = srv.stats()
    assert analysed.degraded and analysed.provider["gpt5"] == "offline (fallback)"
    assert final.degraded and final.provider["gpt4o"] == FALLBACK
    assert stats["calls"] == {"gpt-5": 2, "gpt-4o-mini": 2} and stats["faults"] == {"429": 4}


async def test_malformed_output_is_reasked_once(settings_for, deps) -> None:
    with FakeLLMServer(FakeLLMConfig(**FAST, fault_rate=1.0, faults=("malformed",))) as srv:
        analysed, _ = await run_pipeline(settings_for(srv), "참치캔 버리는 법", deps)
        assert srv.stats()["calls"]["gpt-5"] == 2
    assert analysed.degraded and len([u for u in analysed.usage.calls if u.stage == "gpt5"]) == 2


async def test_real_catalogue_listing_reaches_the_model(server, settings_for, store, cache, offline) -> None:
    from streams.rules.catalog import RulesCatalog
    from streams.settings import default_rules_dir

    catalog = RulesCatalog.load(default_rules_dir(), warm=False)
    settings = settings_for(server)
    models = make_models(settings)
    try:
        out = await analyse(prepared("다 쓴 건전지랑 음료캔"), vision=models.vision, catalog=catalog,
                            store=store, cache=cache, settings=settings.gpt5, prices=models.prices)
    finally:
        await models.aclose()
    assert [i.item_id for i in out.analysis.items] == ["alkaline_battery", "aluminum_can"]
    assert all(i.match == "exact" for i in out.analysis.items)
    assert out.analysis.items[0].official_category == "전지"


@pytest.fixture(scope="module")
def real_catalog() -> Any:
    from streams.rules.catalog import RulesCatalog
    from streams.settings import default_rules_dir

    return RulesCatalog.load(default_rules_dir(), warm=False)


async def real_flow(settings: Settings, question: str, catalog: Any, store: Any, cache: Any) -> c.Answer:
    """analyse -> (rules applied as the rag stage would) -> answer, with the real offline provider."""
    models = make_models(settings)
    try:
        analysed = await analyse(prepared(question), vision=models.vision, catalog=catalog, store=store,
                                 cache=cache, settings=settings.gpt5, prices=models.prices)
        items = [catalog.apply(i.item_id, i.state) for i in analysed.analysis.items if i.item_id in catalog]
        ctx = c.RuleContext(**{k: v for k, v in dict(analysed).items() if k not in ("analysis", "reading")},
                            analysis=analysed.analysis, guidance=items, rules_version=catalog.version,
                            context="\n".join(s for g in items for s in g.steps))
        return await answer(ctx, writer=models.answer, cache=cache, settings=settings.gpt4o,
                            prices=models.prices)
    finally:
        await models.aclose()


async def test_real_rules_and_offline_provider(server, settings_for, store, cache, real_catalog) -> None:
    final = await real_flow(settings_for(server), "건전지랑 영수증", real_catalog, store, cache)
    assert [g.item_id for g in final.items] == ["alkaline_battery", "receipt"]
    assert not final.degraded and "폐건전지 수거함" in final.answer and "일반 종량제 봉투" in final.answer


async def test_real_offline_fallback_when_every_call_fails(settings_for, store, cache, real_catalog) -> None:
    with FakeLLMServer(FakeLLMConfig(**FAST, fault_rate=1.0, faults=("500",))) as srv:
        final = await real_flow(settings_for(srv), "다 쓴 건전지 어떻게 버려요?", real_catalog, store, cache)
    assert final.degraded and final.provider["gpt5"] == "offline (fallback)"
    assert final.provider["gpt4o"] == FALLBACK and final.item.item_id == "alkaline_battery"
    assert "전지" in final.answer and len(final.warnings) == 2


class TestTextQuestions:
    """Without a photo the resolver decides when it is confident; otherwise one text-only model call."""

    async def _analyse(self, settings: Settings, question: str, catalog: Any, store: Any, cache: Any
                       ) -> c.AnalysedQuery:
        models = make_models(settings)
        try:
            return await analyse(prepared(question, image=False), vision=models.vision, catalog=catalog,
                                 store=store, cache=cache, settings=settings.gpt5, prices=models.prices)
        finally:
            await models.aclose()

    async def test_confident_resolver_makes_no_call(self, server, settings_for, store, cache,
                                                    real_catalog) -> None:
        out = await self._analyse(settings_for(server), "뚜껑 닫힌 생수병 어떻게 버려요?", real_catalog, store, cache)
        assert out.provider["gpt5"] == "text" and out.analysis.items[0].item_id == "water_pet_bottle"
        assert server.stats()["total"] == 0 and out.usage.calls == []

    async def test_unsure_question_makes_one_text_call_and_returns_its_item(
            self, server, settings_for, store, cache, real_catalog) -> None:
        question = "생슈병 어떻게 버려"  # a typo: the resolver only guesses
        resolved = real_catalog.resolve(question)
        assert resolved.candidates and resolved.candidates[0].score < 0.9
        out = await self._analyse(settings_for(server), question, real_catalog, store, cache)
        assert server.stats()["calls"] == {"gpt-5": 1}
        assert out.provider["gpt5"] == "gpt-5 (text)" and out.analysis.method == "text"
        assert not out.analysis.saw_image and [u.stage for u in out.usage.calls] == ["gpt5"]
        assert out.analysis.items[0].item_id == "water_pet_bottle"  # the model's reading, from the candidates

    async def test_text_call_has_no_image_and_a_short_prompt(self, server, settings_for, store, cache,
                                                             real_catalog) -> None:
        from streams.stages.gpt5_text import text_prompt

        prompt = text_prompt("생슈병 어떻게 버려", real_catalog)
        assert len(prompt) < 3000 and "water_pet_bottle|생수병|무색페트병" in prompt  # not the whole catalogue

    async def test_model_failure_keeps_the_resolver_reading(self, settings_for, store, cache,
                                                            real_catalog) -> None:
        with FakeLLMServer(FakeLLMConfig(**FAST, fault_rate=1.0, faults=("500",))) as srv:
            out = await self._analyse(settings_for(srv), "이거 어떻게 버려요?", real_catalog, store, cache)
            assert srv.stats()["total"] == 1
        assert out.provider["gpt5"] == "text" and out.analysis.needs_clarification
