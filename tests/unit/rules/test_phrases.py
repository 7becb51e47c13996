"""Noun-phrase heads, material words, stains per material and two-item questions (the offline path).

Each case is a phrase of our own, not one of the evaluation questions: the point is the class of
question, so the same reading must hold for any item of the kind.
"""

from __future__ import annotations

import pytest

from streams.offline import analyse_text
from streams.rules import RulesCatalog
from streams.rules.states import read_state, settle
from streams.rules.text import normalize


def category(catalog: RulesCatalog, text: str) -> str | None:
    """The category the offline path ends in (None: it asks for clarification)."""
    analysis = analyse_text(text, catalog)
    if analysis.needs_clarification:
        return None
    item = analysis.items[0]
    if item.item_id:
        return catalog.apply(item.item_id, item.state, match=item.match).official_category
    return catalog.apply_category(item.official_category or "", item.state).official_category


@pytest.mark.parametrize(("text", "expected"), [
    ("에어컨 포장 스티로폼 어떻게 버려요", "발포합성수지"),  # the appliance only says what it packed
    ("보리차 투명 페트병 버리기", "무색페트병"),  # a drink name before the bottle
    ("다 쓴 샴푸 플라스틱 통", "플라스틱류"),
    ("블루베리잼 유리병 어디에", "유리병"),
    ("물엿 유리병 다 비웠어요", "유리병"),  # 물엿 alone names a plastic container
    ("먹고 남은 비타민 플라스틱 통", "플라스틱류"),  # the supplement is the content, not the item
    ("TV 리모컨 버리는 법", "전기전자제품"),  # two items in one phrase: the last one
])
def test_the_last_noun_of_a_phrase_is_the_item(catalog: RulesCatalog, text: str, expected: str) -> None:
    assert category(catalog, text) == expected


@pytest.mark.parametrize(("text", "item_id"), [
    ("제주 삼다수 빈병", "water_pet_bottle"),  # 삼다수 + 병: the container word means what it held
    ("두부 담았던 플라스틱 용기", "tofu_tray"),
    ("간장 담았던 투명 페트병", "pet_clear_non_beverage"),
])
def test_a_generic_container_takes_its_meaning_from_the_content(
        catalog: RulesCatalog, text: str, item_id: str) -> None:
    best = catalog.resolve(text).best
    assert best is not None and best.item_id == item_id


def test_a_bare_material_after_a_name_is_a_part_of_it(catalog: RulesCatalog) -> None:
    # "거울 유리" is the mirror's glass, never a 유리병; "곽 비닐창" is the box's window.
    assert category(catalog, "깨진 거울 유리") != "유리병"
    assert category(catalog, "휴지곽 비닐창 붙은 채로") == "종이"


def test_the_users_guess_does_not_head_the_phrase(catalog: RulesCatalog) -> None:
    assert category(catalog, "생수 라벨 종이예요?") == "비닐류"
    assert category(catalog, "호두 껍데기 음쓰?") == "일반종량제폐기물"


@pytest.mark.parametrize(("text", "expected"), [
    ("녹색 페트병 투명 페트병 수거함에 넣나요", "플라스틱류"),
    ("파란색 페트병 어디에", "플라스틱류"),
    ("주방세제 투명 통 버리기", "플라스틱류"),  # a clear tub of a non-drink is plastic
    ("유리 잼병 씻어서", "유리병"),
    ("플라스틱 꿀병", "플라스틱류"),
])
def test_colour_and_material_words(catalog: RulesCatalog, text: str, expected: str) -> None:
    assert category(catalog, text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("기름 묻은 꽁치캔", "금속류"),  # oil rinses off metal ...
    ("기름 묻은 참기름병 재활용", "유리병"),  # ... glass ...
    ("식용유 묻은 플라스틱 통", "플라스틱류"),  # ... and plastic
    ("기름 묻은 종이컵", "일반종량제폐기물"),  # but soaks into paper
    ("기름 엄청 밴 피자상자", "일반종량제폐기물"),
    ("기름 묻은 배달 용기 씻어도 안 지워져요", "일반종량제폐기물"),  # a stain that stays is a stain
])
def test_oil_means_residue_on_hard_materials_and_contamination_on_paper(
        catalog: RulesCatalog, text: str, expected: str) -> None:
    assert category(catalog, text) == expected


def test_settle_keeps_hard_stains_and_paper_as_they_are() -> None:
    oily = read_state(normalize("기름 묻은"))
    assert oily.washable and oily.state.contaminated is True
    assert settle(oily.state, "금속류", washable=True).residue == "present"
    assert settle(oily.state, "금속류", washable=True).contaminated is None
    assert settle(oily.state, "종이", washable=True).contaminated is True
    painted = read_state(normalize("페인트 묻은"))
    assert not painted.washable


@pytest.mark.parametrize(("text", "expected"), [
    ("생수병에서 뗀 라벨 어디로", "비닐류"),  # the label, taken off the bottle
    ("택배 상자에서 뜯은 테이프", "일반종량제폐기물"),  # the tape, not the box
])
def test_the_thing_taken_off_is_the_item(catalog: RulesCatalog, text: str, expected: str) -> None:
    assert category(catalog, text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("짜장면 먹고 남은 면발", "음식물류폐기물"),
    ("순두부 상한 거", "음식물류폐기물"),
    ("고장 난 김냉 처리", "전기전자제품"),
    ("과자곽 어떻게 버려요", "종이"),
    ("1.5리터 생수 페트", "무색페트병"),
    ("스트로폼 조각", "발포합성수지"),  # a common misspelling
    ("스트로폼 박스", "발포합성수지"),
    ("공사하고 남은 폐자재", "공사장생활폐기물"),
])
def test_everyday_names(catalog: RulesCatalog, text: str, expected: str) -> None:
    assert category(catalog, text) == expected
