"""The fake OpenAI-compatible server: valid outputs, faults, determinism, stats, CLI."""

from __future__ import annotations

import argparse
import random
from dataclasses import replace
from types import SimpleNamespace

import pytest
from openai import AsyncOpenAI

from streams.errors import LLMRejected, LLMUnavailable
from streams.fakellm import FakeLLMConfig, FakeLLMServer, _State, parse_range
from streams.fakellm_content import fill_schema
from streams.llm.base import ChatRequest, ImagePart, TextPart
from streams.llm.openai_compat import OpenAICompatibleModel
from streams.llm.schema import strict_json_schema
from streams.stages.gpt5_prompt import VisionOutput, catalogue_listing, question_block, system_prompt

FAST = {"vision_latency": (0.0, 0.0), "answer_latency": (0.0, 0.0)}
CATALOG = SimpleNamespace(items={
    "water_pet_bottle": SimpleNamespace(name="생수병", official_category="무색페트병"),
    "tuna_can": SimpleNamespace(name="참치캔", official_category="금속류"),
    "snack_bag": SimpleNamespace(name="과자봉지", official_category="비닐류"),
})


def vision_request(question: str, timeout_s: float = 5.0) -> ChatRequest:
    return ChatRequest(system=system_prompt(catalogue_listing(CATALOG)),
                       parts=(TextPart(question_block(question)), ImagePart.from_bytes(b"\xff\xd8jpeg")),
                       max_output_tokens=500, timeout_s=timeout_s)


def model(server: FakeLLMServer, name: str = "gpt-5", retries: int = 0,
          timeout: float = 5.0) -> OpenAICompatibleModel:
    client = AsyncOpenAI(api_key="x", base_url=server.base_url, max_retries=retries, timeout=timeout)
    return OpenAICompatibleModel(name, client=client)


@pytest.fixture(scope="module")
def server():
    with FakeLLMServer(FakeLLMConfig(**FAST)) as srv:
        yield srv


async def test_vision_output_is_valid_and_picks_named_items(server: FakeLLMServer) -> None:
    result = await model(server).complete(
        replace(vision_request("참치캔이랑 생수병 버리는 법"), output_type=VisionOutput))
    out = result.parsed
    assert isinstance(out, VisionOutput)
    assert [i.item_id for i in out.items] == ["tuna_can", "water_pet_bottle"]
    assert out.items[0].official_category == "금속류" and out.confidence > 0.5
    assert result.usage.input_tokens > 0 and result.usage.output_tokens > 0


async def test_answer_mentions_each_category(server: FakeLLMServer) -> None:
    prompt = ("<items>\n1. 품목: 생수병 | 분류: 무색페트병 | 재활용: 예 | 배출: 투명 페트병 수거함\n"
              "2. 품목: 영수증 | 분류: 일반종량제폐기물 | 재활용: 아니오\n</items>\n"
              "<rules>\n- 라벨을 뗍니다.\n</rules>")
    result = await model(server, "gpt-4o-mini").complete(ChatRequest(system="s", parts=(TextPart(prompt),)))
    for expected in ("무색페트병", "일반종량제폐기물", "라벨을 뗍니다"):
        assert expected in result.text


async def test_max_tokens_is_refused_for_gpt5_like_openai(server: FakeLLMServer) -> None:
    legacy = OpenAICompatibleModel("gpt-5", client=model(server)._client, limit_param="max_tokens")
    with pytest.raises(LLMRejected, match="400"):
        await legacy.complete(ChatRequest(system="s", parts=(TextPart("q"),), max_output_tokens=10))


async def test_models_and_stats_endpoints(server: FakeLLMServer) -> None:
    client = AsyncOpenAI(api_key="x", base_url=server.base_url, max_retries=0)
    names = [m.id async for m in client.models.list()]
    assert "gpt-5" in names and "gpt-4o-mini" in names
    stats = server.stats()
    assert stats["calls"].get("gpt-5", 0) >= 1 and stats["total"] == sum(stats["calls"].values())


