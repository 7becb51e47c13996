"""Issue 17 end to end: a region through the real pipeline (broker, four stages), the CLI and the gateway.

- ``--region 강남구`` on a detached-house PET question says Thursday, with the district's source;
- ``--region 중구`` asks which 시·도;
- with the fake MOIS API and a key, a district's official schedule is in the answer, and a second query for
  that district makes no API call (the per-district cache in the object store).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import pytest_asyncio
import uvicorn
from pydantic import SecretStr

from gateway.bus import KafkaRequestBus
from gateway.main import create_app
from streams import contracts as c
from streams.broker import free_port
from streams.cli.ask import ask_one
from streams.regions.fake import SAMPLE_ROWS, FakeMoisApi
from streams.runtime import running_stages
from streams.settings import STAGES, PublicDataSettings, Settings
from streams.store import make_store
from tests.integration.conftest import make_settings

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]


@pytest.fixture(scope="module")
def fake_api() -> Iterator[FakeMoisApi]:
    with FakeMoisApi(SAMPLE_ROWS, service_key="test-key") as api:
        yield api


class Pipeline:
    def __init__(self, settings: Settings, bus: KafkaRequestBus) -> None:
        self.settings, self.bus, self.store = settings, bus, make_store(settings)

    async def ask(self, question: str, region: str | None = None) -> c.Answer:
        reply = await ask_one(self.bus, self.store, self.settings, question, None, True, region=region)
        assert isinstance(reply, c.Answer), reply
        return reply


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def pipeline(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory,
                   fake_api: FakeMoisApi) -> AsyncIterator[Pipeline]:
    publicdata = PublicDataSettings(service_key=SecretStr("test-key"), base_url=fake_api.url)
    settings = make_settings(kafka_bootstrap, tmp_path_factory.mktemp("data"), publicdata=publicdata)
    async with running_stages(settings, list(STAGES)):
        bus = KafkaRequestBus(settings)
        await bus.start()
        try:
            yield Pipeline(settings, bus)
        finally:
            await bus.stop()


async def test_gangnam_detached_pet_is_thursday_with_its_source(pipeline: Pipeline) -> None:
    reply = await pipeline.ask("단독주택인데 투명 페트병 언제 내요?", region="강남구")
    assert reply.region == c.RegionRef(code="11680", sido="서울특별시", sigungu="강남구")
    lines = reply.answer.splitlines()
    assert "목요일" in lines[1] and lines[1].startswith("강남구 단독주택")
    assert lines[-1].startswith("출처:") and "강남구" in lines[-1]
    assert any(r.rule_id == "region:11680:pet_vinyl_thursday" and r.sources[0].key == "GANGNAM"
               for r in reply.rules)


async def test_an_ambiguous_region_asks_which_sido(pipeline: Pipeline) -> None:
    reply = await pipeline.ask("단독주택인데 투명 페트병 언제 내요?", region="중구")
    assert reply.needs_clarification and reply.clarification is not None
    assert "어느 시·도의 중구인가요?" in reply.answer and "서울특별시" in reply.answer
    assert {r.sido for r in reply.clarification.regions} >= {"서울특별시", "부산광역시", "대구광역시"}


async def test_official_schedule_then_the_cache(pipeline: Pipeline, fake_api: FakeMoisApi) -> None:
    before = len(fake_api.requests)
    first = await pipeline.ask("우유팩 어떻게 버려요?", region="마포구")
    assert "마포구 재활용품: 월·수·금 18:00~24:00" in first.answer and "행정안전부" in first.answer
    assert len(fake_api.requests) == before + 1
    second = await pipeline.ask("음료캔 어떻게 버려요?", region="서울 마포구")  # another item, same district
    assert "마포구 재활용품: 월·수·금" in second.answer and not second.cache_hit
    assert len(fake_api.requests) == before + 1  # no API call: the district came from the cache


async def test_a_region_in_the_question(pipeline: Pipeline) -> None:
    reply = await pipeline.ask("강남구 사는데 우유팩 어떻게 버려요?")
    assert reply.region is not None and reply.region.code == "11680" and reply.region.given == "question"
    assert reply.answer.splitlines()[1].startswith("강남구")


async def test_the_gateway_s_region_field(pipeline: Pipeline) -> None:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(pipeline.settings, bus=pipeline.bus), host="127.0.0.1",
                                           port=port, log_level="warning"))
    serving = asyncio.create_task(server.serve())
    try:
        while not server.started:
            await asyncio.sleep(0.02)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            said = {"question": "과자 봉지 어떻게 버려요?", "region": "대구 중구"}
            resp = await client.post("/v1/queries", json=said)
            form = await client.post("/v1/queries", data={"question": "우유팩", "region": "동구"})
    finally:
        server.should_exit = True
        await serving
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["region"]["code"] == "27110" and "대구 중구는 비닐봉투를 색깔 있는 것과 무색인 것으로" in body["answer"]
    assert form.status_code == 200 and form.json()["needs_clarification"]
    assert "어느 시·도의 동구인가요?" in form.json()["answer"]
