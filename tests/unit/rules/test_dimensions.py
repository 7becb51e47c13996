"""Case dimensions read from a question: material, size, amount, colour, coating."""

from __future__ import annotations

import pytest

from streams.rules.dimensions import read_dimensions
from streams.rules.text import normalize


@pytest.mark.parametrize(("question", "expected"), [
    ("금속 행거 버리려고요", {"material": "metal"}),
    ("원목 책상 어떻게 버려요", {"material": "wood"}),
    ("스텐 냄비", {"material": "metal"}),
    ("봉투에 안 들어가는 이불", {"size": "oversized"}),
    ("퀸 사이즈 매트리스 커버", {"size": "oversized"}),
    ("인테리어 공사하고 나온 타일 한 트럭", {"quantity": "bulk"}),
    ("초록색 페트병", {"colour": "coloured"}),
    ("투명 페트병", {"colour": "clear"}),
    ("코팅된 종이", {"material": "paper", "coated": True}),
    ("코팅 안 된 종이", {"material": "paper", "coated": False}),
    ("생수병 어떻게 버려요", {}),
    ("나무랑 쇠로 된 의자", {"material": "mixed"}),
])
def test_read(question: str, expected: dict) -> None:
    assert read_dimensions(normalize(question)) == expected


def test_state_carries_them_through_the_resolver(catalog) -> None:  # type: ignore[no-untyped-def]
    res = catalog.resolve("봉투에 안 들어가는 원목 행거")
    assert res.state.material == "wood" and res.state.size == "oversized"
