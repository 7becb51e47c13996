"""The generic binding, without Kafka: routing, dead letters, retries, deadlines, in-order acks."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest

from streams import contracts as c
from streams.app import InOrderAcker
from streams.binding import MessageMeta, StageBinding
from streams.errors import InvalidImage, LLMUnavailable

META = MessageMeta(topic="q.gpt5", partition=2, offset=41, key=b"k")


def _prepared(seconds: float = 30) -> c.PreparedQuery:
    now = c.utcnow()
    env = c.Envelope(query_id=uuid.uuid4(), created_at=now, deadline=now + timedelta(seconds=seconds))
    return c.PreparedQuery(envelope=env, question="생수병", timings_ms={"preprocess": 3.0})


async def _analyse(msg: c.PreparedQuery) -> c.AnalysedQuery:
    return c.AnalysedQuery(envelope=msg.envelope, question=msg.question, analysis=c.VisionAnalysis(saw_image=False))


async def test_output_goes_to_next_topic_with_timings_carried() -> None:
    msg = _prepared()
    [out] = await StageBinding("gpt5", c.PreparedQuery, _analyse).process(msg.model_dump_json().encode(), META)
    assert out.topic == "rag" and out.key == str(msg.envelope.query_id).encode()
    sent = c.AnalysedQuery.model_validate_json(out.value)
    assert set(sent.timings_ms) == {"preprocess", "gpt5"}


async def test_undecodable_value_is_dead_lettered_with_failure_reply() -> None:
    qid = uuid.uuid4()
    binding = StageBinding("gpt5", c.PreparedQuery, _analyse)
    outs = await binding.process(b"\xff not json", MessageMeta("q.gpt5", 0, 7, str(qid).encode()))
    assert [o.topic for o in outs] == ["dead_letter", "reply"]
    dead = c.DeadLetter.model_validate_json(outs[0].value)
    assert dead.query_id == qid and dead.reason == "invalid_input" and dead.offset == 7
    assert "not json" in dead.payload
    assert c.parse_reply(outs[1].value).reason == "invalid_input"  # type: ignore[union-attr]


async def test_unreadable_id_still_dead_letters_without_reply() -> None:
    outs = await StageBinding("gpt5", c.PreparedQuery, _analyse).process(b"[]", MessageMeta("q.gpt5"))
    assert [o.topic for o in outs] == ["dead_letter"]


async def test_permanent_error_dead_letters_and_replies() -> None:
    async def broken(msg: c.PreparedQuery) -> c.AnalysedQuery:
        raise InvalidImage("truncated JPEG")

    msg = _prepared()
    outs = await StageBinding("preprocess", c.PreparedQuery, broken).process(msg.model_dump_json().encode(), META)
    failure = c.parse_reply(outs[1].value)
    assert isinstance(failure, c.Failure) and failure.reason == "invalid_image"
    assert "truncated" in failure.message
    assert json.loads(outs[0].value)["payload"] == msg.model_dump_json()


async def test_a_bug_is_dead_lettered_not_raised() -> None:
    async def buggy(msg: c.PreparedQuery) -> c.AnalysedQuery:
        raise KeyError("oops")

    outs = await StageBinding("rag", c.PreparedQuery, buggy).process(_prepared().model_dump_json().encode(), META)
    assert c.DeadLetter.model_validate_json(outs[0].value).reason == "internal"


async def test_transient_error_is_retried_then_succeeds() -> None:
    calls = {"n": 0}

    async def flaky(msg: c.PreparedQuery) -> c.AnalysedQuery:
        calls["n"] += 1
        if calls["n"] < 3:
            raise LLMUnavailable("429")
        return await _analyse(msg)

    binding = StageBinding("gpt5", c.PreparedQuery, flaky, max_backoff_s=0.01)
    [out] = await binding.process(_prepared().model_dump_json().encode(), META)
    assert out.topic == "rag" and calls["n"] == 3
    assert c.AnalysedQuery.model_validate_json(out.value).envelope.attempt == 2


async def test_transient_error_gives_up_at_the_deadline() -> None:
    async def down(msg: c.PreparedQuery) -> c.AnalysedQuery:
        raise LLMUnavailable("connection refused")

    binding = StageBinding("gpt5", c.PreparedQuery, down, max_backoff_s=0.05)
    [out] = await binding.process(_prepared(seconds=0.3).model_dump_json().encode(), META)
    failure = c.parse_reply(out.value)
    assert isinstance(failure, c.Failure) and failure.reason == "model_unavailable"


async def test_expired_message_is_not_processed() -> None:
    called = []

    async def handler(msg: c.PreparedQuery) -> c.AnalysedQuery:
        called.append(msg)
        return await _analyse(msg)

    [out] = await StageBinding("gpt5", c.PreparedQuery, handler).process(
        _prepared(seconds=-1).model_dump_json().encode(), META)
    assert called == [] and c.parse_reply(out.value).reason == "timeout"  # type: ignore[union-attr]


@pytest.mark.parametrize("finish_order", [[0, 1, 2, 3], [3, 2, 1, 0], [1, 3, 0, 2], [2, 0, 3, 1]])
def test_acker_never_acks_past_an_unfinished_offset(finish_order: list[int]) -> None:
    acker = InOrderAcker()
    slots = [acker.track("tp", offset) for offset in range(4)]
    acked: list[int] = []
    for n in finish_order:
        acked += acker.done("tp", slots[n])
        done = set(finish_order[: finish_order.index(n) + 1])
        # everything acked so far is a prefix made only of finished offsets
        assert acked == list(range(len(acked))) and set(acked) <= done
    assert acked == [0, 1, 2, 3] and acker.in_flight() == 0


def test_acker_keeps_partitions_apart() -> None:
    acker = InOrderAcker()
    a0, b0 = acker.track("a", "a0"), acker.track("b", "b0")
    a1 = acker.track("a", "a1")
    assert acker.done("a", a1) == [] and acker.done("b", b0) == ["b0"] and acker.done("a", a0) == ["a0", "a1"]


async def test_an_unroutable_result_is_dead_lettered() -> None:
    async def wrong(msg: c.PreparedQuery) -> c.PreparedQuery:
        return msg  # the stage's own input type: no topic takes it from this stage

    binding = StageBinding("gpt5", c.PreparedQuery, wrong)
    outs = await binding.process(_prepared().model_dump_json().encode(), META)
    assert [o.topic for o in outs] == ["dead_letter", "reply"]  # not back onto q.gpt5 (a loop)
    assert c.DeadLetter.model_validate_json(outs[0].value).reason == "internal"
