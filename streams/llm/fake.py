"""A function-backed :class:`~streams.llm.base.ChatModel` for tests (pydantic-ai's FunctionModel idea).

Example:
    model = FakeModel(lambda req: "페트병은 무색페트병으로 배출합니다.")
    result = await model.complete(request)
    assert model.requests[0].system.startswith("You")

The responder receives the :class:`~streams.llm.base.ChatRequest` and returns (or awaits to)
one of:

- ``str``: the reply text (validated against ``output_type`` when the request has one);
- a pydantic ``BaseModel`` or a ``dict``: serialised to JSON text;
- a :class:`~streams.llm.base.ChatResult`: returned as is;
- an ``Exception`` instance: raised (use ``streams.errors`` types, as a real model would).
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from pydantic import BaseModel

from streams.llm.base import ChatRequest, ChatResult, TokenUsage

__all__ = ["FakeModel", "Responder", "sequence"]

Reply = str | BaseModel | dict[str, Any] | ChatResult | BaseException
Responder = Callable[[ChatRequest], Reply | Awaitable[Reply]]
DEFAULT_USAGE = TokenUsage(input_tokens=1000, cached_input_tokens=200, output_tokens=100)


class FakeModel:
    """A model whose replies come from ``responder``; it records every request.

    Args:
        responder: Maps a request to a reply (see the module docstring).
        model_id: Reported model name.
        usage: Token usage reported for every call.
    """

    def __init__(
        self,
        responder: Responder,
        *,
        model_id: str = "fake-model",
        usage: TokenUsage = DEFAULT_USAGE,
    ) -> None:
        self.model_id = model_id
        self._responder = responder
        self._usage = usage
        self.requests: list[ChatRequest] = []

    async def complete(self, request: ChatRequest) -> ChatResult:
        """Record the request and return the responder's reply as a ChatResult."""
        self.requests.append(request)
        reply = self._responder(request)
        if inspect.isawaitable(reply):
            reply = await reply
        if isinstance(reply, BaseException):
            raise reply
        if isinstance(reply, ChatResult):
            return reply
        if isinstance(reply, BaseModel):
            text = reply.model_dump_json()
        elif isinstance(reply, dict):
            text = json.dumps(reply, ensure_ascii=False)
        else:
            text = reply
        return ChatResult.for_request(request, text=text, model=self.model_id, usage=self._usage)

    @property
    def calls(self) -> int:
        return len(self.requests)


def sequence(replies: Iterable[Reply]) -> Responder:
    """A responder that returns the given replies in order (then fails loudly).

    Example:
        FakeModel(sequence(["not json", valid_output]))
    """
    queue = list(replies)

    def respond(_: ChatRequest) -> Reply:
        if not queue:
            raise AssertionError("FakeModel received more calls than scripted replies")
        return queue.pop(0)

    return respond
