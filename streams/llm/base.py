"""The one model protocol every stage talks to, and its frozen request/result values.

Stages build a :class:`ChatRequest`, hand it to a :class:`ChatModel` and read a
:class:`ChatResult`; they never see the provider SDK. Implementations:

- :class:`streams.llm.openai_compat.OpenAICompatibleModel`: any OpenAI-compatible server
  (OpenAI, vLLM, Ollama, ``bunri fake-llm``);
- :class:`streams.llm.fake.FakeModel`: a function-backed model for tests.

Example:
    request = ChatRequest(system="Answer in Korean.", parts=(TextPart("페트병은?"),))
    result = await model.complete(request)
    print(result.text, result.usage.output_tokens)
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field, replace
from typing import Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ValidationError

__all__ = [
    "ChatModel",
    "ChatRequest",
    "ChatResult",
    "ImagePart",
    "Part",
    "TextPart",
    "TokenUsage",
    "Turn",
    "parse_output",
]

Detail = Literal["low", "high", "auto"]


@dataclass(frozen=True)
class TextPart:
    """A piece of user text."""

    text: str


@dataclass(frozen=True)
class ImagePart:
    """An image the model should look at: an https URL or a ``data:`` URL.

    Example:
        ImagePart.from_bytes(jpeg_bytes, "image/jpeg", detail="low")
    """

    url: str
    detail: Detail = "auto"

    @classmethod
    def from_bytes(cls, data: bytes, mime: str = "image/jpeg", *, detail: Detail = "auto") -> ImagePart:
        """Wrap raw image bytes in a data URL (used when there is no presigned URL)."""
        return cls(f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}", detail)

    def __repr__(self) -> str:
        # A data URL is hundreds of KB of base64: never put it in logs or test diffs.
        shown = self.url if not self.url.startswith("data:") else f"{self.url[:30]}…({len(self.url)} chars)"
        return f"ImagePart(url={shown!r}, detail={self.detail!r})"


Part = TextPart | ImagePart


@dataclass(frozen=True)
class Turn:
    """A follow-up message after the user parts (used by the structured-output re-ask)."""

    role: Literal["user", "assistant"]
    text: str


@dataclass(frozen=True)
class ChatRequest:
    """One model call.

    Attributes:
        system: System instructions (trusted text only).
        parts: The user message: text and images, in order.
        output_type: When set, the model must answer with JSON valid for this pydantic model
            (sent as a strict JSON schema); the result's ``parsed`` holds the instance.
        max_output_tokens: Upper bound on generated tokens (``max_completion_tokens``).
        timeout_s: Total seconds this call may take, provider retries included; ``None``
            means the implementation's own default. Stages derive it from the query deadline.
        followups: Extra turns after the user message (previous answer, correction request).
    """

    system: str
    parts: tuple[Part, ...]
    output_type: type[BaseModel] | None = None
    max_output_tokens: int | None = None
    timeout_s: float | None = None
    followups: tuple[Turn, ...] = ()

    def reask(self, previous_output: str, error: str) -> ChatRequest:
        """The same request plus the invalid output and the validation error, to fix it once."""
        correction = (
            "Your previous output did not validate against the required JSON schema.\n"
            f"Validation errors:\n{error}\n"
            "Reply again with a single JSON object that fixes these errors. No prose."
        )
        turns = (*self.followups, Turn("assistant", previous_output), Turn("user", correction))
        return replace(self, followups=turns)

    @property
    def has_image(self) -> bool:
        return any(isinstance(p, ImagePart) for p in self.parts)


@dataclass(frozen=True)
class TokenUsage:
    """Token counts of one or more calls. ``input_tokens`` includes the cached ones."""

    input_tokens: int = 0
    cached_input_tokens: int = 0
    output_tokens: int = 0

    def __add__(self, other: TokenUsage) -> TokenUsage:
        return TokenUsage(
            self.input_tokens + other.input_tokens,
            self.cached_input_tokens + other.cached_input_tokens,
            self.output_tokens + other.output_tokens,
        )


@dataclass(frozen=True)
class ChatResult:
    """What a model returned.

    Attributes:
        text: The raw text of the reply (JSON text for structured output).
        model: The model that answered (as reported by the server, else the configured id).
        usage: Tokens of this call.
        parsed: The validated ``output_type`` instance, or ``None`` (no output type, or invalid).
        error: Why ``text`` did not validate against ``output_type``; ``None`` when it did.
    """

    text: str
    model: str
    usage: TokenUsage = field(default_factory=TokenUsage)
    parsed: BaseModel | None = None
    error: str | None = None

    @classmethod
    def for_request(cls, request: ChatRequest, *, text: str, model: str, usage: TokenUsage) -> ChatResult:
        """Build a result, validating ``text`` when the request asked for structured output."""
        parsed, error = parse_output(request.output_type, text)
        return cls(text=text, model=model, usage=usage, parsed=parsed, error=error)


@runtime_checkable
class ChatModel(Protocol):
    """A chat model: one async call, provider errors already translated to streams.errors.

    Raises (from ``complete``):
        streams.errors.LLMUnavailable: transient (connection, timeout, 429, 5xx).
        streams.errors.LLMRejected: permanent (400/401/403/404/422 and other 4xx).
    """

    model_id: str

    async def complete(self, request: ChatRequest) -> ChatResult: ...


def parse_output(output_type: type[BaseModel] | None, text: str) -> tuple[BaseModel | None, str | None]:
    """Validate model text against ``output_type``.

    Returns:
        ``(instance, None)`` when valid, ``(None, error_summary)`` when not, ``(None, None)``
        when there is no output type.
    """
    if output_type is None:
        return None, None
    try:
        return output_type.model_validate_json(_strip_fences(text)), None
    except ValidationError as exc:
        return None, _summarise(exc)


def _strip_fences(text: str) -> str:
    # Local servers without constrained decoding sometimes wrap JSON in ```json fences.
    body = text.strip()
    if body.startswith("```"):
        body = body.split("\n", 1)[1] if "\n" in body else ""
        body = body.rsplit("```", 1)[0]
    return body


def _summarise(exc: ValidationError, limit: int = 10) -> str:
    """A short, model-readable list of what was wrong (the re-ask sends it back)."""
    lines = []
    for err in exc.errors(include_url=False)[:limit]:
        where = ".".join(str(p) for p in err["loc"]) or "(root)"
        got = json.dumps(err.get("input"), ensure_ascii=False, default=str)[:80]
        lines.append(f"- {where}: {err['msg']} (got {got})")
    return "\n".join(lines)
