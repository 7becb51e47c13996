"""The MOIS API client against the fake server on loopback: paging, the request, errors, retries, timeouts."""

from __future__ import annotations

import logging
import time

import pytest

from streams.regions.fake import FakeMoisApi
from streams.regions.guide import RegionalDataError
from streams.regions.mois import PAGE_SIZE, MoisClient
from streams.regions.table import district_table
from tests.unit.regions.conftest import row

TABLE = district_table()
MAPO, SEOUL_JUNGGU, YEONGTONG = TABLE.get("11440"), TABLE.get("11140"), TABLE.get("41117")


def client(api: FakeMoisApi, **kw: object) -> MoisClient:
    return MoisClient(service_key=kw.pop("key", "test-key"), base_url=api.url, **kw)  # type: ignore[arg-type]


async def test_one_district_over_several_pages() -> None:
    # 230 zones of 마포구 among 30 of another district that the LIKE filter also matches ("마포구청" …).
    days = ("월화수목금토일" * 33)[:230]
    rows = [row("서울특별시", "마포구", recycle=(f"{d}요일", "18:00", "24:00", "")) for d in days]
    rows += [row("경기도", "마포구청앞", place="elsewhere")] * 30
    with FakeMoisApi(rows) as api:
        data = await client(api).district(MAPO, budget_s=5)
    assert data is not None and len(data.zones) == 230
    assert [q["pageNo"] for q in api.requests] == ["1", "2", "3"]
    assert all(q["numOfRows"] == str(PAGE_SIZE) == "100" for q in api.requests)


async def test_the_request_has_the_api_s_parameters(fake_api: FakeMoisApi) -> None:
    await client(fake_api).district(YEONGTONG, budget_s=5)
    (query,) = fake_api.requests
    assert query["serviceKey"] == "test-key" and query["returnType"] == "json" and query["pageNo"] == "1"
    assert query["cond[SGG_NM::LIKE]"] == "수원시"  # the city: its rows may be filed under 수원시 or 수원시 영통구


async def test_only_the_district_s_rows_are_kept(fake_api: FakeMoisApi) -> None:
    data = await client(fake_api).district(SEOUL_JUNGGU, budget_s=5)  # LIKE 중구 also returns 부산 중구
    assert data is not None and len(data.zones) == 1
    assert data.zones[0].streams["recycle"].days == "화요일"


async def test_an_encoded_key_is_decoded_once(fake_api: FakeMoisApi) -> None:
    fake_api.service_key = "ab+c/d=="
    await client(fake_api, key="ab%2Bc%2Fd%3D%3D").district(MAPO, budget_s=5)
    assert fake_api.requests[0]["serviceKey"] == "ab+c/d=="


async def test_a_district_without_data_is_none(fake_api: FakeMoisApi) -> None:
    assert await client(fake_api).district(TABLE.get("11680"), budget_s=5) is None  # empty items ("")
    fake_api.faults.append("03")  # NODATA_ERROR
    assert await client(fake_api).district(MAPO, budget_s=5) is None


@pytest.mark.parametrize("fault", ["xml:30", "30", "22", 401, 403, 404])
async def test_a_refused_request_is_not_retried(fake_api: FakeMoisApi, fault: int | str) -> None:
    fake_api.faults.append(fault)
    with pytest.raises(RegionalDataError) as err:
        await client(fake_api).district(MAPO, budget_s=5)
    assert not err.value.transient and len(fake_api.requests) == 1


async def test_a_wrong_key_gets_the_gateway_s_xml_error(fake_api: FakeMoisApi) -> None:
    with pytest.raises(RegionalDataError, match="30") as err:
        await client(fake_api, key="wrong-key").district(MAPO, budget_s=5)
    assert "wrong-key" not in str(err.value)


@pytest.mark.parametrize("fault", [503, 500, 429, "99", "xml:05"])
async def test_a_transient_failure_is_retried(fake_api: FakeMoisApi, fault: int | str) -> None:
    fake_api.faults.append(fault)
    data = await client(fake_api).district(MAPO, budget_s=5)
    assert data is not None and len(fake_api.requests) == 2


async def test_retries_stop_at_max_retries(fake_api: FakeMoisApi) -> None:
    fake_api.faults.extend([503, 503, 503, 503])
    with pytest.raises(RegionalDataError, match="503") as err:
        await client(fake_api, max_retries=2).district(MAPO, budget_s=5)
    assert err.value.transient and len(fake_api.requests) == 3


async def test_a_slow_server_costs_at_most_the_budget(fake_api: FakeMoisApi) -> None:
    fake_api.delay_s = 3.0
    started = time.monotonic()
    with pytest.raises(RegionalDataError, match="timed out|time left"):
        await client(fake_api).district(MAPO, budget_s=0.6)
    assert time.monotonic() - started < 1.2


async def test_the_client_s_own_timeout_caps_a_long_budget(fake_api: FakeMoisApi) -> None:
    fake_api.delay_s = 3.0
    started = time.monotonic()
    with pytest.raises(RegionalDataError):
        await client(fake_api, timeout_s=0.5).district(MAPO, budget_s=30)
    assert time.monotonic() - started < 1.1


async def test_one_slow_answer_is_retried_within_the_budget(fake_api: FakeMoisApi) -> None:
    fake_api.faults.append(2.0)  # the first request hangs; the retry is answered at once
    started = time.monotonic()
    with pytest.raises(RegionalDataError):  # a single attempt may use the whole budget: nothing left to retry
        await client(fake_api).district(MAPO, budget_s=0.5)
    assert time.monotonic() - started < 1.0
    fake_api.faults.append(0.4)
    data = await client(fake_api, timeout_s=5).district(MAPO, budget_s=5)
    assert data is not None


async def test_the_key_never_reaches_the_logs(fake_api: FakeMoisApi, caplog: pytest.LogCaptureFixture) -> None:
    fake_api.service_key = "s3cret-key"
    with caplog.at_level(logging.DEBUG):
        await client(fake_api, key="s3cret-key").district(MAPO, budget_s=5)
        fake_api.faults.append(503)
        await client(fake_api, key="s3cret-key").district(MAPO, budget_s=5)
    assert caplog.records and any("serviceKey=***" in r.getMessage() for r in caplog.records)
    assert not any("s3cret" in r.getMessage() for r in caplog.records)
