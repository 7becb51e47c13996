"""Admission of ``POST /v1/queries``: shed at once (429/503) instead of queueing into timeouts.

Checked before the body is read, in this order: the replica's in-flight cap (503 ``overloaded``), the
day's total model cost (429 ``budget_exhausted``), then for an API key its cost (429
``key_budget_exhausted``), its queries in flight (429 ``too_many_inflight``) and its requests per
minute (429 ``rate_limited``, moving window from the ``limits`` library). Per-key limits apply to
API keys only; with keys off the replica's cap and total budget still apply.
"""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from uuid import UUID

from fastapi import Request
from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from gateway.auth.keys import ApiKey
from gateway.errors import ApiError
from gateway.limits.ledger import CostLedger
from streams.settings_security import LimitSettings

__all__ = ["Admission", "admit", "admitted_query_id"]


@dataclass
class _InFlight:
    key_id: str
    expires: float


class Admission:
    """Counts queries in flight (admitted, not yet answered) and the day's cost; refuses over a limit."""

    def __init__(self, limits: LimitSettings, *, horizon_s: float, ledger: CostLedger | None = None) -> None:
        self.limits, self._horizon = limits, horizon_s
        self.ledger = ledger or CostLedger()
        self._rpm = MovingWindowRateLimiter(MemoryStorage())
        self._inflight: dict[UUID, _InFlight] = {}

    def settle(self, bus: object) -> None:
        """Forget answered and expired queries; add the answered ones' cost to the day's ledger."""
        now = time.monotonic()
        for qid, entry in list(self._inflight.items()):
            reply = bus.result(qid)  # type: ignore[attr-defined]
            if reply is not None:
                usage = getattr(reply, "usage", None)
                self.ledger.add(entry.key_id, usage.cost_usd if usage is not None else 0.0)
                del self._inflight[qid]
            elif entry.expires <= now:  # no reply by deadline + grace: the gateway answered 504 itself
                del self._inflight[qid]

    def inflight(self, key_id: str | None = None) -> int:
        if key_id is None:
            return len(self._inflight)
        return sum(1 for e in self._inflight.values() if e.key_id == key_id)

    def enter(self, key: ApiKey | None, bus: object) -> UUID:
        """Admit one query (its id is returned) or raise ApiError 429/503 with Retry-After."""
        self.settle(bus)
        lim = self.limits
        if lim.inflight_total and len(self._inflight) >= lim.inflight_total:
            raise _refuse(503, "overloaded", "the service is at capacity; retry shortly", 1)
        if lim.daily_usd_total and self.ledger.total >= lim.daily_usd_total:
            raise _refuse(429, "budget_exhausted", "the service's daily model budget is spent",
                          self.ledger.retry_after())
        if key is not None:
            self._check_key(key)
        qid = uuid.uuid4()
        self._inflight[qid] = _InFlight(key.id if key else "", time.monotonic() + self._horizon)
        return qid

    def _check_key(self, key: ApiKey) -> None:
        lim = self.limits
        budget = key.daily_usd if key.daily_usd is not None else lim.daily_usd_per_key
        if budget and self.ledger.spent(key.id) >= budget:
            raise _refuse(429, "key_budget_exhausted", "this API key's daily model budget is spent",
                          self.ledger.retry_after())
        inflight = key.inflight if key.inflight is not None else lim.inflight_per_key
        if inflight and self.inflight(key.id) >= inflight:
            raise _refuse(429, "too_many_inflight", f"this API key has {inflight} unanswered queries; wait for "
                          "one to finish", 1)
        rpm = key.rpm if key.rpm is not None else lim.rpm_per_key
        if rpm:
            item = RateLimitItemPerMinute(rpm)
            if not self._rpm.hit(item, "rpm", key.id):
                reset = self._rpm.get_window_stats(item, "rpm", key.id).reset_time
                raise _refuse(429, "rate_limited", f"this API key is limited to {rpm} requests per minute",
                              math.ceil(max(1.0, reset - time.time())))

    def leave(self, query_id: UUID, bus: object) -> None:
        """The request is over: keep counting the query only if it reached the pipeline."""
        if not bus.known(query_id) and bus.result(query_id) is None:  # type: ignore[attr-defined]
            self._inflight.pop(query_id, None)  # refused input or an idempotent repeat: nothing submitted


def _refuse(status: int, code: str, message: str, retry_after: int) -> ApiError:
    return ApiError(status, code, message, headers={"Retry-After": str(retry_after)})


def admitted_query_id(request: Request) -> UUID:
    """The id admission reserved for this request (a fresh one when admission is not in use)."""
    return getattr(request.state, "query_id", None) or uuid.uuid4()


async def admit(request: Request) -> AsyncIterator[None]:
    """Router dependency: admit ``POST /v1/queries`` before its body is read; release it afterwards."""
    admission: Admission | None = getattr(request.state, "admission", None)
    if admission is None or request.method != "POST" or request.url.path != "/v1/queries":
        yield
        return
    bus = request.state.bus
    if bus is None:  # not connected yet: the route answers 503 broker_unavailable
        yield
        return
    qid = admission.enter(getattr(request.state, "api_key", None), bus)
    request.state.query_id = qid
    try:
        yield
    finally:
        admission.leave(qid, bus)
