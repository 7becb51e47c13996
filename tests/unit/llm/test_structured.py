"""The single re-ask on invalid structured output, and FakeModel itself."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ConfigDict, Field

from streams.errors import LLMOutputInvalid, LLMUnavailable
from streams.llm.base import ChatRequest, ChatResult, TextPart
from streams.llm.fake import FakeModel, sequence
from streams.llm.structured import complete_structured


class Out(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    confidence: float = Field(ge=0, le=1)


REQUEST = ChatRequest(system="s", parts=(TextPart("q"),), max_output_tokens=100)


async def test_valid_first_time_is_one_call() -> None:
    model = FakeModel(sequence([Out(name="캔", confidence=0.9)]))
    seen: list[ChatResult] = []
    out = await complete_structured(model, REQUEST, Out, on_result=seen.append)
    assert out == Out(name="캔", confidence=0.9)
    assert model.calls == 1 and len(seen) == 1
    assert model.requests[0].output_type is Out


async def test_one_reask_sends_the_error_back() -> None:
    model = FakeModel(sequence(['{"name": "캔", "confidence": 3}', {"name": "캔", "confidence": 0.7}]))
    seen: list[ChatResult] = []
    out = await complete_structured(model, REQUEST, Out, on_result=seen.append)
    assert out.confidence == 0.7 and model.calls == 2 and len(seen) == 2
    reask = model.requests[1]
    assert [t.role for t in reask.followups] == ["assistant", "user"]
    assert reask.followups[0].text == '{"name": "캔", "confidence": 3}'
    assert "confidence" in reask.followups[1].text and "less than or equal to 1" in reask.followups[1].text


async def test_second_invalid_output_is_permanent() -> None:
    model = FakeModel(sequence(["not json", '{"name": "x"}']))
    seen: list[ChatResult] = []
    with pytest.raises(LLMOutputInvalid, match="after one re-ask"):
        await complete_structured(model, REQUEST, Out, on_result=seen.append)
    assert model.calls == 2 and len(seen) == 2  # both calls are still accounted


async def test_model_errors_pass_through_without_reask() -> None:
    model = FakeModel(lambda _: LLMUnavailable("down"))
    with pytest.raises(LLMUnavailable):
        await complete_structured(model, REQUEST, Out)
    assert model.calls == 1


async def test_fake_model_async_responder_and_text() -> None:
    async def respond(request: ChatRequest) -> str:
        return f"echo {request.parts[0].text}"  # type: ignore[union-attr]

    model = FakeModel(respond, model_id="m")
    result = await model.complete(REQUEST)
    assert result.text == "echo q" and result.model == "m" and result.parsed is None
