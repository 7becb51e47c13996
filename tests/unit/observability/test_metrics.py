"""Stage metrics: what a message made a stage produce, retries, in-flight, consumer lag."""

from __future__ import annotations

import asyncio
import uuid
from collections import namedtuple
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

from prometheus_client import REGISTRY

from streams import contracts as c
from streams.binding import MessageMeta, Outgoing, StageBinding
from streams.errors import LLMUnavailable
from streams.observability.metrics import record_outputs
from streams.observability.stage import observed
from streams.observability.worker import partition_lag


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def _env() -> c.Envelope:
    now = c.utcnow()
    return c.Envelope(query_id=uuid.uuid4(), created_at=now, deadline=now + timedelta(seconds=30))


def _answer(**kw: Any) -> c.Answer:
    return c.Answer(query_id=uuid.uuid4(), question="q", answer="a", item=None,
                    analysis=c.VisionAnalysis(saw_image=False), **kw)


def _usage(*calls: tuple[str, str, int]) -> c.Usage:
    usage = c.Usage()
    for stage, model, tokens in calls:
        usage = usage.add(c.ModelUsage(stage=stage, model=model, calls=1, input_tokens=tokens,
                                       output_tokens=tokens // 10, cost_usd=0.001))
    return usage


def test_answers_count_degraded_clarification_cache_hits_and_this_stages_model_usage() -> None:
    before = {k: value(k, stage="gpt4o") for k in ("bunri_answers_total", "bunri_degraded_answers_total",
                                                    "bunri_clarifications_total")}
    calls_before = value("bunri_model_calls_total", stage="gpt4o", model="m-answer")
    gpt5_calls_before = value("bunri_model_calls_total", stage="gpt5", model="m-vision")
    tokens_before = value("bunri_model_tokens_total", stage="gpt4o", model="m-answer", kind="input")
    answer = _answer(degraded=True, needs_clarification=True,
                     usage=_usage(("gpt5", "m-vision", 1000), ("gpt4o", "m-answer", 500)))
    record_outputs("gpt4o", [(Outgoing("reply", b"k", b""), answer)])
    assert value("bunri_answers_total", stage="gpt4o") == before["bunri_answers_total"] + 1
    assert value("bunri_degraded_answers_total", stage="gpt4o") == before["bunri_degraded_answers_total"] + 1
    assert value("bunri_clarifications_total", stage="gpt4o") == before["bunri_clarifications_total"] + 1
    assert value("bunri_model_calls_total", stage="gpt4o", model="m-answer") == calls_before + 1
    assert value("bunri_model_tokens_total", stage="gpt4o", model="m-answer", kind="input") == tokens_before + 500
    # the gpt5 call travels in the answer's usage but was counted by the gpt5 worker, not here
    assert value("bunri_model_calls_total", stage="gpt5", model="m-vision") == gpt5_calls_before


def test_dead_letters_failures_and_cache_hits_by_kind() -> None:
    qid = uuid.uuid4()
    dead = c.DeadLetter(query_id=qid, stage="preprocess", topic="q.preprocess", reason="invalid_image",
                        error="x", payload="{}")
    failure = c.Failure(query_id=qid, reason="invalid_image", message="bad", stage="preprocess")
    analysed = c.AnalysedQuery(envelope=_env(), question="q", analysis=c.VisionAnalysis(saw_image=True, method="cache"))
    d0 = value("bunri_dead_letters_total", stage="preprocess", reason="invalid_image")
    f0 = value("bunri_failures_total", stage="preprocess", reason="invalid_image")
    a0, h0 = value("bunri_cache_hits_total", cache="analysis"), value("bunri_cache_hits_total", cache="answer")
    record_outputs("preprocess", [(Outgoing("dead_letter", b"k", b""), dead), (Outgoing("reply", b"k", b""), failure)])
    record_outputs("gpt5", [(Outgoing("rag", b"k", b""), analysed)])
    record_outputs("preprocess", [(Outgoing("reply", b"k", b""), _answer(cache_hit=True))])
    assert value("bunri_dead_letters_total", stage="preprocess", reason="invalid_image") == d0 + 1
    assert value("bunri_failures_total", stage="preprocess", reason="invalid_image") == f0 + 1
    assert value("bunri_cache_hits_total", cache="analysis") == a0 + 1
    assert value("bunri_cache_hits_total", cache="answer") == h0 + 1


async def test_observed_times_counts_in_flight_retries_and_adds_events() -> None:
    attempts = []
    gate = asyncio.Event()

    async def flaky(msg: c.PreparedQuery) -> c.AnalysedQuery:
        attempts.append(1)
        if len(attempts) == 1:
            raise LLMUnavailable("429")
        await gate.wait()
        return c.AnalysedQuery(envelope=msg.envelope, question=msg.question, analysis=c.VisionAnalysis(saw_image=False))

    binding = StageBinding("gpt5", c.PreparedQuery, flaky, max_backoff_s=0.01)
    msg = c.PreparedQuery(envelope=_env(), question="생수병")
    count0 = value("bunri_stage_processing_seconds_count", stage="gpt5")
    retries0 = value("bunri_stage_retries_total", stage="gpt5")
    events0 = value("bunri_stage_outputs_total", stage="gpt5", kind="event")
    task = asyncio.create_task(observed(binding, msg.model_dump_json().encode(),
                                        MessageMeta("q.gpt5", 1, 7, str(msg.envelope.query_id).encode())))
    while len(attempts) < 2:
        await asyncio.sleep(0.01)
    assert value("bunri_stage_in_flight", stage="gpt5") >= 1
    gate.set()
    records = await task
    assert [r.topic for r in records] == ["events", "rag"]
    assert value("bunri_stage_in_flight", stage="gpt5") == 0
    assert value("bunri_stage_processing_seconds_count", stage="gpt5") == count0 + 1
    assert value("bunri_stage_retries_total", stage="gpt5") == retries0 + 1
    assert value("bunri_stage_outputs_total", stage="gpt5", kind="event") == events0 + 1


TP = namedtuple("TP", "topic partition")  # faust's TP is a NamedTuple of these two


class _State:
    def __init__(self, position: int | None) -> None:
        self.has_valid_position = position is not None
        self.position = position


def test_partition_lag_is_highwater_minus_position() -> None:
    tps = [TP("q.rag", n) for n in range(4)]
    highwater = {0: 10, 1: 7, 2: None, 3: 5}
    states = {1: _State(4), 3: _State(None)}
    assignment = SimpleNamespace(state_value=lambda t: states.get(t.partition))
    aiokafka = SimpleNamespace(_subscription=SimpleNamespace(subscription=SimpleNamespace(assignment=assignment)))
    consumer = SimpleNamespace(
        _thread=SimpleNamespace(_ensure_consumer=lambda: aiokafka),
        assignment=lambda: tps, highwater=lambda t: highwater[t.partition],
        _read_offset={tps[0]: 6},  # the stream took offsets up to 6: 7, 8, 9 are left
    )
    assert partition_lag(consumer) == {("q.rag", 0): 3, ("q.rag", 1): 3}
