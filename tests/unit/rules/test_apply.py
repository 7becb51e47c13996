"""Rules + state → guidance: the state changes the steps, and every sentence has a rule id."""

from __future__ import annotations

import pytest

from streams.contracts import ItemState
from streams.errors import RuleNotFound
from streams.rules import RulesCatalog
from streams.rules.apply import PRINCIPLE_CONTAMINATED
from tests.unit.rules.conftest import RulesWriter, category_doc, item_doc

CAP_STEP = "뚜껑은 닫은 채로 내도 됩니다."
RINSE_STEP = "남은 내용물을 비우고 물로 헹굽니다."
LABEL_STEP = "라벨을 떼어 비닐류로 냅니다."
DIRTY_STEP = "헹궈도 오염이 남으면 종량제봉투에 버립니다."


@pytest.fixture
def toy(write_rules: RulesWriter) -> RulesCatalog:
    bottle = item_doc(
        "bottle", name="생수병", official_category="무색페트병", category_doc="clear_pet",
        channel="투명 페트병 수거함", steps=["병을 눌러 납작하게 합니다."],
        conditions=[
            {"id": "lid_closed", "when": {"lid": "closed"}, "add_steps": [CAP_STEP]},
            {"id": "residue", "when": {"residue": "present"}, "add_steps": [RINSE_STEP]},
            {"id": "label", "when": {"label": "attached"}, "add_steps": [LABEL_STEP],
             "note": "라벨은 비닐류."},
            {"id": "dirty", "when": {"contaminated": True}, "official_category": "일반종량제폐기물",
             "channel": "종량제봉투", "add_steps": [DIRTY_STEP]},
        ],
        not_this=[{"name": "유색 페트병", "item_id": "coloured", "goes_to": "플라스틱류",
                   "why": "색이 있으면 아닙니다."}],
        region_dependent=True, region_note="배출 요일은 지역마다 다릅니다.", conflict_note="출처가 갈립니다.")
    coloured = item_doc("coloured", name="유색 페트병", category_doc="plastic")
    box = item_doc("box", name="피자 박스", official_category="종이", category_doc="paper",
                   channel="종이류 수거함", steps=["남은 음식을 빼냅니다."])
    receipt = item_doc("receipt", name="영수증", official_category="일반종량제폐기물",
                       channel="종량제봉투", steps=["종량제봉투에 버립니다."])
    cats = [category_doc("clear_pet", "무색페트병"), category_doc("plastic", "플라스틱류"),
            category_doc("paper", "종이", not_accepted=["영수증은 종이가 아닙니다."],
                         region_dependent=True, region_note="종이 요일은 지역마다."),
            category_doc("general_waste", "일반종량제폐기물")]
    return RulesCatalog.load(write_rules(items=[bottle, coloured, box, receipt], categories=cats), warm=False)


def test_plain_state_gives_common_then_item_steps(toy: RulesCatalog) -> None:
    g = toy.apply("bottle", ItemState(), match="exact")
    assert g.steps == ["무색페트병 공통 단계입니다.", "병을 눌러 납작하게 합니다."]
    assert g.official_category == "무색페트병" and g.recyclable is True and g.applied_conditions == []
    ids = [r.rule_id for r in g.rules]
    assert ids[:3] == ["clear_pet:common:1", "bottle:category", "bottle:step:1"]
    assert "bottle:not:1" in ids and "bottle:region" in ids and "bottle:conflict" in ids
    assert all(r.sources and r.sources[0].key == "MOE-GUIDE" for r in g.rules)


def test_lid_closed_adds_the_cap_step(toy: RulesCatalog) -> None:
    g = toy.apply("bottle", ItemState(lid="closed"), match="exact")
    assert g.steps[-1] == CAP_STEP and g.applied_conditions == ["lid_closed"]
    assert any(r.rule_id == "bottle:cond:lid_closed" and r.text == CAP_STEP for r in g.rules)


def test_residue_adds_rinse_and_label_adds_note(toy: RulesCatalog) -> None:
    g = toy.apply("bottle", ItemState(residue="present", label="attached"), match="alias")
    assert g.steps[-2:] == [RINSE_STEP, LABEL_STEP] and g.match == "alias"
    assert any(r.rule_id == "bottle:cond:label:note" and r.kind == "note" for r in g.rules)


def test_contaminated_goes_to_general_waste(toy: RulesCatalog) -> None:
    g = toy.apply("bottle", ItemState(contaminated=True), match="exact")
    assert g.official_category == "일반종량제폐기물" and g.channel == "종량제봉투" and g.recyclable is False
    # The steps of the category it ends in come first, not the transparent-PET ones.
    assert g.steps[0] == "일반종량제폐기물 공통 단계입니다." and g.steps[-1] == DIRTY_STEP
    assert "bottle:category" not in [r.rule_id for r in g.rules]
    assert any(r.rule_id == "bottle:cond:dirty" and "일반종량제폐기물" in r.text for r in g.rules)


def test_unknown_state_matches_no_condition(toy: RulesCatalog) -> None:
    assert toy.apply("bottle", ItemState(lid="open", broken=False), match="exact").applied_conditions == []


def test_contamination_principle_without_a_condition(toy: RulesCatalog) -> None:
    g = toy.apply("box", ItemState(contaminated=True), match="exact")
    assert g.official_category == "일반종량제폐기물" and g.recyclable is False
    assert g.steps[-1] == PRINCIPLE_CONTAMINATED and "principle:contaminated" in g.applied_conditions


def test_non_recyclable_item(toy: RulesCatalog) -> None:
    g = toy.apply("receipt", ItemState(), match="exact")
    assert g.recyclable is False and g.steps == ["종량제봉투에 버립니다."]  # no category_doc, no common steps


