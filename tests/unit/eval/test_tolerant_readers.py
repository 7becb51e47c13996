"""Tolerant readers, strict writers: a field added by a newer producer is read, not dead-lettered.

The compatibility policy (docs/topics.md) says adding an optional field is compatible. These tests hold
every side of it: the committed schemas (what analytics consumers build from) accept such a message, our
own consumers (the binding, the reply parser) read it and log the field once, and our producers still
refuse an unknown field.
"""

from __future__ import annotations

import json
import logging
import uuid
from datetime import timedelta
from typing import Any

import jsonschema
import pytest
from pydantic import ValidationError

from streams import contracts as c
from streams.binding import MessageMeta, StageBinding
from streams.cli.schemas_cmd import SCHEMA_DIR

META = MessageMeta(topic="q.rag", partition=0, offset=1, key=b"k")


def _analysed() -> c.AnalysedQuery:
    now = c.utcnow()
    env = c.Envelope(query_id=uuid.uuid4(), created_at=now, deadline=now + timedelta(seconds=30))
    item = c.DetectedItem(item_id="water_pet_bottle", name="생수병", official_category="무색페트병")
    return c.AnalysedQuery(envelope=env, question="생수병", analysis=c.VisionAnalysis(saw_image=False, items=[item]))


def _with_added_fields(msg: c.AnalysedQuery) -> dict[str, Any]:
    """The message as a newer producer would write it: optional fields added at three depths."""
    data = json.loads(msg.model_dump_json())
    data["tenant"] = "서울 마포구청"  # a field this version does not know ("region" is known now)
    data["envelope"]["trace_id"] = "abc"
    data["analysis"]["items"][0]["colour_name"] = "투명"
    return data


def _answer_with_added_field() -> dict[str, Any]:
    answer = c.Answer(query_id=uuid.uuid4(), question="생수병", answer="무색페트병입니다.", item=None,
                      analysis=c.VisionAnalysis(saw_image=False))
    return {**json.loads(answer.model_dump_json()), "sentiment": "positive"}


@pytest.mark.parametrize("topic, message", [("q.rag", lambda: _with_added_fields(_analysed())),
                                            ("q.reply", _answer_with_added_field)])
def test_a_consumer_built_from_todays_committed_schema_accepts_an_added_field(topic: str, message: Any) -> None:
    schema = json.loads((SCHEMA_DIR / f"{topic}.v1.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(message())  # raises if the schema were closed


def test_committed_schemas_are_open_everywhere_but_still_check_known_fields() -> None:
    for path in SCHEMA_DIR.glob("*.json"):
        text = path.read_text(encoding="utf-8")
        assert '"additionalProperties": false' not in text, path.name
    schema = json.loads((SCHEMA_DIR / "q.reply.v1.json").read_text(encoding="utf-8"))
    bad = {**_answer_with_added_field(), "degraded": "very"}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema).validate(bad)


def test_decode_ignores_unknown_fields_and_logs_each_once(caplog: pytest.LogCaptureFixture,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(c, "_UNKNOWN_LOGGED", set())  # whatever other tests logged before
    original = _analysed()
    raw = json.dumps(_with_added_fields(original))
    with caplog.at_level(logging.WARNING, logger="streams.contracts"):
        first = c.decode(c.AnalysedQuery, raw)
        second = c.decode(c.AnalysedQuery, raw)
    assert first == second == original
    logged = [r.getMessage() for r in caplog.records]
    assert len(logged) == 1, logged  # once per field and process, not once per message
    for path in ("tenant", "envelope.trace_id", "analysis.items.[].colour_name"):
        assert path in logged[0]


def test_reply_parser_is_tolerant_too() -> None:
    reply = c.parse_reply(json.dumps(_answer_with_added_field()))
    assert isinstance(reply, c.Answer) and reply.answer == "무색페트병입니다."


def test_unknown_plus_invalid_is_still_an_error() -> None:
    data = _with_added_fields(_analysed())
    data["analysis"]["confidence"] = 7  # out of range: a real contract violation
    with pytest.raises(ValidationError):
        c.decode(c.AnalysedQuery, json.dumps(data))


def test_producers_stay_strict() -> None:
    data = _with_added_fields(_analysed())
    with pytest.raises(ValidationError):
        c.AnalysedQuery.model_validate(data)
    with pytest.raises(ValidationError):
        c.Envelope(query_id=uuid.uuid4(), created_at=c.utcnow(), deadline=c.utcnow(), trace_id="x")  # type: ignore[call-arg]


async def _lookup(msg: c.AnalysedQuery) -> c.RuleContext:
    return c.RuleContext(envelope=msg.envelope, question=msg.question, analysis=msg.analysis)


async def test_the_binding_processes_a_message_with_an_added_field() -> None:
    binding = StageBinding("rag", c.AnalysedQuery, _lookup)
    raw = json.dumps(_with_added_fields(_analysed())).encode()
    [out] = await binding.process(raw, META)
    assert out.topic == "gpt4o" and binding.stats["dead_letter"] == 0
    sent = json.loads(out.value)
    assert "tenant" not in sent  # what it does not know, it does not forward: its output is its own contract


async def test_the_binding_still_dead_letters_a_broken_message() -> None:
    data = _with_added_fields(_analysed())
    del data["analysis"]
    outs = await StageBinding("rag", c.AnalysedQuery, _lookup).process(json.dumps(data).encode(), META)
    assert [o.topic for o in outs] == ["dead_letter", "reply"]
