"""OpenAICompatibleModel through the real SDK: request shape, parsing, error translation."""

from __future__ import annotations

import asyncio
import base64

import httpx2
import pytest
from pydantic import BaseModel, ConfigDict

from streams.errors import LLMRejected, LLMUnavailable
from streams.llm.base import ChatRequest, ImagePart, TextPart
from tests.unit.llm.conftest import completion, error, ok


class Out(BaseModel):
    model_config = ConfigDict(extra="forbid")
    item_id: str | None
    confidence: float


JPEG = b"\xff\xd8\xff\xe0fake-jpeg"


def vision_request(image: ImagePart, **kw: object) -> ChatRequest:
    return ChatRequest(system="sys", parts=(TextPart("<question>\n이거?\n</question>"), image),
                       output_type=Out, max_output_tokens=2000, timeout_s=20.0, **kw)  # type: ignore[arg-type]


class TestRequestShape:
    async def test_data_url_image_schema_and_limit_param(self, make_model) -> None:
        model, rec = make_model(ok('{"item_id": "water_pet_bottle", "confidence": 0.9}'))
        await model.complete(vision_request(ImagePart.from_bytes(JPEG, "image/jpeg", detail="low")))
        body = rec.bodies[0]
        assert body["model"] == "gpt-5"
        assert body["max_completion_tokens"] == 2000 and "max_tokens" not in body
        system, user = body["messages"]
        assert system == {"role": "system", "content": "sys"}
        text, image = user["content"]
        assert text == {"type": "text", "text": "<question>\n이거?\n</question>"}
        assert image["type"] == "image_url" and image["image_url"]["detail"] == "low"
        assert image["image_url"]["url"] == "data:image/jpeg;base64," + base64.b64encode(JPEG).decode()
        fmt = body["response_format"]
        assert fmt["type"] == "json_schema" and fmt["json_schema"]["strict"] is True
        assert fmt["json_schema"]["name"] == "Out"
        schema = fmt["json_schema"]["schema"]
        assert schema["additionalProperties"] is False and schema["required"] == ["item_id", "confidence"]

    async def test_presigned_url_is_sent_as_is(self, make_model) -> None:
        model, rec = make_model(ok('{"item_id": null, "confidence": 0.2}'))
        url = "https://bucket.s3.amazonaws.com/images/abc.jpg?X-Amz-Signature=x"
        await model.complete(vision_request(ImagePart(url, "high")))
        assert rec.bodies[0]["messages"][1]["content"][1]["image_url"] == {"url": url, "detail": "high"}

    async def test_text_only_is_a_plain_string_and_no_response_format(self, make_model) -> None:
        model, rec = make_model(ok("안내문", model="gpt-4o-mini"), model="gpt-4o-mini")
        await model.complete(ChatRequest(system="s", parts=(TextPart("질문"),), max_output_tokens=800))
        body = rec.bodies[0]
        assert body["model"] == "gpt-4o-mini"
        assert body["messages"][1] == {"role": "user", "content": "질문"}
        assert "response_format" not in body and body["max_completion_tokens"] == 800

    async def test_followups_follow_the_user_message(self, make_model) -> None:
        model, rec = make_model(ok('{"item_id": null, "confidence": 0.5}'))
        request = vision_request(ImagePart("https://x/y.jpg")).reask("{bad", "- confidence: missing")
        await model.complete(request)
        roles = [m["role"] for m in rec.bodies[0]["messages"]]
        assert roles == ["system", "user", "assistant", "user"]
        assert rec.bodies[0]["messages"][2]["content"] == "{bad"
        assert "confidence: missing" in rec.bodies[0]["messages"][3]["content"]

    async def test_reasoning_effort_only_when_configured(self, make_model) -> None:
        from streams.llm.openai_compat import OpenAICompatibleModel

        model, rec = make_model(ok("x"), ok("y"))
        await model.complete(ChatRequest(system="s", parts=(TextPart("q"),)))
        low = OpenAICompatibleModel("gpt-5", client=model._client, reasoning_effort="low")
        await low.complete(ChatRequest(system="s", parts=(TextPart("q"),)))
        assert "reasoning_effort" not in rec.bodies[0] and rec.bodies[1]["reasoning_effort"] == "low"

    async def test_legacy_limit_param_for_old_servers(self, make_model) -> None:
        from streams.llm.openai_compat import OpenAICompatibleModel

        model, rec = make_model(ok("x"))
        legacy = OpenAICompatibleModel("llama3", client=model._client, limit_param="max_tokens")
        await legacy.complete(ChatRequest(system="s", parts=(TextPart("q"),), max_output_tokens=50))
        assert rec.bodies[0]["max_tokens"] == 50 and "max_completion_tokens" not in rec.bodies[0]


