"""The rag stage with the gpt5 stage's reading: no resolver call, and the guidance it would have read itself."""

from __future__ import annotations

from typing import Any

import pytest

from streams.contracts import DetectedItem, ItemState, QuestionReading, VisionAnalysis
from streams.rules import RulesCatalog
from streams.stages.rag import lookup
from streams.stages.reading import read_question
from tests.unit.rules.test_rag import make_query


class NoResolver:
    """The real catalogue, except that reading text fails: proves the rag stage used the message's reading."""

    def __init__(self, catalog: RulesCatalog) -> None:
        self._catalog = catalog

    def resolve(self, text: str) -> Any:
        raise AssertionError(f"the rag stage read text itself: {text!r}")

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._catalog

    def __getattr__(self, name: str) -> Any:
        return getattr(self._catalog, name)


CASES = {
    "listed id": ("이거 어떻게 버려요?", [DetectedItem(item_id="water_pet_bottle", name="생수병")]),
    "unknown id, by name": ("이거요", [DetectedItem(item_id="pet_bottle_water", name="생수 페트병",
                                                  official_category="무색페트병")]),
    "typo": ("이거요", [DetectedItem(name="페트볍", official_category="무색페트병")]),
    "typo against the analysis's category": ("이거요", [DetectedItem(name="페트볍", official_category="유리병")]),
    "unknown, its category": ("이거 뭐예요", [DetectedItem(name="정체불명 물건", official_category="플라스틱류")]),
    "unknown, no category": ("이거 뭐예요", [DetectedItem(name="정체불명 물건")]),
    "by the question": ("기름 묻은 피자 박스는요?", [DetectedItem(name="상자", description="사진 속 상자")]),
    "state from the question": ("기름 묻은 피자 박스는요?", [DetectedItem(item_id="pizza_box", name="피자 박스",
                                                                       state=ItemState(lid="none"))]),
    "several items": ("둘 다 어떻게 버려요, 깨졌어요", [DetectedItem(name="생수 페트병"),
                                                   DetectedItem(item_id="milk_carton", name="우유팩")]),
}


@pytest.mark.parametrize("case", CASES)
async def test_the_reading_gives_what_rag_would_read_itself(catalog: RulesCatalog, case: str) -> None:
    question, items = CASES[case]
    msg = make_query(question, items)
    reading = read_question(msg.analysis, question, catalog)
    with_reading = await lookup(msg.model_copy(update={"reading": reading}), catalog=NoResolver(catalog))  # type: ignore[arg-type]
    self_read = await lookup(msg, catalog=catalog)
    assert with_reading.model_dump(exclude={"timings_ms"}) == self_read.model_dump(exclude={"timings_ms"})
    assert with_reading.guidance


async def test_a_disagreeing_guess_is_answered_by_category(catalog: RulesCatalog) -> None:
    question, items = CASES["typo against the analysis's category"]
    (read,) = read_question(VisionAnalysis(items=items, saw_image=True), question, catalog).items
    assert read is not None and read.disagrees and read.official_category == "무색페트병"
    ctx = await lookup(make_query(question, items).model_copy(update={"reading": QuestionReading(items=[read])}),
                       catalog=NoResolver(catalog))  # type: ignore[arg-type]
    (g,) = ctx.guidance
    assert g.match == "category" and g.official_category == "유리병"
    assert any("looked like" in w for w in ctx.warnings)


async def test_nothing_is_read_when_nothing_will_be_looked_up(catalog: RulesCatalog) -> None:
    assert read_question(VisionAnalysis(saw_image=True), "이거 뭐예요", NoResolver(catalog)) == QuestionReading()
    unsure = VisionAnalysis(items=[DetectedItem(name="병")], saw_image=True, needs_clarification=True)
    assert read_question(unsure, "이거 뭐예요", NoResolver(catalog)) == QuestionReading()
