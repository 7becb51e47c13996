"""The gpt5 stage hands the rag stage its reading of the question, so the rag worker needs no analyser."""

from __future__ import annotations

from typing import Any

from streams.llm.fake import FakeModel, sequence
from streams.llm.pricing import load_prices
from tests.unit.stages.conftest import prepared
from tests.unit.stages.test_gpt5 import PET, output, seen


async def _analyse(catalog: Any, store: Any, cache: Any, settings: Any, question: str, model: Any) -> Any:
    from streams.stages.gpt5 import analyse

    return await analyse(prepared(question), vision=model, catalog=catalog, store=store, cache=cache,
                         settings=settings, prices=load_prices(""))


async def test_a_photo_analysis_carries_the_reading_of_its_question(catalog, store, cache, gpt5_settings,
                                                                     offline) -> None:
    out = await _analyse(catalog, store, cache, gpt5_settings, "뚜껑 닫힌 거 어떻게 버려요?",
                         FakeModel(sequence([output(PET)]), model_id="gpt-5"))
    assert out.reading is not None and out.reading.items == [None]  # listed: looked up by id
    assert catalog.resolved == ["뚜껑 닫힌 거 어떻게 버려요?"]  # the question, read once here


async def test_an_unlisted_item_is_read_by_name(catalog, store, cache, gpt5_settings, offline) -> None:
    model = FakeModel(sequence([output(seen(None, "정체불명 물건", "플라스틱류"))]), model_id="gpt-5")
    out = await _analyse(catalog, store, cache, gpt5_settings, "이거요", model)
    (read,) = out.reading.items
    assert read is not None and read.item_id is None and read.match == "none"
    assert catalog.resolved[0] == "이거요" and "정체불명 물건" in catalog.resolved


async def test_an_unsure_analysis_needs_no_reading(catalog, store, cache, gpt5_settings, offline) -> None:
    model = FakeModel(sequence([output(PET, confidence=0.1)]), model_id="gpt-5")
    out = await _analyse(catalog, store, cache, gpt5_settings, "이거요", model)
    assert out.analysis.needs_clarification and out.reading is not None and out.reading.items == []
    assert catalog.resolved == []
