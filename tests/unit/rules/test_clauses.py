"""Which named thing a question is about when it names several: stories, places, measures, containers."""

from __future__ import annotations

import pytest

from streams.offline import analyse_text
from streams.rules import RulesCatalog


def _category(question: str, catalog: RulesCatalog) -> str | None:
    a = analyse_text(question, catalog)
    if a.needs_clarification:
        return None
    item = a.items[0]
    g = catalog.apply(item.item_id, item.state) if item.item_id else catalog.apply_category(
        item.official_category or "", item.state)
    return g.official_category


@pytest.mark.parametrize(("question", "category"), [
    # a story before the question: the last thing named after a clause ending is the one asked about
    ("세탁기 새로 사고 나온 포장 스티로폼이 엄청 커요 어디에 버리죠", "발포합성수지"),
    ("냉장고 정리하다 나온 유리병은 어디로", "유리병"),
    # a place something goes is not what is thrown away
    ("튀김하고 남은 식용유가 반 병 정도 있어요. 싱크대에 부으면 안 되죠? 어떻게 버려요", "생활계유해폐기물"),
    # a number makes a container word a measure
    ("폐건전지가 한 봉지 가득 모였어요", "전지"),
    # the bulky-waste sticker is bought, not thrown away
    ("매트리스 버릴라면 스티커 사야됨??", "대형폐기물"),
    # a food before a bare container word: the container
    ("고추장 통 씻었어요", "플라스틱류"),
    # a part named by its material after the whole it came from
    ("고장 난 우산에서 천을 다 벗겨내고 쇠 살대만 남았어요", "금속류"),
    # removing a part is asked about, the thing is what it comes off
    ("택배박스 테이프 떼야 돼요?", "종이"),
    # a content no name covers still names its container
    ("맛술 들어 있던 투명 페트병은 어떻게 분리해요?", "플라스틱류"),
])
def test_the_thing_asked_about(question: str, category: str, catalog: RulesCatalog) -> None:
    assert _category(question, catalog) == category


@pytest.mark.parametrize(("question", "category"), [
    ("냉장고 어떻게 버려요", "전기전자제품"),  # one thing named: nothing to set aside
    ("건전지 한 개", "전지"),
    ("이불 봉투에 안 들어가요", "대형폐기물"),  # not food: 봉투 holds nothing here
    ("글라스락 통 유리병으로 버려도 돼?", "불연성종량제폐기물"),
])
def test_single_things_are_left_alone(question: str, category: str, catalog: RulesCatalog) -> None:
    assert _category(question, catalog) == category


def test_a_bound_noun_is_not_a_crab(catalog: RulesCatalog) -> None:
    a = analyse_text("집에 이런 게 잔뜩 있는데 어떻게 버려요?", catalog)
    assert a.needs_clarification  # "게" is 것 here, not 게 (crab)
    assert _category("게 껍데기 어디에 버려요", catalog) == "일반종량제폐기물"
