"""The region through the gpt4o stage: it reaches the result, keys the answer cache, and the model's answer
must keep the district's line."""

from __future__ import annotations

from typing import Any

import pytest

from streams import contracts as c
from streams.cache import ANSWERS, answer_key
from streams.llm.fake import FakeModel, sequence
from streams.llm.pricing import load_prices
from streams.stages.gpt4o import FALLBACK, answer
from streams.stages.gpt4o_prompt import user_prompt, verify_answer
from tests.unit.stages.conftest import SHA, guidance, rule_context

GANGNAM = c.RegionRef(code="11680", sido="서울특별시", sigungu="강남구")
LINE = "강남구 단독주택·빌라·소규모 상가는 목요일에 투명 페트병과 비닐만 내놓아요."
PET = guidance("water_pet_bottle", "생수병", "무색페트병").model_copy(update={"district": LINE})
MODELS = {"gpt5": "gpt-5", "gpt4o": "gpt-4o-mini"}


@pytest.fixture
def run(cache, gpt4o_settings, offline):  # type: ignore[no-untyped-def]
    async def _run(ctx: c.RuleContext, writer: Any) -> c.Answer:
        return await answer(ctx, writer=writer, cache=cache, settings=gpt4o_settings, prices=load_prices(""),
                            models=MODELS)

    return _run


def test_an_answer_without_the_district_is_refused() -> None:
    assert verify_answer("생수병은 투명 페트병 수거함에 내요.", [PET], "생수병", region=GANGNAM) == [
        "omits the district line (강남구)"]
    assert verify_answer("생수병은 투명 페트병 수거함에 내요. 강남구는 목요일에 내요.", [PET], "생수병",
                         region=GANGNAM) == []
    assert verify_answer("생수병은 투명 페트병 수거함에 내요.", [PET.model_copy(update={"district": None})],
                         "생수병", region=GANGNAM) == []


def test_the_model_sees_the_district_line() -> None:
    prompt = user_prompt(rule_context("생수병 언제 내요?", [PET], region=GANGNAM))
    assert f"| 지역: {LINE}" in prompt and f"\n{LINE}\n" in prompt  # in <items> and in the <draft>


async def test_the_region_reaches_the_result_and_keys_the_cache(run, cache) -> None:  # type: ignore[no-untyped-def]
    text = f"생수병은 투명 페트병 수거함에 내요. {LINE}"
    ctx = rule_context("생수병 언제 내요?", [PET], region=GANGNAM)
    result = await run(ctx, FakeModel(sequence([text])))
    assert result.region == GANGNAM and not result.degraded
    keyed = answer_key(SHA, ctx.question, ctx.rules_version, MODELS, region="11680")
    assert await cache.get(ANSWERS, keyed) is not None
    assert await cache.get(ANSWERS, answer_key(SHA, ctx.question, ctx.rules_version, MODELS)) is None


async def test_a_region_read_from_the_question_is_keyed_by_the_question(run, cache) -> None:  # type: ignore[no-untyped-def]
    said = GANGNAM.model_copy(update={"given": "question"})
    ctx = rule_context("강남구 사는데 생수병 언제 내요?", [PET], region=said)
    await run(ctx, FakeModel(sequence([f"생수병은 투명 페트병 수거함에 내요. {LINE}"])))
    assert await cache.get(ANSWERS, answer_key(SHA, ctx.question, ctx.rules_version, MODELS)) is not None


async def test_a_model_that_drops_the_district_line_is_replaced(run, offline) -> None:  # type: ignore[no-untyped-def]
    ctx = rule_context("생수병 언제 내요?", [PET], region=GANGNAM)
    result = await run(ctx, FakeModel(sequence(["생수병은 투명 페트병 수거함에 내요."])))
    assert result.provider["gpt4o"] == FALLBACK and result.degraded


def test_answer_keys_without_a_region_are_unchanged() -> None:
    assert answer_key(None, "q", "v", MODELS) == answer_key(None, "q", "v", MODELS, region=None)
    assert answer_key(None, "q", "v", MODELS) != answer_key(None, "q", "v", MODELS, region="11680")
    assert answer_key(None, "q", "v", MODELS, region="11680") != answer_key(None, "q", "v", MODELS, region="11440")
