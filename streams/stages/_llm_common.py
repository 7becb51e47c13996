"""Small helpers shared by the two model stages (gpt5, gpt4o): deadline budget and cache access."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from streams.contracts import Envelope, ModelUsage, Usage

__all__ = ["call_budget", "cache_get", "cache_put", "add_usage", "too_late"]


def call_budget(envelope: Envelope, now: datetime, *, timeout_s: float, reserve_s: float) -> float:
    """Seconds a model call may take: the configured timeout, cut to the query's deadline.

    ``reserve_s`` is kept back for what must still happen after the call (a fallback, the
    later stages), but never more than a quarter of what is left, so a short deadline still
    leaves the model most of it.
    """
    left = (envelope.deadline - now).total_seconds()
    if left <= 0:
        return 0.0
    return max(0.0, min(timeout_s, left - min(reserve_s, left / 4)))


def too_late(budget_s: float, floor_s: float, latency: Any) -> bool:
    """Whether a call with ``budget_s`` cannot finish: below ``floor_s`` or the model's recent latency."""
    need = latency.min_budget(floor_s) if latency is not None else floor_s
    return floor_s > 0 and budget_s < need


async def cache_get(cache: Any, namespace: str, key: str) -> dict[str, Any] | None:
    """``cache.get``, or a miss without a cache (the Cache itself turns store failures into misses)."""
    return None if cache is None else await cache.get(namespace, key)


async def cache_put(cache: Any, namespace: str, key: str, value: dict[str, Any]) -> None:
    """``cache.put`` when there is a cache (the Cache itself logs and drops failed writes)."""
    if cache is not None:
        await cache.put(namespace, key, value)


def add_usage(usage: Usage, calls: list[ModelUsage]) -> Usage:
    """``usage`` with every call added (one ModelUsage per model call)."""
    for call in calls:
        usage = usage.add(call)
    return usage
