"""Korean text helpers and condition-word extraction."""

from __future__ import annotations

import pytest

from streams.rules.states import extract_state
from streams.rules.text import compact, jamo, josa, normalize


@pytest.mark.parametrize(("word", "pair", "expected"), [
    ("생수병", "은/는", "생수병은"), ("우유팩", "은/는", "우유팩은"), ("종이", "은/는", "종이는"),
    ("영수증", "으로/로", "영수증으로"), ("종이", "으로/로", "종이로"), ("물", "으로/로", "물로"),
    ("컵라면 용기(종이)", "은/는", "컵라면 용기(종이)는"), ("'생수병'", "을/를", "'생수병'을"),
    ("CD", "은/는", "CD는"), ("캔", "이/가", "캔이"),
])
def test_josa(word: str, pair: str, expected: str) -> None:
    assert josa(word, pair) == expected


def test_compact_and_jamo() -> None:
    assert compact("생수 페트병!") == compact("생수페트병") == "생수페트병"
    assert normalize("ＡＢＣ") == "abc"
    assert jamo("패트") == "ㅍㅐㅌㅡ" and jamo("a병") == "aㅂㅕㅇ"


@pytest.mark.parametrize(("text", "expected"), [
    ("뚜껑 닫힌 생수병", {"lid": "closed"}),
    ("뚜껑 있는 페트병", {"lid": "closed"}),
    ("뚜껑 안 닫은 병", {"lid": "open"}),
    ("뚜껑 뗀 병", {"lid": "none"}),
    ("라벨 붙은 생수병", {"label": "attached"}),
    ("라벨 안 뗀 병", {"label": "attached"}),
    ("라벨을 뗀 병", {"label": "removed"}),
    ("라벨 떨어진 소주병", {"label": "removed"}),
    ("내용물 남은 샴푸통", {"residue": "present"}),
    ("음식물 묻은 비닐", {"contaminated": True}),  # soaks into film; on a can it settles to residue
    ("반쯤 남았는데", {"residue": "present", "amount_left": "much"}),
    ("기름 묻은 피자 박스", {"contaminated": True}),
    ("오염된 용기", {"contaminated": True}),
    ("더러운 박스", {"contaminated": True}),
    ("깨끗한 용기", {"contaminated": False, "residue": "absent"}),
    ("깨끗이 씻은 우유팩", {"residue": "absent", "cleaned": True}),
    ("안 씻은 우유팩", {"cleaned": False}),
    ("깨진 유리병", {"broken": True}),
    ("부서진 의자", {"broken": True}),
    ("안 깨진 소주병", {"broken": False}),
    ("가스 남은 부탄가스", {"gas_remaining": True}),
    ("가스를 다 뺀 캔", {"gas_remaining": False}),
    ("배터리 들어있는 장난감", {"battery_inside": True}),
    ("건전지 뺀 리모컨", {"battery_inside": False}),
    ("테이프 붙은 택배 상자", {"tape": "attached"}),
    ("송장이 붙어 있는 박스", {"tape": "attached"}),
    ("송장 뗀 상자", {"tape": "removed"}),
    ("스티커 붙은 스티로폼", {"label": "attached", "tape": "attached"}),
    ("생수병 어떻게 버려요", {}),
])
def test_condition_words(text: str, expected: dict[str, object]) -> None:
    state, _ = extract_state(normalize(text))
    assert state.known() == expected


def test_condition_spans_cover_the_words() -> None:
    text = normalize("기름 묻은 피자 박스")
    _, spans = extract_state(text)
    assert [text[a:b] for a, b, _ in spans] == ["기름 묻은"]
