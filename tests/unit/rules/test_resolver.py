"""Free text → candidates on the real catalogue: particles, spacing, typos, state, ambiguity, speed."""

from __future__ import annotations

import time

import pytest

from streams.rules import RulesCatalog


def top(catalog: RulesCatalog, text: str) -> str | None:
    best = catalog.resolve(text).best
    return best.item_id if best else None


@pytest.mark.parametrize(("text", "item_id"), [
    ("페트병은 어떻게 버려요?", "water_pet_bottle"),  # particle + ending
    ("우유팩을 버리려는데", "milk_carton"),
    ("생수병어디버려", "water_pet_bottle"),  # no spacing at all
    ("생수 병 어디에 버리나요", "water_pet_bottle"),  # spacing inside the name
    ("피자 박스인가요", "pizza_box"),  # the longer name beats "박스"
    ("피자박스", "pizza_box"),
    ("택배 상자에 붙은 송장은", "shipping_label"),  # the head noun, not the place
    ("두유팩은 우유팩이랑 같이 버리나요", "soy_milk_carton"),  # a companion is not the item
    ("닭뼈는 음식물쓰레기인가요?", "chicken_bone"),  # the user's guess is not the item
])
def test_names_with_particles_and_spacing(catalog: RulesCatalog, text: str, item_id: str) -> None:
    res = catalog.resolve(text)
    assert res.best is not None and res.best.item_id == item_id
    assert not res.needs_clarification
    assert res.best.match in ("exact", "alias")


@pytest.mark.parametrize(("text", "item_id"), [
    ("페트볍 버리는 법", "water_pet_bottle"),
    ("건전치 버리는곳", "alkaline_battery"),
    ("요쿠르트병 버리기", "yakult_bottle"),
])
def test_typos_are_fuzzy_matches(catalog: RulesCatalog, text: str, item_id: str) -> None:
    res = catalog.resolve(text)
    assert res.best is not None and res.best.item_id == item_id
    assert res.best.match == "fuzzy" and 0.7 < res.best.score < 0.9


def test_exact_name_scores_highest(catalog: RulesCatalog) -> None:
    res = catalog.resolve("생수병")
    assert res.best is not None and res.best.match == "exact" and res.best.score == 1.0


def test_state_is_read_with_the_item(catalog: RulesCatalog) -> None:
    res = catalog.resolve("뚜껑 닫힌 라벨 붙은 생수병이에요")
    assert res.best is not None and res.best.item_id == "water_pet_bottle"
    assert res.state.lid == "closed" and res.state.label == "attached"
    res = catalog.resolve("기름 묻은 피자박스는 어디에 버리나요")
    assert res.best is not None and res.best.item_id == "pizza_box" and res.state.contaminated is True


def test_condition_words_are_not_items(catalog: RulesCatalog) -> None:
    # "기름" is an alias of cooking oil, but in "기름 묻은" it only describes the box.
    assert top(catalog, "기름 묻은 박스") == "corrugated_box"


@pytest.mark.parametrize(("text", "category"), [
    ("플라스틱 용기 같은데", "플라스틱류"),
    ("프라스틱 용기 같은데", "플라스틱류"),  # a typo of a category word
    ("유리", "유리병"),
    ("건전지류", "전지"),
    ("스티로폼에 테이프 붙어 있어요", "발포합성수지"),
])
def test_category_only(catalog: RulesCatalog, text: str, category: str) -> None:
    res = catalog.resolve(text)
    assert res.category_hint == category and not res.needs_clarification
    assert res.best is not None and res.best.item_id is None and res.best.match == "category"


@pytest.mark.parametrize("text", [
    "이거 어떻게 버려요?",
    "이거 종량제봉투에 버려도 되나요?",  # a destination is not a description
    "전자레인지용 용기",  # what it is for, not what it is
    "분리수거 요일 알려줘",
])
def test_unknown_item_needs_clarification(catalog: RulesCatalog, text: str) -> None:
    res = catalog.resolve(text)
    assert res.needs_clarification and res.category_hint is None


@pytest.mark.parametrize("text", [
    "장갑",  # part of names in several categories (유리 반찬통 and 종이 빨대 have documents of their own now)
    "전구",
])
def test_ambiguous_needs_clarification(catalog: RulesCatalog, text: str) -> None:
    res = catalog.resolve(text)
    assert res.ambiguous and res.needs_clarification
    mention = res.unclear_mention
    assert mention is not None
    assert len({c.official_category for c in mention.candidates}) > 1


def test_material_picks_the_matching_item(catalog: RulesCatalog) -> None:
    assert top(catalog, "플라스틱 계란판") == "plastic_egg_tray"


def test_listed_items_are_separate_mentions(catalog: RulesCatalog) -> None:
    res = catalog.resolve("생수병, 캔, 우유팩 어떻게 버려")
    assert [m.top.item_id for m in res.mentions] == ["water_pet_bottle", "aluminum_can", "milk_carton"]
    assert not res.ambiguous


def test_resolve_is_fast(catalog: RulesCatalog) -> None:
    questions = ["뚜껑 닫힌 생수병은 어떻게 버려요?", "패트병 버리는 법", "이거 어떻게 버려요?",
                 "기름 묻은 피자박스는 어디에 버리나요", "택배 상자에 붙은 송장은",
                 "아이스 아메리카노 컵 어디 버려"] * 50
    started = time.perf_counter()
    for q in questions:
        catalog.resolve(q)
    per_question_ms = (time.perf_counter() - started) * 1000 / len(questions)
    assert per_question_ms < 5.0


@pytest.mark.parametrize(("text", "item_id"), [
    ("생수병 말고 우유팩은?", "milk_carton"),  # ruled out
    ("펌프 달린 샴푸통", "shampoo_bottle"),  # a part of the thing
    ("고기 담았던 스티로폼 접시", "foam_tray_white"),  # what it held
    ("간장 담았던 페트병", "pet_clear_non_beverage"),  # content + container = a more specific name
    ("초록색 페트병 버리기", "pet_bottle_colored"),  # a modifier that makes the name more specific
    ("게 껍데기 음쓰예요?", "crustacean_shells"),  # the guessed destination is not the item
])
def test_which_name_is_the_item(catalog: RulesCatalog, text: str, item_id: str) -> None:
    assert top(catalog, text) == item_id


def test_one_letter_names_must_stand_alone(catalog: RulesCatalog) -> None:
    # "재" (ash) inside "완충재" is a suffix, not the item.
    assert top(catalog, "종이 완충재") != "ash"
