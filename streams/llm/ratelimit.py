"""Client-side rate limiting per model: requests/min and tokens/min token buckets.

The provider's own limits answer an over-eager client with 429s, which cost a round trip,
a retry and deadline. Waiting here first makes the pipeline slow down smoothly instead.
A caller never waits past its query's deadline: when the wait would be longer than the
time it has left, :meth:`RateLimiter.acquire` raises :class:`~streams.errors.LLMUnavailable`
at once (with ``retry_after``), so the stage can degrade or fail while there is still time.

Stages use it through :class:`RateLimitedModel`, a :class:`~streams.llm.base.ChatModel`
wrapper that acquires before every call (re-asks included) within the request's time budget.

Example:
    limiter = RateLimiter.from_settings(settings.gpt5)      # one per model per worker
    model = RateLimitedModel(vision_model, limiter)
    result = await model.complete(request)                  # waits first when over the limit
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

from streams.errors import LLMUnavailable
from streams.llm.base import ChatModel, ChatRequest, ChatResult, ImagePart, TextPart
from streams.settings import ModelSettings

__all__ = ["RateLimitedModel", "RateLimiter", "estimate_tokens"]

#: Image input tokens by detail. "low" is a flat 85; a 1024 px image at "high" is 765
#: (85 + 4 tiles * 170). "auto" may pick high, so it is budgeted as high.
_IMAGE_TOKENS = {"low": 85, "high": 765, "auto": 765}


@dataclass
class _Bucket:
    """A token bucket whose level may go negative: a negative level is a queue of reservations."""

    capacity: float
    rate: float  # per second
    level: float
    stamp: float

    def refill(self, now: float) -> None:
        self.level = min(self.capacity, self.level + max(0.0, now - self.stamp) * self.rate)
        self.stamp = max(self.stamp, now)

    def wait_for(self, amount: float) -> float:
        return max(0.0, (amount - self.level) / self.rate)


class RateLimiter:
    """Requests/min and tokens/min limits for one model in one worker.

    Reservations are taken immediately and callers sleep off the debt, so waiters are served
    in arrival order without a lock, and the check-and-take is atomic on the event loop.

    Args:
        rpm: Requests per minute.
        tpm: Tokens per minute (estimated input + output).
        clock: Monotonic seconds; injectable for deterministic tests.
        sleep: Async sleep; injectable together with ``clock``.
        name: Label for messages (the model id).
    """

    def __init__(
        self,
        rpm: int,
        tpm: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        name: str = "model",
    ) -> None:
        now = clock()
        self._requests = _Bucket(float(rpm), rpm / 60.0, float(rpm), now)
        self._tokens = _Bucket(float(tpm), tpm / 60.0, float(tpm), now)
        self._clock = clock
        self._sleep = sleep
        self.name = name

    @classmethod
    def from_settings(cls, settings: ModelSettings, **kwargs: object) -> RateLimiter:
        """A limiter with the model's ``rpm``/``tpm`` (``BUNRI_GPT5__RPM`` etc.)."""
        return cls(settings.rpm, settings.tpm, name=settings.model, **kwargs)  # type: ignore[arg-type]

    async def acquire(self, tokens: int, *, timeout: float | None = None) -> float:
        """Wait until one request and ``tokens`` tokens may be spent, then spend them.

        Args:
            tokens: Estimated tokens of the call (input + maximum output). Capped at the
                bucket size so an oversized call waits for a full bucket instead of forever.
            timeout: Seconds the caller has left; ``None`` waits as long as needed.

        Returns:
            Seconds waited.

        Raises:
            LLMUnavailable: the wait would exceed ``timeout`` (nothing is reserved then).
        """
        now = self._clock()
        self._requests.refill(now)
        self._tokens.refill(now)
        amount = min(float(tokens), self._tokens.capacity)
        wait = max(self._requests.wait_for(1.0), self._tokens.wait_for(amount))
        if timeout is not None and wait > timeout:
            raise LLMUnavailable(
                f"{self.name}: client-side rate limit needs {wait:.1f}s, only {max(timeout, 0):.1f}s left",
                retry_after=wait,
            )
        self._requests.level -= 1.0
        self._tokens.level -= amount
        if wait > 0:
            await self._sleep(wait)
        return wait

    def settle(self, *, estimated: int, actual: int) -> None:
        """Correct the token bucket once the real usage is known (refund or extra debit)."""
        self._tokens.refill(self._clock())
        self._tokens.level = min(self._tokens.capacity, self._tokens.level + estimated - actual)

    @property
    def available_tokens(self) -> float:
        self._tokens.refill(self._clock())
        return self._tokens.level


def estimate_tokens(request: ChatRequest) -> int:
    """A cheap upper-ish estimate of a call's tokens: input text, images and maximum output.

    Korean is about one token per syllable (3 UTF-8 bytes) and English about four characters
    per token, so UTF-8 bytes / 3 errs on the high side for both. Providers count the
    maximum output against the tokens/min limit too, so it is included.
    """
    texts = [request.system, *(p.text for p in request.parts if isinstance(p, TextPart))]
    texts += [t.text for t in request.followups]
    tokens = sum(len(t.encode("utf-8")) for t in texts) // 3
    tokens += sum(_IMAGE_TOKENS[p.detail] for p in request.parts if isinstance(p, ImagePart))
    return tokens + (request.max_output_tokens or 0)


class RateLimitedModel:
    """A :class:`~streams.llm.base.ChatModel` that waits for its :class:`RateLimiter` first.

    The wait counts against the request's ``timeout_s``: the remaining budget is what the
    call itself gets, so limiter + call never exceed the deadline the stage computed.
    """

    def __init__(self, inner: ChatModel, limiter: RateLimiter) -> None:
        self.inner = inner
        self.limiter = limiter
        self.model_id = inner.model_id

    async def complete(self, request: ChatRequest) -> ChatResult:
        """Acquire, call the inner model with what is left of the budget, then settle."""
        estimate = estimate_tokens(request)
        waited = await self.limiter.acquire(estimate, timeout=request.timeout_s)
        if waited and request.timeout_s is not None:
            request = replace(request, timeout_s=request.timeout_s - waited)
        result = await self.inner.complete(request)
        actual = result.usage.input_tokens + result.usage.output_tokens
        if actual:  # servers that report no usage keep the estimate
            self.limiter.settle(estimated=estimate, actual=actual)
        return result
