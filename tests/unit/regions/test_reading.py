"""Reading the region from the question, the housing type, and the request's ``region`` field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from streams.errors import InvalidInput
from streams.regions import read_housing, read_region, read_region_field

DATA = Path(__file__).resolve().parents[2] / "data"


@pytest.mark.parametrize(("question", "code"), [
    ("서울 강남구 사는데 페트병 언제 버려요?", "11680"),
    ("강남구 사는데 우유팩 어떻게 버려요?", "11680"),
    ("강남구에 살아요. 스티로폼은요?", "11680"),
    ("강남구사는데 스티로폼", "11680"),
    ("수원시 영통구인데 우유팩 어떻게 버려요?", "41117"),
    ("경기 수원 영통구 주민인데요, 캔은요?", "41117"),
    ("부산 해운대구 사는데 비닐은?", "26350"),
    ("인천 남구에서 페트병", "28177"),
    ("세종 사는데 페트병", "36110"),
    ("강남구에서 송파구로 이사 왔는데 소파는?", "11680"),  # the first place named
])
def test_region_in_the_question(question: str, code: str) -> None:
    found = read_region(question)
    assert found is not None and found.settled is not None and found.settled.code == code


def test_ambiguous_region_in_the_question_is_kept_ambiguous() -> None:
    found = read_region("중구 사는데 페트병 언제 내요?")
    assert found is not None and found.settled is None and len(found.districts) == 5


@pytest.mark.parametrize("question", [
    "서울 사는데 페트병 어떻게 버려요?",  # a 시·도 alone says nothing about the district's days
    "제주도 사는데 페트병",
    "강남 스타일 페트병",                 # a stem without 구 is not read from free text
    "문구 세트 버려요",
    "전구 어떻게 버려요?",
    "가구 버리려는데요",
    "강남구청에서 받은 봉투",
])
def test_no_region_read(question: str) -> None:
    assert read_region(question) is None


def test_no_labelled_question_is_read_as_a_place() -> None:
    """Item words never turn into places: none of the ~1,300 labelled and held-out questions names one."""
    questions = [json.loads(line)["question"] for path in sorted(DATA.rglob("*.jsonl"))
                 for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(questions) > 1000
    assert [q for q in questions if read_region(q) is not None] == []


@pytest.mark.parametrize(("question", "housing"), [
    ("단독주택인데 투명 페트병 언제 내요?", "detached"),
    ("빌라 사는데 비닐은요?", "detached"),
    ("아파트인데 페트병", "apartment"),
    ("공동주택 분리수거", "apartment"),
    ("페트병 언제 내요?", None),
    ("아파트 말고 단독주택", None),  # both: unsaid
])
def test_housing(question: str, housing: str | None) -> None:
    assert read_housing(question) == housing


def test_region_field_settled_ambiguous_and_empty() -> None:
    region, choices = read_region_field("서울 강남구")
    assert region is not None and region.code == "11680" and region.given == "request" and choices == []
    region, choices = read_region_field("중구")
    assert region is None and {c.sido for c in choices} >= {"서울특별시", "부산광역시"} and len(choices) == 5
    assert read_region_field(11680)[0].code == "11680"  # type: ignore[union-attr]
    assert read_region_field(None) == (None, []) and read_region_field("  ") == (None, [])


@pytest.mark.parametrize("value", ["역삼동 123-4", "강남군", "x" * 61, 3.5, ["강남구"]])
def test_region_field_refuses_without_repeating_the_value(value: object) -> None:
    with pytest.raises(InvalidInput) as err:
        read_region_field(value)
    assert str(value) not in err.value.message
