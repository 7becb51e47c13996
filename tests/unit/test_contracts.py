"""Contracts: round-trips, the discriminated reply, and the committed JSON Schemas."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import jsonschema
import pytest
from pydantic import ValidationError

from streams import contracts as c
from streams.cli.schemas_cmd import SCHEMA_DIR, render, topic_schemas


def _envelope() -> c.Envelope:
    now = c.utcnow()
    return c.Envelope(query_id=uuid.uuid4(), created_at=now, deadline=now + timedelta(seconds=30))


def _samples() -> dict[str, object]:
    env = _envelope()
    analysis = c.VisionAnalysis(saw_image=True, items=[c.DetectedItem(item_id="water_pet_bottle", name="생수병",
                                official_category="무색페트병", state=c.ItemState(lid="closed"), confidence=0.9)])
    guidance = c.ItemGuidance(item_id="water_pet_bottle", name="생수병", official_category="무색페트병",
                              steps=["라벨을 뗍니다."],
                              rules=[c.RuleUsed(item_id="water_pet_bottle", rule_id="x:step:1", kind="step",
                                                text="라벨을 뗍니다.", sources=[c.SourceRef(key="MOE-GUIDE")])])
    return {
        "preprocess": c.QueryRequest(envelope=env, question="생수병", image=c.ImageRef(key="raw/x", size=10)),
        "gpt5": c.PreparedQuery(envelope=env, question="생수병"),
        "rag": c.AnalysedQuery(envelope=env, question="생수병", analysis=analysis),
        "gpt4o": c.RuleContext(envelope=env, question="생수병", analysis=analysis, guidance=[guidance]),
        "reply": c.Answer(query_id=env.query_id, question="생수병", answer="답", item=None, analysis=analysis,
                          items=[guidance]),
        "dead_letter": c.DeadLetter(query_id=None, stage="gpt5", topic="q.gpt5", reason="invalid_input",
                                    error="ValidationError", payload="{}"),
        "events": c.ProgressEvent(query_id=env.query_id, event="answer", stage="gpt4o", elapsed_ms=12.5,
                                  items=[c.ItemGuess(name="생수병", official_category="무색페트병", confidence=0.9)],
                                  answer=c.Answer(query_id=env.query_id, question="생수병", answer="답", item=None,
                                                  analysis=analysis)),
        "feedback": c.Feedback(query_id=env.query_id, helpful=False, correct_category="플라스틱류",
                               correct_item="뚜껑", comment="뚜껑은요?", question="생수병",
                               answered_item=c.ItemRef(item_id="water_pet_bottle", name="생수병")),
    }


@pytest.mark.parametrize("key", list(_samples()))
def test_round_trip_and_schema(key: str) -> None:
    sample = _samples()[key]
    data = sample.model_dump_json()  # type: ignore[attr-defined]
    assert type(sample).model_validate_json(data) == sample
    schema = topic_schemas()[f"{_topic(key)}.v1.json"]
    jsonschema.validate(json.loads(data), schema)


def _topic(key: str) -> str:
    from streams.topics import BASE_NAMES

    return BASE_NAMES[key]


def test_reply_is_discriminated_on_kind() -> None:
    qid = uuid.uuid4()
    failure = c.Failure(query_id=qid, reason="timeout", message="late", stage="gpt5")
    assert isinstance(c.parse_reply(failure.model_dump_json()), c.Failure)
    with pytest.raises(ValidationError):
        c.parse_reply(json.dumps({"kind": "other", "query_id": str(qid)}))


def test_contracts_are_strict() -> None:
    env = _envelope()
    with pytest.raises(ValidationError):
        c.QueryRequest(envelope=env, question="   ")
    with pytest.raises(ValidationError):
        c.QueryRequest(envelope=env, question="q" * 501)
    with pytest.raises(ValidationError):
        c.QueryRequest.model_validate({"envelope": env.model_dump(), "question": "q", "surprise": 1})
    with pytest.raises(ValidationError):
        c.DetectedItem(name="x", official_category="재활용")  # type: ignore[arg-type]


def test_committed_schemas_match_the_contracts() -> None:
    schemas = topic_schemas()
    assert sorted(p.name for p in SCHEMA_DIR.glob("*.json")) == sorted(schemas)
    for name, schema in schemas.items():
        assert (SCHEMA_DIR / name).read_text(encoding="utf-8") == render(schema), (
            f"{name} is stale: run `bunri schemas --write` and review the contract change"
        )
