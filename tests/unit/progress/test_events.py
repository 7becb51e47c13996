"""Progress events from what a stage produced: one per step, each in front of the record it describes."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from pydantic import BaseModel

from streams import contracts as c
from streams.binding import MessageMeta, Outgoing, StageBinding
from streams.errors import InvalidImage
from streams.progress import accepted_event, decode_records, with_progress


def _env(**kw: Any) -> c.Envelope:
    now = c.utcnow() - timedelta(milliseconds=40)
    return c.Envelope(query_id=uuid.uuid4(), created_at=now, deadline=now + timedelta(seconds=30), **kw)


def _analysis(needs: bool = False) -> c.VisionAnalysis:
    return c.VisionAnalysis(saw_image=False, method="text", confidence=0.8, needs_clarification=needs,
                            items=[c.DetectedItem(item_id="milk_carton", name="우유팩", official_category="종이팩",
                                                  confidence=0.8)])


async def _run(stage: str, in_model: type[BaseModel], msg: BaseModel, handler: Any) -> list[Outgoing]:
    binding = StageBinding(stage, in_model, handler)
    out = await binding.process(msg.model_dump_json().encode(), MessageMeta(f"q.{stage}", 0, 5, b"k"))
    return with_progress(stage, decode_records(out))


def _events(records: list[Outgoing]) -> list[c.ProgressEvent]:
    return [c.ProgressEvent.model_validate_json(r.value) for r in records if r.topic == "events"]


async def test_preprocess_output_is_preceded_by_preprocessed() -> None:
    req = c.QueryRequest(envelope=_env(), question="우유팩")

    async def prepare(msg: c.QueryRequest) -> c.PreparedQuery:
        return c.PreparedQuery(envelope=msg.envelope, question=msg.question)

    records = await _run("preprocess", c.QueryRequest, req, prepare)
    assert [r.topic for r in records] == ["events", "gpt5"]
    [event] = _events(records)
    assert event.event == "preprocessed" and event.cache_hit is False and event.has_image is False
    assert event.query_id == req.envelope.query_id and records[0].key == str(event.query_id).encode()
    assert event.elapsed_ms is not None and event.elapsed_ms >= 40


async def test_cache_hit_answer_gives_preprocessed_then_answer() -> None:
    req = c.QueryRequest(envelope=_env(), question="우유팩")

    async def cached(msg: c.QueryRequest) -> c.Answer:
        return c.Answer(query_id=msg.envelope.query_id, question=msg.question, answer="종이팩으로", item=None,
                        analysis=_analysis(), cache_hit=True)

    records = await _run("preprocess", c.QueryRequest, req, cached)
    assert [r.topic for r in records] == ["events", "events", "reply"]
    pre, ans = _events(records)
    assert (pre.event, pre.cache_hit) == ("preprocessed", True)
    assert ans.event == "answer" and ans.answer is not None and ans.answer.answer == "종이팩으로"


async def test_analysed_carries_the_item_guess_before_the_rules() -> None:
    msg = c.PreparedQuery(envelope=_env(), question="우유팩")

    async def analyse(m: c.PreparedQuery) -> c.AnalysedQuery:
        return c.AnalysedQuery(envelope=m.envelope, question=m.question, analysis=_analysis())

    records = await _run("gpt5", c.PreparedQuery, msg, analyse)
    assert [r.topic for r in records] == ["events", "rag"]
    [event] = _events(records)
    assert event.event == "analysed" and event.method == "text" and event.confidence == 0.8
    assert [(i.name, i.official_category) for i in event.items] == [("우유팩", "종이팩")]


async def test_rules_event_counts_the_rules() -> None:
    msg = c.AnalysedQuery(envelope=_env(), question="우유팩", analysis=_analysis())
    rule = c.RuleUsed(item_id="milk_carton", rule_id="milk_carton:step:1", kind="step", text="헹궈요")

    async def lookup(m: c.AnalysedQuery) -> c.RuleContext:
        g = c.ItemGuidance(item_id="milk_carton", name="우유팩", official_category="종이팩", rules=[rule, rule])
        return c.RuleContext(envelope=m.envelope, question=m.question, analysis=m.analysis, guidance=[g])

    [event] = _events(await _run("rag", c.AnalysedQuery, msg, lookup))
    assert event.event == "rules" and event.rules_count == 2 and event.items[0].official_category == "종이팩"


async def test_permanent_error_gives_a_failure_event_before_the_reply() -> None:
    msg = c.PreparedQuery(envelope=_env(), question="사진")

    async def broken(m: c.PreparedQuery) -> c.AnalysedQuery:
        raise InvalidImage("truncated JPEG")

    records = await _run("gpt5", c.PreparedQuery, msg, broken)
    assert [r.topic for r in records] == ["dead_letter", "events", "reply"]
    [event] = _events(records)
    assert event.event == "failure" and event.failure is not None and event.failure.reason == "invalid_image"


async def test_expired_query_gives_a_timeout_failure_event() -> None:
    now = c.utcnow()
    env = c.Envelope(query_id=uuid.uuid4(), created_at=now - timedelta(seconds=40), deadline=now - timedelta(seconds=1))
    records = await _run("gpt5", c.PreparedQuery, c.PreparedQuery(envelope=env, question="q"), None)
    [event] = _events(records)
    assert event.event == "failure" and event.failure.reason == "timeout"  # type: ignore[union-attr]


def test_undecodable_records_pass_through_without_events() -> None:
    raw = Outgoing("gpt5", b"k", b"not json")
    decoded = decode_records([raw])
    assert decoded == [(raw, None)]
    assert with_progress("preprocess", decoded) == [raw]


@pytest.mark.parametrize("has_image", [True, False])
def test_accepted_event(has_image: bool) -> None:
    qid = uuid.uuid4()
    event = accepted_event(qid, has_image=has_image)
    assert (event.event, event.stage, event.has_image, event.elapsed_ms) == ("accepted", "gateway", has_image, 0.0)
    assert c.ProgressEvent.model_validate_json(event.model_dump_json()) == event
