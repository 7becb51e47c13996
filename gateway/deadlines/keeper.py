"""The gateway accepted the query and knows its deadline, so it is the one that ends a lost query.

A reply can be lost for good: the broker restarted empty (the embedded Tansu keeps everything in
memory), a topic was deleted, a worker died after its deadline check. Without this a client polling
``GET /v1/queries/{id}`` would see ``202 pending`` forever. Every replica can end a query: its
deadline comes from the envelope (the replica that accepted it) or from the ``accepted`` progress
event on ``q.events`` (any other replica: ``at`` + ``query_timeout_s``, the same setting everywhere).
The failure it makes is remembered, so a reply arriving later does not give the client a second,
different answer from this replica.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from uuid import UUID

from gateway.events.log import EventLog
from streams import contracts as c

__all__ = ["DeadlineKeeper"]

Reply = c.Answer | c.Failure


class DeadlineKeeper:
    """Deadlines of accepted queries and the ``timeout`` failures made for the overdue ones (bounded)."""

    def __init__(self, timeout_s: float, grace_s: float = 5.0, max_entries: int = 100_000,
                 clock: Callable[[], datetime] | None = None) -> None:
        self._timeout = timedelta(seconds=timeout_s)
        self.grace_s = grace_s
        self._deadlines: OrderedDict[UUID, datetime] = OrderedDict()
        self._ended: OrderedDict[UUID, c.Failure] = OrderedDict()
        self._max = max_entries
        self._clock = clock or (lambda: datetime.now(UTC))

    def note(self, query_id: UUID, deadline: datetime) -> None:
        """Remember the deadline of a query this replica accepted."""
        self._deadlines[query_id] = deadline
        _bound(self._deadlines, self._max)

    def deadline(self, query_id: UUID, events: EventLog | None = None) -> datetime | None:
        """The query's deadline, from this replica's own record or another replica's ``accepted`` event."""
        if (own := self._deadlines.get(query_id)) is not None:
            return own
        for event in events.events(query_id) if events is not None else ():
            if event.event == "accepted":
                return event.at + self._timeout
        return None

    def remaining(self, query_id: UUID, events: EventLog | None = None) -> float | None:
        """Seconds until the query is overdue (deadline + grace), or None when its deadline is unknown."""
        deadline = self.deadline(query_id, events)
        if deadline is None:
            return None
        return (deadline - self._clock()).total_seconds() + self.grace_s

    def overdue(self, query_id: UUID, events: EventLog | None = None) -> c.Failure | None:
        """The ``timeout`` failure of a query past deadline + grace (made once, then the same one)."""
        if (ended := self._ended.get(query_id)) is not None:
            return ended
        deadline = self.deadline(query_id, events)
        if deadline is None or self._clock() < deadline + timedelta(seconds=self.grace_s):
            return None
        failure = c.Failure(
            query_id=query_id, reason="timeout", stage="gateway", accepted_at=deadline - self._timeout,
            message=f"no reply by the query's deadline ({deadline.isoformat()}) + {self.grace_s:g}s: the pipeline "
                    "lost it (for example the broker restarted empty) or could not finish in time",
        )
        self._ended[query_id] = failure
        _bound(self._ended, self._max)
        return failure

    def ended(self, query_id: UUID) -> c.Failure | None:
        """The failure this replica already gave for the query, if any (it keeps answering the same)."""
        return self._ended.get(query_id)

    def resolve(self, query_id: UUID, result: Reply | None, events: EventLog | None = None) -> Reply | None:
        """What a client gets now: the failure already given, else the reply, else an overdue failure."""
        return self.ended(query_id) or result or self.overdue(query_id, events)


def _bound(items: OrderedDict[UUID, object], limit: int) -> None:
    while len(items) > limit:
        items.popitem(last=False)
