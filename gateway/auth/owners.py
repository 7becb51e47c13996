"""Which API key owns which query, on every gateway replica (from the ``accepted`` events on q.events)."""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from uuid import UUID

from gateway.events import EventLog
from streams import contracts as c

__all__ = ["NO_KEY", "OwnerIndex"]

logger = logging.getLogger(__name__)

#: The owner of a query accepted without a key (keys off on the replica that took it).
NO_KEY = ""


class OwnerIndex:
    """query id -> key id, bounded and expiring; lives as long as results do (the event log is shorter).

    Fed by the q.events reader (every replica's ``accepted`` events) and, for this replica's own queries,
    read from the event log first: the ``accepted`` event is there before the query is even submitted.
    """

    def __init__(self, events: EventLog, max_entries: int = 100_000, ttl_s: float = 24 * 3600) -> None:
        self._events = events
        self._owners: OrderedDict[UUID, tuple[float, str]] = OrderedDict()
        self._max, self._ttl = max_entries, ttl_s

    def add_event(self, event: c.ProgressEvent) -> None:
        """A decoded ``q.events`` record (the reader decodes each once for every consumer)."""
        if event.event == "accepted":
            self.add(event.query_id, event.client)

    def add(self, query_id: UUID, key_id: str | None) -> None:
        self._owners[query_id] = (time.monotonic() + self._ttl, key_id or NO_KEY)
        self._owners.move_to_end(query_id)
        while len(self._owners) > self._max:
            self._owners.popitem(last=False)

    def owner(self, query_id: UUID) -> str | None:
        """The owning key id (``NO_KEY`` for a keyless query); None when this replica never saw it."""
        for event in self._events.events(query_id)[:1]:
            if event.event == "accepted":
                return event.client or NO_KEY
        entry = self._owners.get(query_id)
        if entry is None or entry[0] <= time.monotonic():
            return None
        return entry[1]
