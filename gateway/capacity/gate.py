"""The capacity gate: Little's law over this replica's own queries.

A replica knows the queries it submitted and not yet answered (``N``) and how many it got answers
for lately (``X`` per second, over ``window_s``, or over the time since answers started coming if
that is shorter: a pipeline that just started answering would otherwise look slow, and the gate
would starve it of the very queries that prove it fast). In steady state a new query waits
``(N + 1) / X`` whether the pipeline is idle or saturated, so when that exceeds ``target`` × the
query deadline the query is refused at once with ``429 over_capacity`` and ``Retry-After``
(milliseconds: until enough of the queue has drained) -- once the oldest query in flight has waited
half of that. Until then the pipeline keeps up (answers take what the model takes), and after a rise
in traffic ``X`` still counts the answers to the lower traffic before: ``N / X`` overstates the wait
by the ratio of the two for one pipeline latency, and refusing on it kept a pipeline with room to
spare from full speed for ~25 s. Nothing is refused before the first answers (no estimate yet), except when nothing
at all has been answered for a window while ``min_inflight`` queries wait (the pipeline is stalled).
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from uuid import UUID

from fastapi import Request

from gateway.errors import ApiError
from streams.settings import AdmissionSettings

__all__ = ["MIN_SPAN_S", "CapacityGate", "check_capacity"]

#: Answers must have come for this long before their rate is trusted (one answer is no rate).
MIN_SPAN_S = 1.0


class CapacityGate:
    """Predicts a new query's time to answer from this replica's in-flight count and answer rate."""

    def __init__(self, settings: AdmissionSettings, deadline_s: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.settings, self.deadline_s, self._clock = settings, deadline_s, clock
        self._inflight: dict[UUID, float] = {}  # query id -> submitted at
        self._answered: deque[float] = deque()  # answer times within the window
        self._answering_since = 0.0  # when the first of the answers in the window came after none

    @property
    def inflight(self) -> int:
        return len(self._inflight)

    def rate(self) -> float | None:
        """Answers per second over the window; ``None`` until answers have come for ``MIN_SPAN_S``."""
        now = self._clock()
        while self._answered and self._answered[0] < now - self.settings.window_s:
            self._answered.popleft()
        if not self._answered:
            return None
        span = now - max(self._answering_since, now - self.settings.window_s)
        return None if span < MIN_SPAN_S else len(self._answered) / span

    def _count_answer(self, at: float) -> None:
        if not self._answered or self._answered[-1] < at - self.settings.window_s:
            self._answering_since = at  # after a quiet spell: the rate is measured from here
        self._answered.append(at)

    def settle(self, answered: Callable[[UUID], bool]) -> None:
        """Count the answered queries (``answered(qid)``) and forget those past deadline + window."""
        now = self._clock()
        for qid, since in list(self._inflight.items()):
            if answered(qid):
                self._count_answer(now)
                del self._inflight[qid]
            elif now - since > self.deadline_s + self.settings.window_s:
                del self._inflight[qid]

    def predicted_s(self) -> float | None:
        """Seconds a query accepted now would take to be answered; ``None``: no estimate yet."""
        rate = self.rate()
        return None if rate is None else (self.inflight + 1) / rate

    def check(self) -> None:
        """Raise ApiError 429 ``over_capacity`` when a query accepted now would miss its deadline."""
        if self.settings.target <= 0:
            return
        budget = self.settings.target * self.deadline_s
        rate = self.rate()
        if rate is None:
            oldest = min(self._inflight.values(), default=self._clock())
            stalled = self.inflight >= self.settings.min_inflight and self._clock() - oldest > self.settings.window_s
            if stalled:
                raise _refuse(1000, "no query has been answered lately; retry shortly")
            return
        predicted = (self.inflight + 1) / rate
        queued_s = self._clock() - min(self._inflight.values(), default=self._clock())
        if predicted > budget and queued_s > budget / 2:
            wait_ms = math.ceil((predicted - budget) * 1000 - 1e-6)  # float noise must not add a ms
            raise _refuse(wait_ms, f"a query accepted now would take about {predicted:.0f}s, "
                                   f"past its {self.deadline_s:.0f}s deadline; retry later")

    def enter(self, qid: UUID) -> None:
        self._inflight[qid] = self._clock()

    def leave(self, qid: UUID, *, answered: bool) -> None:
        """The query got its answer (counted in the rate), or was never submitted (a 4xx, a replay)."""
        if self._inflight.pop(qid, None) is not None and answered:
            self._count_answer(self._clock())


def _refuse(retry_after_ms: int, message: str) -> ApiError:
    return ApiError(429, "over_capacity", message, headers={"Retry-After": str(max(1, retry_after_ms))},
                    retry_after_ms=max(1, retry_after_ms))


async def check_capacity(request: Request) -> AsyncIterator[None]:
    """Router dependency: refuse ``POST /v1/queries`` past capacity; count the query once submitted."""
    gate: CapacityGate | None = getattr(request.state, "capacity", None)
    bus = getattr(request.state, "bus", None)
    if gate is None or bus is None or request.method != "POST" or request.url.path != "/v1/queries":
        yield
        return
    gate.settle(lambda qid: bus.result(qid) is not None)
    gate.check()
    qid: UUID | None = getattr(request.state, "query_id", None)  # reserved by gateway/limits' admission
    if qid is None:
        yield
        return
    gate.enter(qid)
    try:
        yield
    finally:
        if bus.result(qid) is not None:
            gate.leave(qid, answered=True)
        elif not bus.known(qid):  # refused or replayed: never submitted
            gate.leave(qid, answered=False)
