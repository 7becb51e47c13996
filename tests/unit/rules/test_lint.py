"""`bunri rules check`'s content checks: repeated steps, self-pointing look-alikes, sources legend."""

from __future__ import annotations

import pytest

from streams.rules import RulesCatalog, RulesError
from streams.rules.lint import near_duplicates
from tests.unit.rules.conftest import RulesWriter, category_doc, item_doc


def _problems(root) -> list[str]:  # type: ignore[no-untyped-def]
    with pytest.raises(RulesError) as err:
        RulesCatalog.load(root, warm=False)
    return err.value.problems


class TestRepeatedSteps:
    def test_same_action_in_other_words_is_found(self) -> None:
        pairs = near_duplicates([("steps", "남은 음료를 비우고 헹굽니다."),
                                 ("cond:residue", "남은 음료를 비우고 헹궈요.")])
        assert len(pairs) == 1

    def test_different_actions_pass(self) -> None:
        assert near_duplicates([("steps", "라벨을 떼어 비닐류로 냅니다."),
                                ("steps", "병을 눌러 납작하게 합니다.")]) == []

    def test_two_exclusive_conditions_may_say_the_same(self) -> None:
        assert near_duplicates([("cond:a", "가스를 모두 뺍니다."), ("cond:b", "가스를 모두 뺍니다.")]) == []

    def test_item_step_repeating_the_category_step_is_refused(self, write_rules: RulesWriter) -> None:
        cat = category_doc("plastic", "플라스틱류", common_steps=["내용물을 비우고 물로 헹굽니다."])
        doc = item_doc("a", category_doc="plastic", steps=["내용물을 비우고 물로 헹굽니다.", "뚜껑을 뺍니다."])
        (problem,) = _problems(write_rules(items=[doc], categories=[cat]))
        assert "a.json: step repeats another" in problem and "category:plastic" in problem

    def test_condition_step_repeating_an_item_step_is_refused(self, write_rules: RulesWriter) -> None:
        doc = item_doc("a", steps=["건전지를 빼서 전지 수거함에 넣습니다."], conditions=[
            {"id": "battery", "when": {"battery_inside": True}, "add_steps": ["건전지를 빼서 전지 수거함에 넣어요."]}])
        (problem,) = _problems(write_rules(items=[doc]))
        assert "cond:battery" in problem


def test_look_alike_naming_the_item_itself_is_refused(write_rules: RulesWriter) -> None:
    doc = item_doc("glass", name="유리병", official_category="유리병", aliases=["공병"],
                   not_this=[{"name": "공병", "goes_to": "유리병"}])
    (problem,) = _problems(write_rules(items=[doc]))
    assert "is the item itself" in problem


class TestSources:
    def test_results_carry_url_and_title_from_the_legend(self, catalog: RulesCatalog) -> None:
        from streams.contracts import ItemState

        for item_id in list(catalog.items)[::25]:
            g = catalog.apply(item_id, ItemState(), match="exact")
            refs = [s for r in g.rules for s in r.sources]
            assert refs and all(s.url and s.url.startswith("http") and s.title for s in refs), item_id

    def test_every_legend_key_has_title_publisher_and_url(self) -> None:
        from pathlib import Path

        from streams.rules.catalog import read_legend

        legend = read_legend(Path(__file__).resolve().parents[3] / "docs" / "sources.md")
        assert legend and len(legend) >= 20
        assert all(ref.url and " " not in ref.url and ref.title and " — " in ref.title for ref in legend.values())