class TestParsing:
    async def test_parsed_output_and_usage(self, make_model) -> None:
        reply = ok('{"item_id": "tuna_can", "confidence": 0.8}', prompt=1500, cached=1024, output=42)
        model, _ = make_model(reply)
        result = await model.complete(vision_request(ImagePart("https://x/y.jpg")))
        assert result.parsed == Out(item_id="tuna_can", confidence=0.8) and result.error is None
        assert (result.usage.input_tokens, result.usage.cached_input_tokens, result.usage.output_tokens) == (
            1500, 1024, 42)
        assert result.model == "gpt-5-2025-08-07"  # as the server reported it

    async def test_code_fences_are_tolerated(self, make_model) -> None:
        model, _ = make_model(ok('```json\n{"item_id": null, "confidence": 0.1}\n```'))
        result = await model.complete(vision_request(ImagePart("https://x/y.jpg")))
        assert result.parsed == Out(item_id=None, confidence=0.1)

    async def test_invalid_output_is_reported_not_raised(self, make_model) -> None:
        model, _ = make_model(ok('{"item_id": "x", "confidence": "high"}'))
        result = await model.complete(vision_request(ImagePart("https://x/y.jpg")))
        assert result.parsed is None and "confidence" in (result.error or "")

    async def test_refusal_and_missing_usage(self, make_model) -> None:
        body = completion(None, refusal="I can't help with that")
        del body["usage"]
        model, _ = make_model(httpx2.Response(200, json=body))
        result = await model.complete(vision_request(ImagePart("https://x/y.jpg")))
        assert result.parsed is None and "refused" in result.text
        assert result.usage.input_tokens == 0


class TestErrors:
    @pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
    async def test_client_errors_are_permanent_and_not_retried(self, make_model, status: int) -> None:
        model, rec = make_model(error(status), max_retries=2)
        with pytest.raises(LLMRejected):
            await model.complete(vision_request(ImagePart("https://x/y.jpg")))
        assert len(rec.requests) == 1

    async def test_other_4xx_are_permanent_too(self, make_model) -> None:
        model, _ = make_model(error(409))  # the SDK retries 408/409 itself first; then it is final
        with pytest.raises(LLMRejected):
            await model.complete(vision_request(ImagePart("https://x/y.jpg")))

    @pytest.mark.parametrize("status", [500, 502, 503])
    async def test_server_errors_are_transient(self, make_model, status: int) -> None:
        model, _ = make_model(error(status))
        with pytest.raises(LLMUnavailable):
            await model.complete(vision_request(ImagePart("https://x/y.jpg")))

    async def test_429_carries_retry_after(self, make_model) -> None:
        model, _ = make_model(error(429, {"retry-after": "7"}))
        with pytest.raises(LLMUnavailable) as info:
            await model.complete(vision_request(ImagePart("https://x/y.jpg")))
        assert info.value.retry_after == 7.0

    async def test_429_retry_after_ms(self, make_model) -> None:
        model, _ = make_model(error(429, {"retry-after-ms": "1500"}))
        with pytest.raises(LLMUnavailable) as info:
            await model.complete(vision_request(ImagePart("https://x/y.jpg")))
        assert info.value.retry_after == 1.5

    async def test_sdk_retries_429_honouring_retry_after(self, make_model) -> None:
        model, rec = make_model(error(429, {"retry-after": "0.01"}), ok('{"item_id": null, "confidence": 1}'),
                                max_retries=2)
        result = await model.complete(vision_request(ImagePart("https://x/y.jpg")))
        assert result.parsed is not None and len(rec.requests) == 2

    async def test_connection_error(self, make_model) -> None:
        model, _ = make_model(httpx2.ConnectError("refused"))
        with pytest.raises(LLMUnavailable, match="APIConnectionError"):
            await model.complete(vision_request(ImagePart("https://x/y.jpg")))

    async def test_sdk_timeout(self, make_model) -> None:
        model, _ = make_model(httpx2.ReadTimeout("slow"))
        with pytest.raises(LLMUnavailable, match="APITimeoutError"):
            await model.complete(vision_request(ImagePart("https://x/y.jpg")))

    async def test_budget_bounds_the_whole_call(self, make_model) -> None:
        async def hang(_: httpx2.Request) -> httpx2.Response:
            await asyncio.sleep(30)
            raise AssertionError("unreachable")

        model, _ = make_model(hang)
        request = ChatRequest(system="s", parts=(TextPart("q"),), timeout_s=0.05)
        with pytest.raises(LLMUnavailable, match="no reply within"):
            await asyncio.wait_for(model.complete(request), 5)

    async def test_unreadable_body_is_transient(self, make_model) -> None:
        model, _ = make_model(httpx2.Response(200, content=b'{"id": "x", "choi',
                                              headers={"content-type": "application/json"}))
        with pytest.raises(LLMUnavailable):
            await model.complete(ChatRequest(system="s", parts=(TextPart("q"),)))
