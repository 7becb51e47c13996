"""Deadline-aware model calls: no call that cannot finish; a deadline is a timeout, never a dead letter."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from streams import contracts as c
from streams.binding import MessageMeta, StageBinding
from streams.errors import LLMUnavailable, PermanentError
from streams.llm.fake import FakeModel, sequence
from streams.llm.latency import LatencyTracker, TimedModel
from streams.llm.pricing import load_prices
from streams.stages.gpt4o import WARN_NO_TIME, answer
from streams.stages.gpt5 import DeadlineTooClose, analyse
from tests.unit.stages.conftest import guidance, prepared, rule_context
from tests.unit.stages.test_gpt5 import PET, output


class TestTracker:
    def test_estimate_is_the_recent_90th_percentile(self) -> None:
        t = LatencyTracker(window=10)
        assert t.estimate() is None and t.min_budget(1.0) == 1.0
        for s in (0.5,) * 9 + (4.0,):
            t.record(s)
        assert t.estimate() == 4.0 and t.min_budget(1.0) == 4.0
        for _ in range(10):
            t.record(0.2)  # the window moves on
        assert t.min_budget(1.0) == 1.0 and t.min_budget(0.0) == 0.0

    async def test_timed_model_records_successful_calls_only(self) -> None:
        t = LatencyTracker()
        model = TimedModel(FakeModel(sequence(["ok", LLMUnavailable("down")])), t)
        await model.complete(c_request())
        with pytest.raises(LLMUnavailable):
            await model.complete(c_request())
        assert len(t._recent) == 1  # noqa: SLF001


def c_request() -> Any:
    from streams.llm.base import ChatRequest, TextPart

    return ChatRequest(system="s", parts=(TextPart("q"),), max_output_tokens=16, timeout_s=1.0)


def slow(seconds: float) -> LatencyTracker:
    t = LatencyTracker()
    t.record(seconds)
    return t


@pytest.fixture
def gpt5(catalog, store, cache, gpt5_settings, offline):
    async def _run(msg: c.PreparedQuery, model: Any, **kw: Any) -> c.AnalysedQuery:
        return await analyse(msg, vision=model, catalog=catalog, store=store, cache=cache, settings=gpt5_settings,
                             prices=load_prices(""), **kw)
    return _run


class TestGpt5:
    async def test_no_call_when_the_model_is_slower_than_the_time_left(self, gpt5) -> None:
        model = FakeModel(sequence([]))  # any call fails the test
        with pytest.raises(DeadlineTooClose):
            await gpt5(prepared("이거 뭐예요?", seconds=8.0), model, latency=slow(6.0))  # 8 - 2 reserve < 6
        assert model.requests == []

    async def test_a_call_is_made_when_it_can_finish(self, gpt5) -> None:
        model = FakeModel(sequence([output(PET)]))
        out = await gpt5(prepared("이거 뭐예요?", seconds=12.0), model, latency=slow(6.0))
        assert len(model.requests) == 1 and not out.degraded

    async def test_question_naming_the_item_degrades_instead(self, gpt5) -> None:
        model = FakeModel(sequence([]))
        out = await gpt5(prepared("생수병 어떻게 버려요?", seconds=1.0), model)  # below the 1 s floor
        assert out.degraded and model.requests == []

    async def test_a_call_that_ran_out_of_time_is_a_timeout_not_model_unavailable(self, gpt5) -> None:
        msg = prepared("이거 뭐예요?", seconds=10.0)
        times = iter([c.utcnow(), msg.envelope.deadline - timedelta(seconds=0.3)])  # the call took 9.7 s
        model = FakeModel(sequence([LLMUnavailable("gpt-5: no reply within 7.5s")]))
        with pytest.raises(DeadlineTooClose, match="no reply"):
            await gpt5(msg, model, latency=LatencyTracker(), clock=lambda: next(times))
        assert len(model.requests) == 1

    async def test_an_outage_with_time_left_is_still_model_unavailable(self, gpt5) -> None:
        model = FakeModel(sequence([LLMUnavailable("gpt-5: 503")]))
        with pytest.raises(PermanentError) as caught:
            await gpt5(prepared("이거 뭐예요?"), model, latency=LatencyTracker())
        assert caught.value.reason == "model_unavailable"

    async def test_the_binding_makes_it_a_timeout_failure_without_dead_letter(self, gpt5) -> None:
        async def handler(msg: c.PreparedQuery) -> c.AnalysedQuery:
            return await gpt5(msg, FakeModel(sequence([])), latency=slow(40.0))

        binding = StageBinding("gpt5", c.PreparedQuery, handler)
        out = await binding.process(prepared("이거 뭐예요?").model_dump_json().encode(), MessageMeta("q.gpt5"))
        assert [o.topic for o in out] == ["reply"]
        failure = c.Failure.model_validate_json(out[0].value)
        assert failure.reason == "timeout" and "too little" in failure.message


class TestGpt4o:
    async def test_degrades_at_once_when_too_little_time_is_left(self, cache, gpt4o_settings, offline) -> None:
        ctx = rule_context("생수병", [guidance("water_pet_bottle", "생수병", "무색페트병")])
        writer = FakeModel(sequence([]))
        out = await answer(ctx, writer=writer, cache=cache, settings=gpt4o_settings, latency=slow(40.0))
        assert out.degraded and WARN_NO_TIME in out.warnings and writer.requests == []

    async def test_calls_the_model_with_enough_time(self, cache, gpt4o_settings, offline) -> None:
        ctx = rule_context("생수병", [guidance("water_pet_bottle", "생수병", "무색페트병")])
        writer = FakeModel(sequence(["생수병은 무색페트병으로 버립니다."]))
        await answer(ctx, writer=writer, cache=cache, settings=gpt4o_settings, latency=slow(2.0))
        assert len(writer.requests) == 1 and writer.requests[0].timeout_s <= 30.0
