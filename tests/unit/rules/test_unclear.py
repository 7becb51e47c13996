"""Unclear readings settled from the question's own words, and everyday spellings of loanwords."""

from __future__ import annotations

import pytest

from streams.offline import analyse_text
from streams.rules import RulesCatalog
from streams.rules.unclear import SETTLED


def _only(question: str, catalog: RulesCatalog) -> tuple[str | None, str, float]:
    a = analyse_text(question, catalog)
    assert not a.needs_clarification, a.clarification
    item = a.items[0]
    guidance = catalog.apply(item.item_id, item.state) if item.item_id else None
    return item.item_id, guidance.official_category if guidance else "", item.confidence


@pytest.mark.parametrize(("question", "category"), [
    ("깨진 접시", "불연성종량제폐기물"),  # a plate that shatters is ceramic
    ("깨진 컵 버리려고요", "불연성종량제폐기물"),  # a cup that shatters is glass
])
def test_a_broken_container_is_one_that_shatters(question: str, category: str, catalog: RulesCatalog) -> None:
    _, got, confidence = _only(question, catalog)
    assert got == category and confidence <= SETTLED


def test_an_unbroken_container_still_gets_the_per_material_lines(catalog: RulesCatalog) -> None:
    a = analyse_text("접시 어떻게 버려요", catalog)
    assert a.needs_clarification and a.clarification is not None and "도자기" in a.clarification.question


def test_what_is_left_of_a_meal_is_the_food(catalog: RulesCatalog) -> None:
    assert _only("먹다 남은 치킨", catalog)[1] == "음식물류폐기물"
    assert analyse_text("치킨", catalog).needs_clarification  # box, bones or meat: the word alone does not say


@pytest.mark.parametrize(("typed", "item_id"), [
    ("알미늄캔", "aluminum_can"),
    ("패트병 라밸", "pet_label"),
    ("후라이팬", "pot_pan"),
    ("스치로폼 박스", "styrofoam_box"),
])
def test_everyday_spellings_find_the_name(typed: str, item_id: str, catalog: RulesCatalog) -> None:
    assert _only(typed, catalog)[0] == item_id
