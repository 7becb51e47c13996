"""Which queries already have feedback: this replica's own plus every replica's, read from ``q.feedback``.

Feedback is taken only for a query whose reply this replica has seen (every replica reads all of
``q.reply`` from its start), and any feedback on such a query was sent after it, so reading
``q.feedback`` from the same start sees every earlier one. Two replicas taking feedback on one query in
the same few milliseconds can both accept it; ``bunri feedback report`` keeps the first.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from uuid import UUID

from pydantic import ValidationError

from streams import contracts as c

__all__ = ["FeedbackLedger"]

logger = logging.getLogger(__name__)


class FeedbackLedger:
    """Query ids with feedback, bounded and expiring (longer than the replies they answer)."""

    def __init__(self, max_entries: int = 100_000, ttl_s: float = 2 * 3600.0) -> None:
        self._seen: OrderedDict[UUID, float] = OrderedDict()
        self._max, self._ttl = max_entries, ttl_s

    def reserve(self, query_id: UUID) -> bool:
        """Claim the query's one feedback; False when it already has one."""
        now = time.monotonic()
        while self._seen and next(iter(self._seen.values())) < now:
            self._seen.popitem(last=False)
        if query_id in self._seen:
            return False
        self._seen[query_id] = now + self._ttl
        while len(self._seen) > self._max:
            self._seen.popitem(last=False)
        return True

    def release(self, query_id: UUID) -> None:
        """Undo a reservation whose feedback could not be published."""
        self._seen.pop(query_id, None)

    def add_raw(self, value: bytes | None) -> None:
        """A ``q.feedback`` record, as the bus reads it (this replica's own, or another's)."""
        try:
            feedback = c.decode(c.Feedback, value or b"")
        except (ValidationError, ValueError):
            logger.warning("q.feedback carried a value that is not Feedback; dropped")
            return
        self.reserve(feedback.query_id)
