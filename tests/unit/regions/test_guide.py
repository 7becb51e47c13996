"""The per-district cache, the file-backed guide, choosing a guide, and the schedule line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import SecretStr

from streams.cache import Cache
from streams.regions.fake import FakeMoisApi
from streams.regions.guide import CachedGuide, FileGuide, RegionalDataError, make_guide, rows_of
from streams.regions.mois import MoisClient
from streams.regions.schedule import DistrictData, describe, from_rows
from streams.regions.table import district_table
from streams.settings import CacheSettings, PublicDataSettings
from streams.store import LocalStore
from tests.unit.regions.conftest import row

TABLE = district_table()
MAPO, GANGNAM = TABLE.get("11440"), TABLE.get("11680")


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def cached(api: FakeMoisApi, tmp_path: Path, clock: Clock, ttl_s: int = 3600) -> CachedGuide:
    inner = MoisClient(service_key="test-key", base_url=api.url)
    return CachedGuide(inner, Cache(LocalStore(tmp_path), CacheSettings(ttl_s=ttl_s), clock=clock))


async def test_the_second_lookup_of_a_district_makes_no_call(fake_api: FakeMoisApi, tmp_path: Path) -> None:
    clock = Clock()
    guide = cached(fake_api, tmp_path, clock)
    first = await guide.district(MAPO, budget_s=5)
    assert first is not None and len(fake_api.requests) == 1
    # A new guide on the same store (another worker, a restart) reads the same entry.
    second = await cached(fake_api, tmp_path, clock).district(MAPO, budget_s=5)
    assert second == first and len(fake_api.requests) == 1
    stored = list((tmp_path / "cache" / "regions").glob("*.json"))
    assert len(stored) == 1
    assert "가동" not in stored[0].read_text(encoding="utf-8")  # the zones' dong lists are not kept


async def test_the_cache_expires_after_its_ttl(fake_api: FakeMoisApi, tmp_path: Path) -> None:
    clock = Clock()
    guide = cached(fake_api, tmp_path, clock, ttl_s=60)
    await guide.district(MAPO, budget_s=5)
    clock.now += 61
    await guide.district(MAPO, budget_s=5)
    assert len(fake_api.requests) == 2


async def test_no_data_is_cached_and_a_failure_is_not(fake_api: FakeMoisApi, tmp_path: Path) -> None:
    guide = cached(fake_api, tmp_path, Clock())
    assert await guide.district(GANGNAM, budget_s=5) is None
    assert await guide.district(GANGNAM, budget_s=5) is None
    assert len(fake_api.requests) == 1
    fake_api.faults.append("xml:30")
    with pytest.raises(RegionalDataError):
        await guide.district(MAPO, budget_s=5)
    assert await guide.district(MAPO, budget_s=5) is not None
    assert len(fake_api.requests) == 3


async def test_file_guide_reads_the_api_shape(tmp_path: Path) -> None:
    page = {"response": {"header": {"resultCode": "00"},
                         "body": {"totalCount": 2, "items": {"item": [row("서울특별시", "마포구"),
                                                                      row("서울특별시", "강남구")]}}}}
    path = tmp_path / "rows.json"
    path.write_text(json.dumps(page, ensure_ascii=False), encoding="utf-8")
    guide = FileGuide(path)
    data = await guide.district(MAPO, budget_s=1)
    assert data is not None and data.code == "11440" and len(data.zones) == 1
    assert await guide.district(TABLE.get("11110"), budget_s=1) is None


def test_rows_of_accepts_a_single_row_and_no_rows() -> None:
    one = {"response": {"body": {"items": {"item": row("서울특별시", "마포구")}}}}
    assert len(rows_of(one)) == 1
    assert rows_of({"response": {"body": {"items": ""}}}) == []
    assert len(rows_of([row("서울특별시", "마포구")])) == 1


def test_make_guide_file_then_key_then_none(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    (tmp_path / "rows.json").write_text("[]", encoding="utf-8")
    assert isinstance(make_guide(PublicDataSettings(file=tmp_path / "rows.json"), store), FileGuide)
    keyed = make_guide(PublicDataSettings(service_key=SecretStr("k")), store)
    assert isinstance(keyed, CachedGuide) and isinstance(keyed.inner, MoisClient)
    assert isinstance(make_guide(PublicDataSettings(service_key=SecretStr("k"), cache_ttl_s=0), store), MoisClient)
    assert make_guide(PublicDataSettings(), store) is None
    assert make_guide(PublicDataSettings(service_key=SecretStr("  ")), store) is None


def test_rows_are_matched_by_sido_even_under_a_former_name() -> None:
    chuncheon = TABLE.get("51110")
    data = from_rows([row("강원도", "춘천시"), row("서울특별시", "춘천시")], chuncheon)
    assert len(data.zones) == 1
    sejong = from_rows([row("세종특별자치시", "세종특별자치시")], TABLE.get("36110"))
    assert len(sejong.zones) == 1


def test_a_city_level_row_serves_its_districts_only_without_their_own() -> None:
    yeongtong = TABLE.get("41117")
    city = row("경기도", "수원시", recycle=("월요일", "18:00", "24:00", ""))
    own = row("경기도", "수원시 영통구", recycle=("목요일", "18:00", "24:00", ""))
    assert from_rows([city], yeongtong).zones[0].streams["recycle"].days == "월요일"
    assert [z.streams["recycle"].days for z in from_rows([city, own], yeongtong).zones] == ["목요일"]


def test_the_line_for_a_stream() -> None:
    data = from_rows([row("서울특별시", "마포구", recycle=("월요일, 수요일+금요일", "1800", "0000", "투명 봉투에 담아"),
                          general=("일요일", "18:00", "24:00", ""))], MAPO)
    line = describe(data, MAPO, "recycle")
    assert line == ("마포구 재활용품: 월·수·금 18:00~24:00, 문전수거 집 앞 (투명 봉투에 담아), 수거 없는 날 토요일 "
                    "(행정안전부 생활쓰레기배출정보).")
    assert describe(data, MAPO, "food") is None  # no food-waste data: the caller points to the portal


def test_zones_that_differ_are_said_to_differ() -> None:
    rows = [row("서울특별시", "마포구", recycle=(d, "18:00", "24:00", "")) for d in ("월요일", "화요일", "수요일")]
    line = describe(from_rows(rows, MAPO), MAPO, "recycle")
    assert line is not None and "구역마다 달라요" in line and "월 18:00~24:00" in line and "외 1가지" in line


def test_district_data_round_trips_through_the_cache_form() -> None:
    data = from_rows([row("서울특별시", "마포구")], MAPO)
    assert DistrictData.model_validate(json.loads(data.model_dump_json())) == data
