"""Prompt variants and prompt versions: what a model stage sends, and how a reply names it."""

from __future__ import annotations

import pytest

from streams import contracts as c
from streams.cache import ANALYSIS
from streams.fakellm_content import fill_schema
from streams.llm.fake import FakeModel, sequence
from streams.llm.pricing import load_prices
from streams.llm.schema import strict_json_schema
from streams.settings import Gpt5Settings, ModelSettings
from streams.stages import gpt4o_prompt, gpt5_prompt
from streams.stages.gpt4o import answer
from streams.stages.gpt4o_prompt import SYSTEM
from streams.stages.gpt5 import analyse
from streams.stages.gpt5_prompt import VisionOutput
from streams.stages.variants import VARIANTS, UnknownPromptVariant, prompt_version, variant_tag, with_variant
from tests.unit.stages.conftest import FakeCatalog, guidance, prepared, rule_context

PET = guidance("water_pet_bottle", "생수병", "무색페트병")


def test_the_default_variant_changes_nothing() -> None:
    assert with_variant(SYSTEM, "gpt4o", "default") == SYSTEM
    assert variant_tag("gpt-4o-mini", "default") == "gpt-4o-mini"  # answer-cache keys stay as they were
    assert variant_tag("gpt-4o-mini", "concise") == "gpt-4o-mini+concise"
    with pytest.raises(UnknownPromptVariant, match="concise"):
        with_variant(SYSTEM, "gpt4o", "shouty")


def test_a_prompt_version_is_a_label_and_a_hash_of_the_text() -> None:
    catalog = FakeCatalog()
    default, concise = prompt_version("gpt4o", "default", catalog), prompt_version("gpt4o", "concise", catalog)
    label = gpt4o_prompt.PROMPT_VERSION
    assert default.startswith(f"{label}@") and concise.startswith(f"{label}+concise@")
    assert len(default.split("@")[1]) == 10 and default.split("@")[1] != concise.split("@")[1]
    vision = prompt_version("gpt5", "default", catalog)
    assert vision.startswith(f"{gpt5_prompt.PROMPT_VERSION}@")
    assert vision == prompt_version("gpt5", "default", FakeCatalog())  # stable for the same text
    catalog.items = {**catalog.items, "new_item": catalog.items["receipt"]}
    assert prompt_version("gpt5", "default", catalog) != vision  # the catalogue is part of the prompt text


async def test_the_answer_stage_sends_the_variant(cache, offline) -> None:  # type: ignore[no-untyped-def]
    model = FakeModel(sequence(["생수병은 무색페트병입니다."]))
    settings = ModelSettings(model="gpt-4o", prompt_variant="concise")
    await answer(rule_context("생수병", [PET]), writer=model, cache=cache, settings=settings,
                 prices=load_prices(""), models={"gpt5": "gpt-5", "gpt4o": "gpt-4o+concise"})
    assert model.requests[0].system == SYSTEM + VARIANTS["gpt4o"]["concise"]


async def test_the_vision_stage_sends_the_variant_and_keeps_its_cache_apart(store, cache, offline) -> None:  # type: ignore[no-untyped-def]
    # A valid output for whatever the schema is today (the fake server's filler), naming the bottle.
    hints = {"items": [{"item_id": "water_pet_bottle", "name": "생수병", "official_category": "무색페트병",
                        "confidence": 0.95}], "confidence": 0.95}
    out = VisionOutput.model_validate(fill_schema(strict_json_schema(VisionOutput), hints))
    model = FakeModel(sequence([out, out]), model_id="gpt-5")
    kwargs = {"vision": model, "catalog": FakeCatalog(), "store": store, "cache": cache, "prices": load_prices("")}
    await analyse(prepared("이거 뭐예요"), settings=Gpt5Settings(prompt_variant="careful"), **kwargs)
    assert model.requests[0].system.endswith(VARIANTS["gpt5"]["careful"])
    again = await analyse(prepared("이거 뭐예요"), settings=Gpt5Settings(), **kwargs)
    assert model.calls == 2 and again.analysis.method == "vision"  # not the careful variant's cached analysis
    assert len(await store.list(f"cache/{ANALYSIS}/")) == 2


def test_replies_name_the_prompt_through_the_stage_messages() -> None:
    assert "prompts" in c.AnalysedQuery.model_fields and "prompts" in c.Answer.model_fields
