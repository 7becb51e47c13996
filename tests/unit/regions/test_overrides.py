"""District override documents: the catalogue's loader hook, what ``bunri rules check`` refuses, the version."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from streams.rules import RulesCatalog, RulesError
from streams.rules.snapshot import snapshot_key
from tests.unit.rules.conftest import category_doc, item_doc


def override(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"id": "thursday", "categories": ["무색페트병"], "text": "강남구는 목요일에 냅니다.",
                            "sources": [{"key": "GANGNAM", "checked": "2026-12-01"}]}
    return base | fields


def region_doc(*overrides: dict[str, Any], code: str = "11680", sido: str = "서울특별시",
               sigungu: str = "강남구") -> dict[str, Any]:
    return {"schema_version": 1, "code": code, "sido": sido, "sigungu": sigungu,
            "overrides": list(overrides) or [override()]}


def write(tmp_path: Path, regions: dict[str, dict[str, Any]]) -> Path:
    root = tmp_path / "rules"
    (root / "categories").mkdir(parents=True, exist_ok=True)
    (root / "regions").mkdir(exist_ok=True)
    cat = category_doc("clear_pet", "무색페트병", common_steps=["헹굽니다.", "전용 수거함에 넣습니다."])
    (root / "categories" / "clear_pet.json").write_text(json.dumps(cat, ensure_ascii=False), encoding="utf-8")
    item = item_doc("water_bottle", official_category="무색페트병", category_doc="clear_pet",
                    steps=["라벨을 뗍니다."])
    (root / "water_bottle.json").write_text(json.dumps(item, ensure_ascii=False), encoding="utf-8")
    for stem, doc in regions.items():
        (root / "regions" / f"{stem}.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "docs").mkdir(exist_ok=True)
    rows = "\n".join(f"| {k} | t | https://example.invalid |" for k in ("MOE-GUIDE", "GANGNAM"))
    (tmp_path / "docs" / "sources.md").write_text(f"| key | what | url |\n|---|---|---|\n{rows}\n", encoding="utf-8")
    return root


def problems(tmp_path: Path, regions: dict[str, dict[str, Any]]) -> list[str]:
    with pytest.raises(RulesError) as err:
        RulesCatalog.load(write(tmp_path, regions), warm=False)
    return err.value.problems


def test_the_repository_s_district_documents_load(catalog: RulesCatalog) -> None:
    regions = catalog.documents("regions")
    assert {"11680", "11590", "11350", "27110"} <= set(regions)
    assert not set(regions) & set(catalog.items)  # rules/regions/*.json are not item documents
    gangnam = regions["11680"].overrides[0]
    assert gangnam.schedule and "목요일" in gangnam.text and gangnam.sources[0].key == "GANGNAM"


def test_a_valid_district_document(tmp_path: Path) -> None:
    catalog = RulesCatalog.load(write(tmp_path, {"11680": region_doc(override(replaces=["clear_pet:common:2"]))}),
                                warm=False)
    assert list(catalog.documents("regions")) == ["11680"] and list(catalog.items) == ["water_bottle"]


@pytest.mark.parametrize(("regions", "expected"), [
    ({"11681": region_doc(code="11681")}, "not a 시·군·구 code"),
    ({"11590": region_doc()}, "must equal the file name"),
    ({"11680": region_doc(sigungu="서초구")}, "is 서울특별시 강남구, not 서울특별시 서초구"),
    ({"11680": region_doc(override(text="목요일에 냅니다."))}, "must name the district (강남구)"),
    ({"11680": region_doc(override(items=["no_such_item"]))}, "item 'no_such_item' is not a document"),
    ({"11680": region_doc(override(replaces=["clear_pet:common:9"]))}, "beyond the 2 common steps"),
    ({"11680": region_doc(override(replaces=["water_bottle:step:1"], categories=["비닐류"]))},
     "which no item it applies to has"),
    ({"11680": region_doc(override(replaces=["clear_pet:step"]))}, "is not {slug}:common:{n}"),
    ({"11680": region_doc(override(sources=[{"key": "NOWHERE"}]))}, "source key 'NOWHERE'"),
    ({"11680": region_doc(override(schedule=True, official_category="일반종량제폐기물"))}, "a schedule cannot"),
    ({"11680": region_doc(override(housing="detached", official_category="일반종량제폐기물"))},
     "cannot depend on housing"),
    ({"11680": region_doc(override(channel="봉투"))}, "channel is for an override that changes the bin"),
    ({"11680": region_doc(override(categories=[]))}, "names neither categories nor items"),
    ({"11680": region_doc(override(), override())}, "duplicate override ids"),
    ({"11680": {"schema_version": 1, "code": "11680"}}, "regions/11680.json: sido"),
])
def test_rules_check_refuses(tmp_path: Path, regions: dict[str, dict[str, Any]], expected: str) -> None:
    found = problems(tmp_path, regions)
    assert any(expected in p for p in found), found


def test_a_district_document_changes_the_version_and_the_snapshot_key(tmp_path: Path) -> None:
    root = write(tmp_path, {"11680": region_doc()})
    before, key = RulesCatalog.load(root, warm=False).version, snapshot_key(root)
    write(tmp_path, {"11680": region_doc(override(text="강남구는 금요일에 냅니다."))})
    assert RulesCatalog.load(root, warm=False).version != before
    assert snapshot_key(root) != key
