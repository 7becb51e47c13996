"""Idempotency-Key across gateway replicas, agreed through q.events (no store besides Kafka).

A key's query id is derived, not drawn: ``uuid5(client, key, window)`` where the window is the TTL
period the key was first used in, so every replica computes the same id for the same key. Whoever
wants to run it publishes an ``accepted`` event for that id carrying the request's fingerprint and a
nonce of its own (its *claim*). Events are keyed by query id, so all claims for a key land on one
partition, in one order that every replica reads: the first claim there wins. Its author submits
the query; every other request (on any replica) waits for that query's reply like the winner does,
or gets ``422 idempotency_key_reused`` when its fingerprint differs from the winner's.

Expiry: a claim is kept ``BUNRI_IDEMPOTENCY_TTL_S`` from its event's time. A key is looked up in its
current window and the previous one (a claim made late in one window lives on into the next); once
that claim expired, the key is claimed afresh under the current window's id, which no earlier claim
could have used.

Limits: a restarted replica knows the claims of the window it re-reads (``BUNRI_GATEWAY_REBUILD_S``)
and those that follow; a key older than that is treated as new by that replica.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from streams import contracts as c
from streams.errors import BrokerUnavailable
from streams.progress import accepted_event

__all__ = ["ClaimBook", "SharedClaim", "claim", "key_query_id"]

#: Fixed: changing it changes every key's query id (retries across the upgrade would run twice).
_NAMESPACE = UUID("6b3f9e0e-2f55-4c55-9d3e-8a1f3b1c0d7e")


def key_query_id(scope: str, window: int) -> UUID:
    """The query id every replica derives for a scoped key (client + key) in a TTL window."""
    return uuid.uuid5(_NAMESPACE, f"{window}\x00{scope}")


@dataclass(frozen=True)
class SharedClaim:
    """The winning claim on a key's query: the fingerprint of its request and its author's nonce."""

    query_id: UUID
    fingerprint: str
    nonce: str
    expires: float  # time.monotonic()


class ClaimBook:
    """The first ``accepted`` claim per keyed query id, as read from q.events; bounded and expiring.

    Example:
        book = ClaimBook(ttl_s=86_400)
        qid, claim = book.current(scope)           # claim None: nobody ran this key yet
        claim = await book.wait_for(qid, 5.0)      # after publishing our own claim
    """

    def __init__(self, ttl_s: float = 86_400.0, max_entries: int = 50_000) -> None:
        self._claims: OrderedDict[UUID, SharedClaim] = OrderedDict()
        self._arrivals: dict[UUID, asyncio.Event] = {}
        self._ttl, self._max = ttl_s, max_entries

    def add_event(self, event: c.ProgressEvent) -> None:
        """A decoded q.events record (the reader decodes each once for every consumer)."""
        if event.event == "accepted" and event.claim and event.fingerprint:
            self.observe(event)

    def observe(self, event: c.ProgressEvent) -> None:
        if self.get(event.query_id) is not None:
            return  # a later claim on a live key: it lost, the first one stands
        age = max(0.0, (datetime.now(UTC) - event.at).total_seconds())
        self._claims[event.query_id] = SharedClaim(event.query_id, event.fingerprint or "", event.claim or "",
                                                   time.monotonic() + self._ttl - age)
        self._claims.move_to_end(event.query_id)
        while len(self._claims) > self._max:
            self._claims.popitem(last=False)
        if (arrival := self._arrivals.pop(event.query_id, None)) is not None:
            arrival.set()

    def get(self, query_id: UUID) -> SharedClaim | None:
        claim = self._claims.get(query_id)
        return claim if claim is not None and claim.expires > time.monotonic() else None

    def current(self, scope: str, now: float | None = None) -> tuple[UUID, SharedClaim | None]:
        """The key's live claim (this window's or the previous one's), else this window's id to claim."""
        window = int((time.time() if now is None else now) // self._ttl)
        for w in (window, window - 1):
            if (claim := self.get(key_query_id(scope, w))) is not None:
                return claim.query_id, claim
        return key_query_id(scope, window), None

    async def wait_for(self, query_id: UUID, timeout: float) -> SharedClaim | None:
        """The winning claim on ``query_id`` once the reader saw one; None after ``timeout``."""
        if (claim := self.get(query_id)) is not None:
            return claim
        arrival = self._arrivals.setdefault(query_id, asyncio.Event())
        try:
            await asyncio.wait_for(arrival.wait(), timeout)
        except TimeoutError:
            self._arrivals.pop(query_id, None)
        return self.get(query_id)


async def claim(bus: Any, book: ClaimBook, query_id: UUID, digest: str, *, has_image: bool, client: str | None,
                timeout: float) -> tuple[SharedClaim, bool]:
    """Publish our claim on ``query_id`` and read back the winner; (winning claim, True when it is ours).

    Our own claim goes to Kafka only, not straight into this replica's books: who won is decided by the
    order on the partition, which every replica reads the same way.

    Raises:
        BrokerUnavailable: Kafka did not take the claim, or the reader did not see a winner in ``timeout``.
    """
    nonce = uuid.uuid4().hex
    event = accepted_event(query_id, has_image=has_image, client=client).model_copy(
        update={"fingerprint": digest, "claim": nonce})
    await bus.publish("events", str(query_id).encode(), event.model_dump_json().encode())
    won = await book.wait_for(query_id, timeout)
    if won is None:
        raise BrokerUnavailable(f"the claim on this Idempotency-Key was not read back within {timeout:.0f}s")
    return won, won.nonce == nonce
