"""Fixtures for the regional tests: the real catalogue, the fake MOIS API on loopback, district rows."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from streams.regions.fake import FakeMoisApi
from streams.rules import RulesCatalog
from streams.settings import default_rules_dir


@pytest.fixture(scope="session")
def catalog() -> RulesCatalog:
    """The repository's real rules, district overrides included."""
    return RulesCatalog.load(default_rules_dir(), warm=False)


def row(sido: str, sigungu: str, *, recycle: tuple[str, str, str, str] = ("월요일, 수요일", "18:00", "24:00", "봉투"),
        general: tuple[str, str, str, str] | None = None, place: str = "집 앞", **extra: Any) -> dict[str, Any]:
    """One API row (the field names of the MOIS API) for a district's zone."""
    r: dict[str, Any] = {"CTPV_NM": sido, "SGG_NM": sigungu, "MNG_ZONE_NM": "1구역",
                         "MNG_ZONE_TRGT_RGN_NM": "가동+나동", "EMSN_PLC_TYPE": "문전수거", "EMSN_PLC_EXPLN": place,
                         "UNCLLT_DAY": "토요일",
                         "RCYCL_EMSN_DOW": recycle[0], "RCYCL_EMSN_BGNG_TM": recycle[1],
                         "RCYCL_EMSN_END_TM": recycle[2], "RCYCL_EMSN_MTHD": recycle[3],
                         "CHRG_DEPT_NM": "청소행정과", "CHRG_DEPT_TELNO": "02-000-0000"}
    if general:
        r |= {"LF_WST_EMSN_DOW": general[0], "LF_WST_EMSN_BGNG_TM": general[1], "LF_WST_EMSN_END_TM": general[2],
              "LF_WST_EMSN_MTHD": general[3]}
    return r | extra


@pytest.fixture
def fake_api() -> Iterator[FakeMoisApi]:
    """The fake API with a few districts' rows (and 중구 rows of two 시·도, for the LIKE filter)."""
    rows = [row("서울특별시", "마포구"), row("서울특별시", "중구", recycle=("화요일", "19:00", "21:00", "")),
            row("부산광역시", "중구", recycle=("수요일", "20:00", "24:00", "")),
            row("경기도", "수원시 영통구", recycle=("목요일", "19:00", "00:00", ""))]
    with FakeMoisApi(rows, service_key="test-key") as api:
        yield api
