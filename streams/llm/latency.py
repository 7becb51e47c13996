"""Recent model-call latency, and the least budget worth starting a call with (deadline-aware calls)."""

from __future__ import annotations

import time
from collections import deque

from streams.llm.base import ChatModel, ChatRequest, ChatResult

__all__ = ["LatencyTracker", "TimedModel"]


class LatencyTracker:
    """The durations of the last ``window`` successful calls of one model, in one worker.

    Example:
        tracker = LatencyTracker()
        model = TimedModel(model, tracker)       # records every successful call
        if budget < tracker.min_budget(floor_s=1.0):
            ...                                  # not worth starting: degrade or fail as a timeout
    """

    def __init__(self, window: int = 50, quantile: float = 0.9) -> None:
        self._recent: deque[float] = deque(maxlen=window)
        self._quantile = quantile

    def record(self, seconds: float) -> None:
        self._recent.append(seconds)

    def estimate(self) -> float | None:
        """The ``quantile`` of the recent durations (the 90th by default); ``None`` before any call."""
        if not self._recent:
            return None
        ordered = sorted(self._recent)
        return ordered[min(len(ordered) - 1, int(self._quantile * len(ordered)))]

    def min_budget(self, floor_s: float) -> float:
        """Seconds a call needs to be worth starting: the recent estimate, at least ``floor_s``.

        ``floor_s`` 0 turns the check off (every call is started, whatever is left).
        """
        if floor_s <= 0:
            return 0.0
        return max(floor_s, self.estimate() or 0.0)


class TimedModel:
    """A :class:`ChatModel` that records each successful call's duration in a tracker."""

    def __init__(self, inner: ChatModel, tracker: LatencyTracker) -> None:
        self.inner = inner
        self.tracker = tracker
        self.model_id = inner.model_id

    async def complete(self, request: ChatRequest) -> ChatResult:
        began = time.perf_counter()
        result = await self.inner.complete(request)
        self.tracker.record(time.perf_counter() - began)
        return result

    def __getattr__(self, name: str) -> object:  # aclose, prices, ...: the wrapped model's
        return getattr(self.inner, name)