def test_not_this_is_a_sentence(toy: RulesCatalog) -> None:
    g = toy.apply("bottle", ItemState(), match="exact")
    assert g.not_this == ["유색 페트병은 플라스틱 수거함에 버려요. 색이 있으면 아닙니다."]


def test_a_category_region_note_is_not_every_item_s_note(toy: RulesCatalog) -> None:
    g = toy.apply("box", ItemState(), match="exact")  # only paper's category document has one
    assert g.region_note is None and not any(r.rule_id == "paper:region" for r in g.rules)


def test_category_level_guidance(toy: RulesCatalog) -> None:
    g = toy.apply_category("종이", ItemState())
    assert g.item_id is None and g.match == "category" and g.official_category == "종이"
    assert g.steps == ["종이 공통 단계입니다."] and g.not_this == ["영수증은 종이가 아닙니다."]
    assert [r.rule_id for r in g.rules][:2] == ["paper:common:1", "paper:category"]
    dirty = toy.apply_category("종이", ItemState(contaminated=True))
    assert dirty.official_category == "일반종량제폐기물" and dirty.recyclable is False


def test_unknown_item_raises(toy: RulesCatalog) -> None:
    with pytest.raises(RuleNotFound):
        toy.apply("nope", ItemState(), match="exact")


class TestRealRules:
    def test_water_bottle_state_changes_the_answer(self, catalog: RulesCatalog) -> None:
        plain = catalog.apply("water_pet_bottle", ItemState(), match="exact")
        dirty = catalog.apply("water_pet_bottle", ItemState(contaminated=True), match="exact")
        assert plain.official_category == "무색페트병" and plain.recyclable
        assert dirty.official_category != "무색페트병"

    def test_greasy_pizza_box(self, catalog: RulesCatalog) -> None:
        g = catalog.apply("pizza_box", ItemState(contaminated=True), match="exact")
        assert g.official_category == "일반종량제폐기물" and g.recyclable is False

    def test_gas_left_in_a_spray_can_follows_the_residue(self, catalog: RulesCatalog) -> None:
        g = catalog.apply("insecticide_spray", ItemState(residue="present"), match="alias")
        assert g.official_category == "생활계유해폐기물"

    def test_every_item_applies_in_every_single_condition(self, catalog: RulesCatalog) -> None:
        for doc in catalog.items.values():
            for cond in doc.conditions:
                g = catalog.apply(doc.item_id, ItemState(**cond.when), match="exact")
                assert cond.id in g.applied_conditions
                assert len(g.rules) >= len([s for s in g.steps if s])


@pytest.fixture
def hanger(write_rules: RulesWriter) -> RulesCatalog:
    doc = item_doc(
        "hanger", name="행거", official_category="일반종량제폐기물", category_doc="general_waste",
        channel="종량제봉투", steps=["잘게 분리해 봉투에 넣습니다."],
        conditions=[
            {"id": "metal", "when": {"material": "metal"}, "official_category": "금속류",
             "channel": "캔·고철 수거함", "case": "금속 행거는 고철로 냅니다."},
            {"id": "oversized", "when": {"size": "oversized"}, "official_category": "대형폐기물",
             "channel": "대형폐기물 신고", "case": "봉투에 안 들어가면 대형폐기물로 신고합니다."},
        ])
    sofa = item_doc("sofa", name="소파", official_category="대형폐기물", channel="대형폐기물 신고", route="reuse",
                    steps=["구청에 신고합니다."], confidence="low")
    cats = [category_doc("general_waste", "일반종량제폐기물"), category_doc("metal", "금속류")]
    return RulesCatalog.load(write_rules(items=[doc, sofa], categories=cats), warm=False)


class TestCases:
    def test_unknown_material_and_size_state_each_case(self, hanger: RulesCatalog) -> None:
        g = hanger.apply("hanger", ItemState(), match="exact")
        assert g.official_category == "일반종량제폐기물" and g.route == "dispose"
        assert g.cases == ["금속 행거는 고철로 냅니다.", "봉투에 안 들어가면 대형폐기물로 신고합니다."]

    def test_a_known_material_picks_its_case_and_drops_the_lines(self, hanger: RulesCatalog) -> None:
        g = hanger.apply("hanger", ItemState(material="metal"), match="exact")
        assert g.official_category == "금속류" and g.route == "recycle" and g.recyclable is True
        assert g.cases == ["봉투에 안 들어가면 대형폐기물로 신고합니다."]  # size still unknown

    def test_a_known_other_material_states_no_metal_case(self, hanger: RulesCatalog) -> None:
        g = hanger.apply("hanger", ItemState(material="plastic", size="fits_bag"), match="exact")
        assert g.official_category == "일반종량제폐기물" and g.cases == []

    def test_case_condition_without_case_line_is_refused(self, write_rules: RulesWriter) -> None:
        from streams.rules import RulesError

        doc = item_doc("x", conditions=[{"id": "m", "when": {"material": "metal"}, "official_category": "금속류"}])
        with pytest.raises(RulesError, match="needs `case`"):
            RulesCatalog.load(write_rules(items=[doc]), warm=False)


class TestRoute:
    def test_reuse_is_neither_recyclable_nor_not(self, hanger: RulesCatalog) -> None:
        g = hanger.apply("sofa", ItemState(), match="exact")
        assert g.route == "reuse" and g.recyclable is None and g.low_confidence is True

    def test_category_default_route(self, hanger: RulesCatalog) -> None:
        g = hanger.apply("hanger", ItemState(size="oversized"), match="exact")
        assert g.official_category == "대형폐기물" and g.route == "special" and g.recyclable is None
