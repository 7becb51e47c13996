"""Claim checks a rogue producer could forge: only the message's own objects are ever read."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest

from streams import contracts as c
from streams.binding import MessageMeta, StageBinding

SHA, OTHER = "a" * 64, "b" * 64


def _prepared_json(key: str, sha: str = SHA) -> bytes:
    now = c.utcnow()
    env = c.Envelope(query_id=uuid.uuid4(), created_at=now, deadline=now + timedelta(seconds=30))
    msg = c.PreparedQuery(envelope=env, question="생수병")
    body = json.loads(msg.model_dump_json())
    body["image"] = {"key": key, "sha256": sha, "width": 10, "height": 10, "size": 100, "mime": "image/jpeg"}
    return json.dumps(body).encode()


@pytest.mark.parametrize("key", [f"images/{OTHER}.jpg", "raw/0b8c5a32-1e0c-4c5e-9d0a-2f4b8f0a1c11",
                                 "cache/analysis/x.json", f"images/{SHA}.jpg/../../raw/x", f"images/{SHA}.png"])
async def test_a_gpt5_message_naming_another_object_is_dead_lettered(key: str) -> None:
    called = []

    async def analyse(msg: c.PreparedQuery) -> c.AnalysedQuery:
        called.append(msg)
        raise AssertionError("the handler must never see a forged claim check")

    value = _prepared_json(key)
    outs = await StageBinding("gpt5", c.PreparedQuery, analyse).process(value, MessageMeta("q.gpt5", 0, 1, b"k"))
    assert [o.topic for o in outs][0] == "dead_letter" and called == []
    assert c.DeadLetter.model_validate_json(outs[0].value).reason == "invalid_input"


def test_the_images_key_must_be_the_hash() -> None:
    assert c.PreparedImage(key=f"images/{SHA}.jpg", sha256=SHA, width=1, height=1, size=1).key.endswith(".jpg")
    with pytest.raises(ValueError, match="sha256"):
        c.PreparedImage(key=f"images/{OTHER}.jpg", sha256=SHA, width=1, height=1, size=1)
