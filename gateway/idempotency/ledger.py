"""The keys this replica has seen, with the query each started and a fingerprint of its request.

Per draft-ietf-httpapi-idempotency-key-header: a key is scoped to its client (the API key id when keys
are on), a retry with the same key and the same request gets the first request's result — waiting for
it like the first did, not an early ``202`` — and the same key with a different request is refused
with ``422 idempotency_key_reused``. Keys expire after ``BUNRI_IDEMPOTENCY_TTL_S`` (24 h).

This ledger is this replica's first gate (one local request per key contends); with Kafka, which
request runs a key is agreed across replicas through q.events (:mod:`gateway.idempotency.shared`).
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from streams import contracts as c

__all__ = ["Claim", "IdempotencyLedger", "await_first", "fingerprint", "scoped_key"]

Reply = c.Answer | c.Failure


@dataclass(frozen=True)
class Claim:
    """The query a key started, and the fingerprint of the request that started it."""

    query_id: UUID
    fingerprint: str


def scoped_key(key: str, client: str | None) -> str:
    """Keys are per client: two clients may pick the same key without seeing each other's answers."""
    return f"{client or ''}\x00{key}"


def fingerprint(question: str, image: bytes | None, region: str | None) -> str:
    """SHA-256 of what the request asks (the question as cleaned, the photo's bytes, the region)."""
    digest = hashlib.sha256()
    for part in (question.encode(), image or b"", (region or "").encode()):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


class IdempotencyLedger:
    """Scoped key -> :class:`Claim`, bounded and expiring."""

    def __init__(self, ttl_s: float = 24 * 3600, max_entries: int = 50_000) -> None:
        self._claims: OrderedDict[str, tuple[float, Claim]] = OrderedDict()
        self._ttl, self._max = ttl_s, max_entries

    def reserve(self, key: str, query_id: UUID, fingerprint: str = "") -> Claim | None:
        """Claim ``key`` for ``query_id``; return the earlier claim if the key is taken (and not expired)."""
        now = time.monotonic()
        entry = self._claims.get(key)
        if entry is not None and entry[0] > now:
            return entry[1]
        self._claims[key] = (now + self._ttl, Claim(query_id, fingerprint))
        self._claims.move_to_end(key)
        while len(self._claims) > self._max:
            self._claims.popitem(last=False)
        return None

    def release(self, key: str, query_id: UUID) -> None:
        """Forget a claim whose query was never accepted (its request failed before Kafka took it)."""
        if (entry := self._claims.get(key)) is not None and entry[1].query_id == query_id:
            del self._claims[key]


async def await_first(bus: Any, query_id: UUID, wait: float,
                      resolve: Callable[[Reply | None], Reply | None]) -> Reply | None:
    """Wait up to ``wait`` s for the first request's result, as the first request does.

    The retry may arrive before the first request registered its waiter on the bus (it is still
    storing the photo or publishing), and ``bus.wait`` then returns at once: poll until it has one.
    ``resolve`` adds the gateway's overdue failure (gateway/deadlines).
    """
    end = time.monotonic() + wait
    while True:
        if (reply := resolve(bus.result(query_id))) is not None:
            return reply
        left = end - time.monotonic()
        if left <= 0:
            return None
        started = time.monotonic()
        if (reply := await bus.wait(query_id, min(left, 1.0))) is not None:
            return resolve(reply)
        if time.monotonic() - started < 0.04:  # no waiter here yet: poll
            await asyncio.sleep(0.05)
