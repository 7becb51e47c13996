"""The one real :class:`~streams.llm.base.ChatModel`: any OpenAI-compatible chat server.

Backends (OpenAI, vLLM, Ollama, ``bunri fake-llm``) differ only by base URL and model name.
It uses ``chat.completions.create`` with ``response_format={"type": "json_schema", ...,
"strict": true}`` rather than ``chat.completions.parse``: the plain endpoint and this
response format are what vLLM, Ollama and other compatible servers implement, and parsing
ourselves lets an invalid output reach the single re-ask instead of raising inside the SDK.
Token limits go in ``max_completion_tokens`` (gpt-5-family models reject ``max_tokens``);
pass ``limit_param="max_tokens"`` for an old server that only knows the legacy name.
For reasoning models, ``max_completion_tokens`` also bounds the hidden reasoning: pass
``reasoning_effort`` ("minimal"/"low") so a short structured answer is not starved by it.

This is the only module that imports ``openai``, and the only place its errors are
translated into :mod:`streams.errors`:

- ``APIConnectionError``, ``APITimeoutError``, ``RateLimitError``, status >= 500, and an
  unreadable response body -> :class:`~streams.errors.LLMUnavailable` (transient; 429 carries
  ``retry_after`` from ``Retry-After``/``retry-after-ms``; a truncated body, cut inside a UTF-8
  character too, or a 200 that is not a completion is transient too);
- any other 4xx (400/401/403/404/422, ...) -> :class:`~streams.errors.LLMRejected` (permanent).

Transport retries are the SDK's own (``max_retries``, exponential backoff honouring
``Retry-After``); nothing here retries again.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Literal

import openai
from openai import AsyncOpenAI

from streams.errors import LLMRejected, LLMUnavailable, PipelineError
from streams.llm.base import ChatRequest, ChatResult, ImagePart, TextPart, TokenUsage
from streams.llm.schema import strict_json_schema

__all__ = ["OpenAICompatibleModel"]

logger = logging.getLogger(__name__)


class OpenAICompatibleModel:
    """A model behind an OpenAI-compatible ``/v1/chat/completions`` endpoint.

    Example:
        client = AsyncOpenAI(api_key=key, base_url=url, timeout=30.0, max_retries=2)
        model = OpenAICompatibleModel("gpt-4o-mini", client=client)
        result = await model.complete(ChatRequest(system="…", parts=(TextPart("…"),)))

    Args:
        model: Model name sent to the server (also ``model_id``).
        client: The SDK client; it owns base URL, key, per-attempt timeout and retries.
        limit_param: Name of the output-token limit parameter.
        reasoning_effort: Sent as ``reasoning_effort`` when set (reasoning models only;
            leave ``None`` for servers and models that do not know the parameter).
    """

    def __init__(
        self,
        model: str,
        *,
        client: AsyncOpenAI,
        limit_param: Literal["max_completion_tokens", "max_tokens"] = "max_completion_tokens",
        reasoning_effort: str | None = None,
    ) -> None:
        self.model_id = model
        self._client = client
        self._limit_param = limit_param
        self._reasoning_effort = reasoning_effort

    async def complete(self, request: ChatRequest) -> ChatResult:
        """Send one chat completion; see :class:`~streams.llm.base.ChatModel`."""
        kwargs = self.request_kwargs(request)
        try:
            # The SDK's timeout is per attempt; the request's budget covers all attempts
            # and the backoff between them, so the deadline bounds the whole call.
            async with asyncio.timeout(request.timeout_s):
                try:
                    return await self._attempt(request, kwargs)
                except _Unreadable as exc:  # the SDK does not retry a 200: try once more, in the budget
                    logger.warning("model=%s %s; asking again", self.model_id, exc.message)
                    return await self._attempt(request, kwargs)
        except TimeoutError as exc:
            raise LLMUnavailable(f"{self.model_id}: no reply within {request.timeout_s:.1f}s") from exc
        except openai.OpenAIError as exc:
            raise translate_error(exc, self.model_id) from exc

    async def _attempt(self, request: ChatRequest, kwargs: dict[str, Any]) -> ChatResult:
        try:
            completion = await self._client.chat.completions.create(**kwargs)
        except ValueError as exc:  # the SDK lets a truncated 200 body through as is: JSONDecodeError, or
            # UnicodeDecodeError when the cut is inside a multi-byte UTF-8 character (json.loads of bytes)
            raise _Unreadable(f"{self.model_id}: unreadable response body: {exc}") from exc
        try:
            return self._result(request, completion)
        except (AttributeError, TypeError, ValueError, IndexError, KeyError) as exc:
            # the SDK builds its models without validation: a 200 whose JSON is not a completion
            # (wrong shape or types, a bare string, a list) surfaces here; it is the model's fault
            raise _Unreadable(f"{self.model_id}: unreadable response: not a chat completion ({exc!r})") from exc

    def request_kwargs(self, request: ChatRequest) -> dict[str, Any]:
        """The keyword arguments of ``chat.completions.create`` for ``request``."""
        messages: list[dict[str, Any]] = [
            {"role": "system", "content": request.system},
            {"role": "user", "content": _user_content(request)},
            *({"role": t.role, "content": t.text} for t in request.followups),
        ]
        kwargs: dict[str, Any] = {"model": self.model_id, "messages": messages}
        if request.max_output_tokens is not None:
            kwargs[self._limit_param] = request.max_output_tokens
        if request.timeout_s is not None:
            kwargs["timeout"] = max(0.1, request.timeout_s)
        if self._reasoning_effort:
            kwargs["reasoning_effort"] = self._reasoning_effort
        if request.output_type is not None:
            kwargs["response_format"] = {
                "type": "json_schema",
                "json_schema": {
                    "name": request.output_type.__name__,
                    "schema": strict_json_schema(request.output_type),
                    "strict": True,
                },
            }
        return kwargs

    def _result(self, request: ChatRequest, completion: Any) -> ChatResult:
        choice = completion.choices[0] if completion.choices else None
        message = choice.message if choice is not None else None
        text = (message.content if message is not None else None) or ""
        if message is not None and getattr(message, "refusal", None):
            text = text or f"(refused: {message.refusal})"
        if choice is not None and choice.finish_reason == "length":
            logger.warning("model=%s output cut at the token limit (%s)", self.model_id,
                           request.max_output_tokens)
        return ChatResult.for_request(
            request, text=text, model=completion.model or self.model_id, usage=_usage(completion.usage)
        )


class _Unreadable(LLMUnavailable):
    """A 200 whose body is not a readable chat completion (asked once more before it is given up)."""


def _user_content(request: ChatRequest) -> str | list[dict[str, Any]]:
    # A lone text part goes as a plain string: the most widely supported form.
    if len(request.parts) == 1 and isinstance(request.parts[0], TextPart):
        return request.parts[0].text
    content: list[dict[str, Any]] = []
    for part in request.parts:
        if isinstance(part, ImagePart):
            content.append({"type": "image_url", "image_url": {"url": part.url, "detail": part.detail}})
        else:
            content.append({"type": "text", "text": part.text})
    return content


def _usage(usage: Any) -> TokenUsage:
    # Some compatible servers omit usage or its details; count what is there.
    if usage is None:
        return TokenUsage()
    details = getattr(usage, "prompt_tokens_details", None)
    cached = getattr(details, "cached_tokens", None) or 0
    return TokenUsage(usage.prompt_tokens or 0, cached, usage.completion_tokens or 0)


def translate_error(exc: openai.OpenAIError, model: str) -> PipelineError:
    """Map an SDK error to the pipeline's error tree (the only place this happens).

    Args:
        exc: The SDK exception.
        model: Model id, for the message.

    Returns:
        ``LLMUnavailable`` (transient) or ``LLMRejected`` (permanent).
    """
    if isinstance(exc, openai.APIConnectionError):  # includes APITimeoutError
        return LLMUnavailable(f"{model}: {type(exc).__name__}: {exc}")
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        if status == 429 or status >= 500:
            return LLMUnavailable(f"{model}: HTTP {status}: {_short(exc)}",
                                  retry_after=_retry_after(exc.response.headers))
        return LLMRejected(f"{model}: HTTP {status}: {_short(exc)}")
    if isinstance(exc, openai.APIError):  # e.g. a 200 whose body is not a completion
        return LLMUnavailable(f"{model}: unreadable response: {exc}")
    return LLMRejected(f"{model}: {type(exc).__name__}: {exc}")


def _short(exc: openai.APIStatusError) -> str:
    return str(exc.message)[:300]


def _retry_after(headers: Any) -> float | None:
    """Seconds from ``retry-after-ms`` or ``retry-after`` (seconds or HTTP date), if present."""
    raw_ms = headers.get("retry-after-ms")
    if raw_ms:
        try:
            return max(0.0, float(raw_ms) / 1000)
        except ValueError:
            pass
    raw = headers.get("retry-after")
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        return max(0.0, (parsedate_to_datetime(raw) - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError):
        return None
