"""Name resolution against the 시·군·구 table: the forms people type, ambiguous names, renamed districts."""

from __future__ import annotations

import pytest

from streams.regions.table import district_table

TABLE = district_table()


def names(text: str) -> list[str]:
    return [d.name for d in TABLE.resolve(text).districts]


def test_table_has_every_district_once() -> None:
    assert len(TABLE.districts) == 256
    assert all(len(code) == 5 and code.isdigit() for code in TABLE.districts)
    assert TABLE.get("11680").name == "서울특별시 강남구" and TABLE.get("36110").short == "세종특별자치시"
    # Every rename points at districts that exist now.
    assert all(TABLE.get(code) for former in TABLE.formers for code in former.now)


@pytest.mark.parametrize(("text", "expected"), [
    ("강남구", "서울특별시 강남구"),
    ("강남", "서울특별시 강남구"),
    ("서울 강남구", "서울특별시 강남구"),
    ("서울특별시강남구", "서울특별시 강남구"),
    ("수원시 영통구", "경기도 수원시 영통구"),
    ("수원시영통구", "경기도 수원시 영통구"),
    ("경기 수원 영통구", "경기도 수원시 영통구"),
    ("영통구", "경기도 수원시 영통구"),
    ("서울 중구", "서울특별시 중구"),
    ("대구 중구", "대구광역시 중구"),
    ("포항 남구", "경상북도 포항시 남구"),
    ("강원 고성군", "강원특별자치도 고성군"),
    ("세종", "세종특별자치시"),
    ("세종시", "세종특별자치시"),
    ("제주시", "제주특별자치도 제주시"),
    ("11680", "서울특별시 강남구"),
    ("1168010100", "서울특별시 강남구"),  # a longer administrative code: only the district is kept
])
def test_one_district(text: str, expected: str) -> None:
    found = TABLE.resolve(text)
    assert found.settled is not None and found.settled.name == expected, names(text)


@pytest.mark.parametrize(("text", "sidos"), [
    ("중구", {"서울특별시", "부산광역시", "대구광역시", "대전광역시", "울산광역시"}),
    ("동구", {"부산광역시", "대구광역시", "대전광역시", "울산광역시", "전남광주통합특별시"}),
    ("서구", {"부산광역시", "대구광역시", "대전광역시", "전남광주통합특별시"}),
])
def test_ambiguous_names_list_every_sido(text: str, sidos: set[str]) -> None:
    found = TABLE.resolve(text)
    assert found.ambiguous and found.settled is None
    assert {d.sido for d in found.districts} == sidos
    assert all(d.sigungu == text for d in found.districts)
    # 인천 has no 중구/동구/서구 any more: the answer says where they went.
    assert found.note is not None and found.note.startswith(f"인천광역시 {text}")


def test_a_city_with_districts_is_asked_which_district() -> None:
    assert names("수원시") == [f"경기도 수원시 {g}" for g in ("장안구", "권선구", "팔달구", "영통구")]
    assert len(TABLE.resolve("화성시").districts) == 4


@pytest.mark.parametrize(("text", "now", "note"), [
    ("인천 남구", ["인천광역시 미추홀구"], "인천광역시 남구는 지금 미추홀구예요."),
    ("인천 중구", ["인천광역시 제물포구", "인천광역시 영종구"], "인천광역시 중구는 지금 제물포구·영종구예요."),
    ("인천 동구", ["인천광역시 제물포구"], "인천광역시 동구는 지금 제물포구예요."),
    ("경북 군위군", ["대구광역시 군위군"], "경상북도 군위군은 지금 대구광역시 군위군이에요."),
    ("마산시", ["경상남도 창원시 마산합포구", "경상남도 창원시 마산회원구"], None),
    ("청원군", ["충청북도 청주시 청원구"], None),
    ("28170", ["인천광역시 미추홀구"], "인천광역시 남구는 지금 미추홀구예요."),  # the former code
])
def test_renamed_districts(text: str, now: list[str], note: str | None) -> None:
    found = TABLE.resolve(text)
    assert sorted(d.name for d in found.districts) == sorted(now)
    assert found.note is not None
    if note:
        assert found.note == note


@pytest.mark.parametrize(("text", "expected"), [
    ("강원도 춘천시", "강원특별자치도 춘천시"),          # 강원도 → 강원특별자치도
    ("42110", "강원특별자치도 춘천시"),                   # and its codes 42 → 51
    ("전라북도 전주시 완산구", "전북특별자치도 전주시 완산구"),
    ("45111", "전북특별자치도 전주시 완산구"),
    ("광주 서구", "전남광주통합특별시 서구"),             # the former 광역시's own districts
    ("광주광역시 광산구", "전남광주통합특별시 광산구"),
    ("29140", "전남광주통합특별시 서구"),
    ("전남 여수시", "전남광주통합특별시 여수시"),
])
def test_renamed_sido(text: str, expected: str) -> None:
    found = TABLE.resolve(text)
    assert found.settled is not None and found.settled.name == expected


def test_address_words_are_dropped_not_kept() -> None:
    found = TABLE.resolve("서울 강남구 역삼동 123-4")
    assert found.settled is not None and found.settled.code == "11680"
    assert "역삼" not in repr(found)


@pytest.mark.parametrize("text", ["역삼동", "강남군", "123", "아무데나", ""])
def test_unknown(text: str) -> None:
    assert TABLE.resolve(text).districts == ()


def test_a_sido_alone_lists_its_districts() -> None:
    assert len(TABLE.resolve("서울").districts) == 25
    assert len(TABLE.resolve("제주").districts) == 2
