"""Client-side rate limiter with a deterministic clock."""

from __future__ import annotations

import asyncio

import pytest

from streams.errors import LLMUnavailable
from streams.llm.base import ChatRequest, ImagePart, TextPart, TokenUsage
from streams.llm.fake import FakeModel
from streams.llm.ratelimit import RateLimitedModel, RateLimiter, estimate_tokens


class Clock:
    """Fake monotonic time; sleeping advances it instantly."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


async def test_within_limits_there_is_no_wait(clock: Clock) -> None:
    limiter = RateLimiter(60, 10_000, clock=clock, sleep=clock.sleep)
    for _ in range(60):
        assert await limiter.acquire(100) == 0
    assert clock.slept == []


async def test_requests_per_minute(clock: Clock) -> None:
    limiter = RateLimiter(60, 1_000_000, clock=clock, sleep=clock.sleep)  # 1 request/s refill
    for _ in range(60):
        await limiter.acquire(1)
    assert await limiter.acquire(1) == pytest.approx(1.0)
    assert await limiter.acquire(1) == pytest.approx(1.0)  # the next one queues behind it


async def test_tokens_per_minute(clock: Clock) -> None:
    limiter = RateLimiter(1000, 6000, clock=clock, sleep=clock.sleep)  # 100 tokens/s refill
    await limiter.acquire(6000)
    assert await limiter.acquire(500) == pytest.approx(5.0)


async def test_oversized_request_waits_for_a_full_bucket_not_forever(clock: Clock) -> None:
    limiter = RateLimiter(1000, 600, clock=clock, sleep=clock.sleep)
    await limiter.acquire(600)
    assert await limiter.acquire(10_000) == pytest.approx(60.0)


async def test_never_waits_past_the_deadline(clock: Clock) -> None:
    limiter = RateLimiter(1, 1_000_000, clock=clock, sleep=clock.sleep)  # one request a minute
    await limiter.acquire(1)
    with pytest.raises(LLMUnavailable) as info:
        await limiter.acquire(1, timeout=5.0)
    assert info.value.retry_after == pytest.approx(60.0)
    assert clock.slept == []
    clock.now += 60  # nothing was reserved by the refused call
    assert await limiter.acquire(1, timeout=5.0) == 0


async def test_settle_refunds_unused_tokens(clock: Clock) -> None:
    limiter = RateLimiter(1000, 6000, clock=clock, sleep=clock.sleep)
    await limiter.acquire(6000)
    limiter.settle(estimated=6000, actual=1000)
    assert limiter.available_tokens == pytest.approx(5000)


async def test_concurrent_waiters_are_served_in_order(clock: Clock) -> None:
    async def frozen_sleep(_: float) -> None:  # all three wait at the same instant
        await asyncio.sleep(0)

    limiter = RateLimiter(60, 1_000_000, clock=clock, sleep=frozen_sleep)
    for _ in range(60):
        await limiter.acquire(1)
    waits = await asyncio.gather(*(limiter.acquire(1) for _ in range(3)))
    assert waits == pytest.approx([1.0, 2.0, 3.0])


async def test_rate_limited_model_spends_the_wait_from_the_budget(clock: Clock) -> None:
    limiter = RateLimiter(60, 1_000_000, clock=clock, sleep=clock.sleep)
    for _ in range(60):
        await limiter.acquire(1)
    inner = FakeModel(lambda _: "ok", usage=TokenUsage(10, 0, 5))
    model = RateLimitedModel(inner, limiter)
    await model.complete(ChatRequest(system="s", parts=(TextPart("q"),), timeout_s=10.0))
    assert inner.requests[0].timeout_s == pytest.approx(9.0)
    assert model.model_id == inner.model_id


def test_estimate_counts_text_images_and_output() -> None:
    request = ChatRequest(system="a" * 300, parts=(TextPart("가" * 100), ImagePart("https://x", "low")),
                          max_output_tokens=500)
    assert estimate_tokens(request) == (300 + 300) // 3 + 85 + 500
