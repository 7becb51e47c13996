"""Loading and validating the rules: the real documents, and every problem kind on tmp_path fixtures."""

from __future__ import annotations

import json

import pytest

from streams.contracts import OFFICIAL_CATEGORIES
from streams.rules import RulesCatalog, RulesError
from tests.unit.rules.conftest import RULES_DIR, RulesWriter, category_doc, item_doc


class TestRealRules:
    def test_every_document_is_valid(self) -> None:
        try:
            RulesCatalog.load(RULES_DIR, warm=False)
        except RulesError as exc:  # show the whole list, not just the first problem
            pytest.fail("rules/ has problems:\n" + "\n".join(exc.problems))

    def test_every_category_has_a_category_document(self, catalog: RulesCatalog) -> None:
        missing = [code for code in OFFICIAL_CATEGORIES if catalog.category_doc(code) is None]
        assert not missing

    def test_stats_add_up(self, catalog: RulesCatalog) -> None:
        s = catalog.stats()
        assert s.items == len(catalog.items) > 0
        assert s.names == s.items + s.aliases
        assert sum(s.per_category.values()) == s.items

    def test_version_is_short_and_stable(self, catalog: RulesCatalog) -> None:
        assert len(catalog.version) == 12
        assert RulesCatalog.load(RULES_DIR, warm=False).version == catalog.version


class TestProblems:
    def _problems(self, root) -> list[str]:  # type: ignore[no-untyped-def]
        with pytest.raises(RulesError) as info:
            RulesCatalog.load(root, warm=False)
        return info.value.problems

    def test_valid_fixture_loads(self, write_rules: RulesWriter) -> None:
        root = write_rules(items=[item_doc("cup", name="컵")],
                           categories=[category_doc("plastic", "플라스틱류")], sources=["MOE-GUIDE"])
        catalog = RulesCatalog.load(root, warm=False)
        assert catalog.get("cup") is not None and catalog.get("nope") is None
        assert "cup" in catalog and list(catalog.categories) == ["plastic"]

    def test_duplicate_alias_across_items(self, write_rules: RulesWriter) -> None:
        root = write_rules(items=[item_doc("a", name="생수병", aliases=["물병"]),
                                  item_doc("b", name="물 병")])  # same name once spaces are removed
        (problem,) = self._problems(root)
        assert "물 병" in problem and "물병" in problem and "a.json" in problem

    def test_unknown_category_code(self, write_rules: RulesWriter) -> None:
        root = write_rules(items=[item_doc("a", official_category="플라스틱")])
        (problem,) = self._problems(root)
        assert problem.startswith("rules/a.json: official_category")

    def test_dangling_category_doc_and_not_this(self, write_rules: RulesWriter) -> None:
        doc = item_doc("a", category_doc="nowhere",
                       not_this=[{"name": "유색 페트병", "item_id": "ghost", "goes_to": "플라스틱류"}])
        problems = self._problems(write_rules(items=[doc]))
        assert any("category_doc 'nowhere'" in p for p in problems)
        assert any("not_this[0].item_id 'ghost'" in p for p in problems)

    def test_not_this_disagreeing_with_target(self, write_rules: RulesWriter) -> None:
        root = write_rules(items=[
            item_doc("a", not_this=[{"name": "B", "item_id": "b", "goes_to": "종이"}]),
            item_doc("b", name="B", official_category="비닐류")])
        (problem,) = self._problems(root)
        assert "goes to 종이" in problem and "비닐류" in problem

    def test_category_doc_for_another_category(self, write_rules: RulesWriter) -> None:
        root = write_rules(items=[item_doc("a", category_doc="paper")],
                           categories=[category_doc("paper", "종이")])
        (problem,) = self._problems(root)
        assert "is for 종이" in problem

    def test_item_id_must_equal_file_name(self, write_rules: RulesWriter) -> None:
        root = write_rules(items=[("bottle", item_doc("bottel"))])
        (problem,) = self._problems(root)
        assert "bottle.json" in problem and "must equal the file name" in problem

    def test_unknown_source_key(self, write_rules: RulesWriter) -> None:
        doc = item_doc("a", sources=[{"key": "BLOG-X", "checked": "2026-11-24"}])
        (problem,) = self._problems(write_rules(items=[doc], sources=["MOE-GUIDE"]))
        assert "BLOG-X" in problem and "sources.md" in problem

    def test_source_keys_unchecked_without_legend(self, write_rules: RulesWriter) -> None:
        doc = item_doc("a", sources=[{"key": "BLOG-X"}])
        assert RulesCatalog.load(write_rules(items=[doc]), warm=False).get("a") is not None

    def test_bad_state_in_condition(self, write_rules: RulesWriter) -> None:
        doc = item_doc("a", conditions=[
            {"id": "one", "when": {"flavour": "green"}, "add_steps": ["x"]},
            {"id": "two", "when": {"lid": "shut"}, "add_steps": ["x"]},
            {"id": "three", "when": {"broken": "true"}, "add_steps": ["x"]},
        ])
        problems = self._problems(write_rules(items=[doc]))
        assert len(problems) == 3
        assert "unknown state key 'flavour'" in problems[0]
        assert "lid='shut'" in problems[1] and "broken='true'" in problems[2]

    def test_recycled_route_for_general_waste_refused(self, write_rules: RulesWriter) -> None:
        root = write_rules(items=[item_doc("a", official_category="일반종량제폐기물", route="recycle")])
        (problem,) = self._problems(root)
        assert "route must be dispose" in problem

    def test_old_recyclable_field_refused(self, write_rules: RulesWriter) -> None:
        (problem,) = self._problems(write_rules(items=[item_doc("a", recyclable=True)]))
        assert "recyclable" in problem and "Extra inputs" in problem

    def test_extra_field_and_bad_json_and_all_collected(self, write_rules: RulesWriter) -> None:
        root = write_rules(items=[item_doc("a", colour="green"), item_doc("b", official_category="x")],
                           categories=[category_doc("paper", "종이", extra=1)])
        (root / "c.json").write_text("{not json", encoding="utf-8")
        problems = self._problems(root)
        assert len(problems) == 4  # one error per document, all reported together
        text = "\n".join(problems)
        assert "a.json: colour" in text and "c.json" in text and "categories/paper.json: extra" in text

    def test_version_changes_with_content(self, write_rules: RulesWriter) -> None:
        root = write_rules(items=[item_doc("a")])
        before = RulesCatalog.load(root, warm=False).version
        (root / "a.json").write_text(json.dumps(item_doc("a", name="다른 이름"), ensure_ascii=False),
                                     encoding="utf-8")
        assert RulesCatalog.load(root, warm=False).version != before

    def test_missing_directory(self, tmp_path) -> None:  # type: ignore[no-untyped-def]
        with pytest.raises(RulesError, match="not a directory"):
            RulesCatalog.load(tmp_path / "nope")
