"""Helpers for testing the real OpenAI SDK against an in-process MockTransport.

The installed ``openai`` (3.x) is built on ``httpx2``, not ``httpx``: its ``http_client`` must
be an ``httpx2.AsyncClient``, so the mock transport is ``httpx2.MockTransport``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx2
import pytest
from openai import AsyncOpenAI

from streams.llm.openai_compat import OpenAICompatibleModel


def completion(content: str | None, *, model: str = "gpt-5-2025-08-07", prompt: int = 1200,
               cached: int = 1024, output: int = 80, finish: str = "stop",
               refusal: str | None = None) -> dict[str, Any]:
    """A chat.completion response body."""
    return {
        "id": "chatcmpl-test", "object": "chat.completion", "created": 1, "model": model,
        "choices": [{"index": 0, "finish_reason": finish,
                     "message": {"role": "assistant", "content": content, "refusal": refusal}}],
        "usage": {"prompt_tokens": prompt, "completion_tokens": output, "total_tokens": prompt + output,
                  "prompt_tokens_details": {"cached_tokens": cached}},
    }


class Recorder:
    """A MockTransport handler that records request bodies and replays scripted responses."""

    def __init__(self, *responses: httpx2.Response | Callable[[httpx2.Request], Any] | BaseException) -> None:
        self.responses = list(responses)
        self.requests: list[httpx2.Request] = []

    @property
    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(r.content) for r in self.requests]

    async def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        reply = self.responses.pop(0) if len(self.responses) > 1 else self.responses[0]
        if isinstance(reply, BaseException):
            raise reply
        if callable(reply):
            reply = reply(request)
            if not isinstance(reply, httpx2.Response):
                reply = await reply
        return reply


def ok(content: str | None, **kw: Any) -> httpx2.Response:
    return httpx2.Response(200, json=completion(content, **kw))


def error(status: int, headers: dict[str, str] | None = None) -> httpx2.Response:
    body = {"error": {"message": f"status {status}", "type": "x"}}
    return httpx2.Response(status, headers=headers, json=body)


@pytest.fixture
def make_model() -> Callable[..., tuple[OpenAICompatibleModel, Recorder]]:
    """``make_model(*responses, model="gpt-5", max_retries=0)`` -> (model, recorder)."""

    def make(*responses: Any, model: str = "gpt-5", max_retries: int = 0,
             timeout: float = 10.0) -> tuple[OpenAICompatibleModel, Recorder]:
        recorder = Recorder(*responses)
        http = httpx2.AsyncClient(transport=httpx2.MockTransport(recorder))
        client = AsyncOpenAI(api_key="sk-test", base_url="http://llm.test/v1", max_retries=max_retries,
                             timeout=timeout, http_client=http)
        return OpenAICompatibleModel(model, client=client), recorder

    return make
