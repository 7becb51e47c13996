"""Every reply says what produced it: prompts per model stage, the bunri version, and where it came from."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
from pydantic import SecretStr

from streams import __version__
from streams import contracts as c
from streams.binding import MessageMeta, StageBinding
from streams.errors import InvalidImage
from streams.settings import Settings
from streams.stages import gpt4o_prompt, gpt5_prompt
from streams.stages.variants import UnknownPromptVariant
from streams.wiring import Resources, build_bindings
from tests.unit.stages.conftest import FakeCatalog

ORIGINAL = uuid.uuid4()


def _env(seconds: float = 30) -> c.Envelope:
    now = c.utcnow()
    return c.Envelope(query_id=uuid.uuid4(), created_at=now - timedelta(seconds=1),
                      deadline=now + timedelta(seconds=seconds), replay_of=ORIGINAL)


def _meta(topic: str) -> MessageMeta:
    return MessageMeta(topic=topic, partition=0, offset=3)


async def _analyse(msg: c.PreparedQuery) -> c.AnalysedQuery:
    return c.AnalysedQuery(envelope=msg.envelope, question=msg.question, analysis=c.VisionAnalysis(saw_image=False))


async def _lookup(msg: c.AnalysedQuery) -> c.RuleContext:  # builds its output afresh, as the rag stage does
    return c.RuleContext(envelope=msg.envelope, question=msg.question, analysis=msg.analysis)


async def _answer(msg: c.RuleContext) -> c.Answer:
    return c.Answer(query_id=msg.envelope.query_id, question=msg.question, answer="답", item=None,
                    analysis=msg.analysis)


async def test_prompts_accumulate_stage_by_stage_and_the_answer_names_its_producer() -> None:
    env = _env()
    msg = c.PreparedQuery(envelope=env, question="생수병")
    [rag] = await StageBinding("gpt5", c.PreparedQuery, _analyse, prompt="gpt5-v1@aaaa").process(
        msg.model_dump_json().encode(), _meta("q.gpt5"))
    [ctx] = await StageBinding("rag", c.AnalysedQuery, _lookup).process(rag.value, _meta("q.rag"))
    assert json.loads(ctx.value)["prompts"] == {"gpt5": "gpt5-v1@aaaa"}
    [reply] = await StageBinding("gpt4o", c.RuleContext, _answer, prompt="gpt4o-v1+concise@bbbb").process(
        ctx.value, _meta("q.gpt4o"))
    out = c.parse_reply(reply.value)
    assert isinstance(out, c.Answer)
    assert out.prompts == {"gpt5": "gpt5-v1@aaaa", "gpt4o": "gpt4o-v1+concise@bbbb"}
    assert out.bunri_version == __version__ and __version__ not in ("", "0+unknown")
    assert out.accepted_at == env.created_at and out.replay_of == ORIGINAL


async def test_failures_name_their_producer_too() -> None:
    expired = c.PreparedQuery(envelope=_env(seconds=-1), question="생수병")
    [timeout] = await StageBinding("gpt5", c.PreparedQuery, _analyse).process(
        expired.model_dump_json().encode(), _meta("q.gpt5"))

    async def broken(msg: c.PreparedQuery) -> c.AnalysedQuery:
        raise InvalidImage("truncated")

    [_, dead] = await StageBinding("gpt5", c.PreparedQuery, broken).process(
        c.PreparedQuery(envelope=_env(), question="q").model_dump_json().encode(), _meta("q.gpt5"))
    for raw in (timeout.value, dead.value):
        failure = c.parse_reply(raw)
        assert isinstance(failure, c.Failure) and failure.replay_of == ORIGINAL
        assert failure.bunri_version == __version__ and failure.accepted_at is not None


async def test_a_cached_answer_keeps_the_prompts_that_wrote_it() -> None:
    env = _env()

    async def cached(msg: c.QueryRequest) -> c.Answer:
        return c.Answer(query_id=msg.envelope.query_id, question=msg.question, answer="답", item=None,
                        analysis=c.VisionAnalysis(saw_image=False), cache_hit=True, prompts={"gpt4o": "old@1"})

    [reply] = await StageBinding("preprocess", c.QueryRequest, cached).process(
        c.QueryRequest(envelope=env, question="q").model_dump_json().encode(), _meta("q.preprocess"))
    assert c.parse_reply(reply.value).prompts == {"gpt4o": "old@1"}  # type: ignore[union-attr]


def _resources(**gpt4o: object) -> Resources:
    settings = Settings(openai_api_key=SecretStr("k"))
    if gpt4o:
        settings = settings.model_copy(update={"gpt4o": settings.gpt4o.model_copy(update=gpt4o)})
    return Resources(settings=settings, store=None, cache=None, catalog=FakeCatalog())


def test_wiring_names_prompts_and_keys_the_answer_cache_by_variant() -> None:
    default, concise = _resources(), _resources(prompt_variant="concise")
    assert default.model_names() == {"gpt5": "gpt-5", "gpt4o": "gpt-4o-mini"}  # keys as before variants
    assert concise.model_names()["gpt4o"] == "gpt-4o-mini+concise"
    prompts = concise.prompt_versions()
    assert prompts["gpt4o"].startswith(f"{gpt4o_prompt.PROMPT_VERSION}+concise@")
    assert prompts["gpt5"].startswith(f"{gpt5_prompt.PROMPT_VERSION}@")
    [rag, gpt4o] = build_bindings(concise, ["rag", "gpt4o"])
    assert rag.prompt is None and gpt4o.prompt == prompts["gpt4o"]
    offline = Resources(settings=Settings(), store=None, cache=None, catalog=FakeCatalog())
    assert offline.prompt_versions() == {}


def test_an_unknown_variant_stops_the_worker_before_it_starts() -> None:
    with pytest.raises(UnknownPromptVariant):
        build_bindings(_resources(prompt_variant="shouty"), ["rag"])