@pytest.mark.parametrize(("fault", "match"), [("429", "HTTP 429"), ("500", "HTTP 500"),
                                                 ("timeout", "timed out|no reply")])
async def test_faults_become_transient_errors(fault: str, match: str) -> None:
    config = FakeLLMConfig(**FAST, fault_rate=1.0, faults=(fault,), retry_after_s=2, timeout_sleep_s=0.4)
    with FakeLLMServer(config) as srv:
        with pytest.raises(LLMUnavailable, match=match) as info:
            # only the timeout fault needs a short deadline; a busy machine may take 0.1 s to answer a 429
            await model(srv).complete(vision_request("생수병", timeout_s=0.1 if fault == "timeout" else 5.0))
        assert srv.stats()["faults"] == {fault: 1}
    if fault == "429":
        assert info.value.retry_after == 2.0


async def test_malformed_fault_is_invalid_json() -> None:
    with FakeLLMServer(FakeLLMConfig(**FAST, fault_rate=1.0, faults=("malformed",))) as srv:
        request = replace(vision_request("생수병"), output_type=VisionOutput)
        result = await model(srv).complete(request)
    assert result.parsed is None and result.error


async def test_truncated_utf8_fault_is_a_transient_model_error() -> None:
    with FakeLLMServer(FakeLLMConfig(**FAST, fault_rate=1.0, faults=("truncated_utf8",))) as srv:
        with pytest.raises(LLMUnavailable, match="unreadable"):
            await model(srv).complete(vision_request("생수병"))


def test_draws_are_deterministic_with_a_seed() -> None:
    config = FakeLLMConfig(vision_latency=(3, 5), answer_latency=(1, 2), fault_rate=0.3, seed=42)
    states = [_State(config, random.Random(42)) for _ in range(2)]  # noqa: S311
    runs = [[state.draw(i % 2 == 0) for i in range(20)] for state in states]
    assert runs[0] == runs[1]
    assert all(3 <= lat <= 5 for lat, _ in runs[0][::2]) and all(1 <= lat <= 2 for lat, _ in runs[0][1::2])
    assert {f for _, f in runs[0]} - {None} <= {"429", "500", "timeout", "malformed"}


def test_fill_schema_is_valid_for_any_strict_schema() -> None:
    value = fill_schema(strict_json_schema(VisionOutput))
    VisionOutput.model_validate(value)


def test_cli_parses_into_a_config() -> None:
    from streams.cli.fakellm_cmd import add_parser, config_from_args

    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers())
    args = parser.parse_args(["fake-llm", "--port", "9200", "--vision-latency", "0.1-0.2",
                              "--fault-rate", "0.2", "--faults", "429,timeout", "--seed", "7"])
    config = config_from_args(args)
    assert args.port == 9200 and callable(args.func)
    assert config.vision_latency == (0.1, 0.2) and config.answer_latency == (1.0, 2.0)
    assert config.faults == ("429", "timeout") and config.seed == 7 and config.fault_rate == 0.2
    assert parse_range("2") == (2.0, 2.0)
    with pytest.raises(ValueError):
        FakeLLMConfig(faults=("boom",))


async def test_trace_sums_the_time_spent_per_mark() -> None:
    import httpx

    with FakeLLMServer(FakeLLMConfig(vision_latency=(0.05, 0.05), answer_latency=(0.0, 0.0), trace=r"bq\d+")) as server:
        for question in ("생수병 bq1", "생수병 bq1", "참치캔 bq2"):
            await model(server).complete(vision_request(question))
        async with httpx.AsyncClient() as client:
            traced = (await client.get(f"http://{server.host}:{server.port}/_trace")).json()
    assert set(traced) == {"bq1", "bq2"}
    assert traced["bq1"] >= 0.1 and 0.05 <= traced["bq2"] < traced["bq1"]
