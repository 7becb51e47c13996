"""Every malformed model reply is a model error (LLMUnavailable/LLMRejected), never an unexpected exception.

Property-based: the provider is fed arbitrary truncations of a valid completion (cut inside a multi-byte
UTF-8 character included), arbitrary bytes, and arbitrary content types, through the real SDK.
"""

from __future__ import annotations

import asyncio
import json

import httpx2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openai import AsyncOpenAI

from streams.errors import LLMRejected, LLMUnavailable
from streams.llm.base import ChatRequest, TextPart
from streams.llm.openai_compat import OpenAICompatibleModel
from tests.unit.llm.conftest import completion

BODY = json.dumps(completion("페트병은 내용물을 비우고 라벨을 떼어 투명 페트병으로 버려요."),
                  ensure_ascii=False).encode()
CTYPES = st.sampled_from(["application/json", "application/json; charset=utf-8", "text/plain", "text/html",
                          "application/octet-stream", ""])
MODEL_ERRORS = (LLMUnavailable, LLMRejected)


def _ask(body: bytes, ctype: str, status: int = 200) -> object:
    def reply(_: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(status, content=body, headers={"content-type": ctype} if ctype else {})

    client = AsyncOpenAI(api_key="sk-test", base_url="http://llm.test/v1", max_retries=0, timeout=5.0,
                         http_client=httpx2.AsyncClient(transport=httpx2.MockTransport(reply)))
    model = OpenAICompatibleModel("gpt-4o-mini", client=client)
    return asyncio.run(model.complete(ChatRequest(system="s", parts=(TextPart("질문"),), timeout_s=5.0)))


def test_a_body_cut_inside_a_multibyte_character_is_a_transient_model_error() -> None:
    cut = BODY.index("페".encode()) + 1  # one byte into a three-byte character
    try:
        _ask(BODY[:cut], "application/json")
    except LLMUnavailable as exc:
        assert "unreadable" in exc.message
    else:
        raise AssertionError("a truncated body must not pass as a completion")


def test_an_unreadable_body_is_asked_once_more_within_the_budget() -> None:
    calls: list[int] = []

    def reply(_: httpx2.Request) -> httpx2.Response:
        calls.append(1)
        return httpx2.Response(200, content=BODY[: len(BODY) // 2] if len(calls) == 1 else BODY,
                               headers={"content-type": "application/json"})

    client = AsyncOpenAI(api_key="sk-test", base_url="http://llm.test/v1", max_retries=0, timeout=5.0,
                         http_client=httpx2.AsyncClient(transport=httpx2.MockTransport(reply)))
    model = OpenAICompatibleModel("gpt-4o-mini", client=client)
    result = asyncio.run(model.complete(ChatRequest(system="s", parts=(TextPart("질문"),), timeout_s=5.0)))
    assert len(calls) == 2 and "페트병" in result.text


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cut=st.integers(min_value=0, max_value=len(BODY) - 1), ctype=CTYPES)
def test_any_truncation_of_a_completion_is_a_model_error(cut: int, ctype: str) -> None:
    try:
        _ask(BODY[:cut], ctype)
    except MODEL_ERRORS:
        return
    raise AssertionError(f"truncated at {cut} it was taken as a completion")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=st.one_of(st.binary(max_size=300), st.text(max_size=200).map(str.encode),
                      st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                                   lambda kids: st.lists(kids, max_size=4)
                                   | st.dictionaries(st.sampled_from(["choices", "message", "content", "model",
                                                                      "usage", "id", "x"]), kids, max_size=4),
                                   max_leaves=12).map(lambda v: json.dumps(v).encode())),
       ctype=CTYPES, status=st.sampled_from([200, 200, 200, 400, 500, 503]))
def test_arbitrary_bodies_give_a_result_or_a_model_error(body: bytes, ctype: str, status: int) -> None:
    try:
        _ask(body, ctype, status)
    except MODEL_ERRORS:
        pass  # anything else (KeyError, TypeError, UnicodeDecodeError, ...) fails the test
