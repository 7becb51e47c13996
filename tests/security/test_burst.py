"""Against the real pipeline (broker, four stages, the fake model, two gateway replicas with keys on):
a burst over a key's limit is refused in milliseconds and costs no model call; another key cannot read
a query on either replica."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from pydantic import SecretStr

from gateway.auth.keys import create_key
from streams.fakellm import FakeLLMConfig, FakeLLMServer
from streams.runtime import running_stages
from streams.settings import STAGES
from streams.settings_security import AuthSettings, LimitSettings
from tests.integration.conftest import make_settings, serve_gateway

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]

LIMIT = 5  # requests per minute for the burst key


@dataclass
class Keyed:
    replicas: list[str]
    llm: FakeLLMServer
    burst: dict[str, str]  # headers of the key limited to LIMIT rpm
    first: dict[str, str]
    second: dict[str, str]




@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def keyed(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Keyed]:
    work = tmp_path_factory.mktemp("keyed")
    keys = work / "keys.json"
    _, burst = create_key(keys, "burst", rpm=LIMIT)
    _, first = create_key(keys, "first")
    _, second = create_key(keys, "second")
    with FakeLLMServer(FakeLLMConfig(vision_latency=(0, 0), answer_latency=(0, 0), seed=3)) as llm:
        settings = make_settings(kafka_bootstrap, work / "data", openai_api_key=SecretStr("fake"),
                                 openai_base_url=llm.base_url, query_timeout_s=30.0,
                                 auth=AuthSettings(enabled=True, keys_file=keys),
                                 limits=LimitSettings(rpm_per_key=100, inflight_per_key=300))
        async with running_stages(settings, list(STAGES)):
            gateways = [await serve_gateway(settings), await serve_gateway(settings)]
            try:
                yield Keyed([u for _, _, u in gateways], llm, {"Authorization": f"Bearer {burst}"},
                            {"X-API-Key": first}, {"X-API-Key": second})
            finally:
                for server, task, _ in gateways:
                    server.should_exit = True
                    await task


async def test_a_burst_over_the_limit_is_429_in_milliseconds_and_costs_no_model_call(keyed: Keyed) -> None:
    url = keyed.replicas[0]
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        for n in range(LIMIT):  # the allowed ones, answered (each calls the model)
            resp = await client.post("/v1/queries?wait=30", json={"question": f"모니터 {n}번째는 어떻게 버려요?"},
                                     headers=keyed.burst)
            assert resp.status_code == 200, resp.text
        await asyncio.sleep(0.5)
        before = keyed.llm.stats()["total"]
        assert before > 0

        async def one(n: int) -> tuple[int, float, httpx.Response]:
            started = time.perf_counter()
            resp = await client.post("/v1/queries?wait=30", json={"question": f"버스트 {n} 냉장고"},
                                     headers=keyed.burst)
            return resp.status_code, (time.perf_counter() - started) * 1000, resp

        # One client, one keep-alive connection: the refusal itself, without connection set-up.
        sequential = [await one(n) for n in range(200)]
    # The same burst all at once (200 connections, one event loop shared with the client, both gateways
    # and all four stages): what a client sees when a misbehaving app floods the gateway.
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=httpx.Limits(max_connections=200)) as client:
        started = time.perf_counter()
        burst = await asyncio.gather(*(one(n) for n in range(200)))
        wall = (time.perf_counter() - started) * 1000
    for results in (sequential, burst):
        assert {s for s, _, _ in results} == {429}
        for _, _, resp in results[:3]:
            assert resp.json()["error"]["code"] == "rate_limited" and int(resp.headers["retry-after"]) >= 1
    await asyncio.sleep(1.0)  # anything that slipped through would have reached the model by now
    after = keyed.llm.stats()["total"]
    seq = sorted(ms for _, ms, _ in sequential)
    print(f"burst: 200 sequential 429s p50 {statistics.median(seq):.1f} ms p99 {seq[197]:.1f} ms; "  # noqa: T201
          f"200 concurrent 429s all within {wall:.0f} ms; model calls beyond the limit: {after - before}")
    assert after == before
    assert statistics.median(seq) < 20  # refused before the body is read, nothing awaited


async def test_another_key_cannot_read_a_query_on_either_replica(keyed: Keyed) -> None:
    a, b = keyed.replicas
    async with httpx.AsyncClient(timeout=30) as client:
        resp = await client.post(f"{a}/v1/queries?wait=30", json={"question": "우유팩 어떻게 버려요?"},
                                 headers=keyed.first)
        assert resp.status_code == 200, resp.text
        qid = resp.json()["query_id"]
        for url in (a, b):
            other = await client.get(f"{url}/v1/queries/{qid}", headers=keyed.second)
            assert other.status_code == 403 and "우유팩" not in other.text
            events = await client.get(f"{url}/v1/queries/{qid}/events", headers=keyed.second)
            assert events.status_code == 403
        mine = await client.get(f"{b}/v1/queries/{qid}", headers=keyed.first)  # the owner, on the other replica
        assert mine.status_code == 200 and mine.json()["question"] == "우유팩 어떻게 버려요?"


async def test_keys_are_required_through_the_real_server(keyed: Keyed, tmp_path: Path) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        resp = await client.post(f"{keyed.replicas[1]}/v1/queries", json={"question": "유리병"})
    assert resp.status_code == 401 and resp.json()["error"]["code"] == "missing_api_key"
