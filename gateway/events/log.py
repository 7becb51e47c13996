"""The recent progress events of every query, as one gateway replica read them from ``q.events``.

Every replica reads all of ``q.events`` (like ``q.reply``), so a client reaching any replica gets the
same stream, and a client that connects late gets the events so far. Memory is bounded: at most
``max_queries`` queries, each forgotten ``ttl_s`` after its first event, and at most one event of each
kind per query (a redelivered stage publishes its event again; the copy is dropped).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from uuid import UUID

from pydantic import ValidationError

from streams import contracts as c

__all__ = ["RANK", "EventLog", "decode_event", "event_reader"]

logger = logging.getLogger(__name__)

#: Where each kind stands in a query's life; also the SSE event id (rank + 1). answer/failure end it.
RANK: dict[str, int] = {"accepted": 0, "preprocessed": 1, "analysed": 2, "rules": 3, "answer": 4, "failure": 4}
TERMINAL = frozenset({"answer", "failure"})


@dataclass
class _Entry:
    expires: float
    events: list[c.ProgressEvent] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    #: The ``answer`` event as JSON; ``events[-1]`` is then the same event without its result object.
    #: Thousands of parsed result objects (hundreds of GC-tracked objects each) made every full garbage
    #: collection of the gateway a stall of its event loop (gateway/results.py); bytes are not tracked.
    answer_json: bytes | None = None

    @property
    def finished(self) -> bool:
        return bool(self.events) and self.events[-1].event in TERMINAL

    def full(self) -> list[c.ProgressEvent]:
        if self.answer_json is None:
            return list(self.events)
        return [*self.events[:-1], c.ProgressEvent.model_validate_json(self.answer_json)]


class EventLog:
    """Progress events per query, bounded and expiring; subscribers wait for the next one.

    Example:
        log = EventLog()
        log.add(accepted_event(qid, has_image=False))
        seen = 0
        while not log.finished(qid):
            await log.wait(qid, seen, timeout=15)
            ...
    """

    def __init__(self, max_queries: int = 2_000, ttl_s: float = 900.0) -> None:
        self._entries: OrderedDict[UUID, _Entry] = OrderedDict()
        self._arrivals: dict[UUID, asyncio.Event] = {}
        self._max, self._ttl = max_queries, ttl_s
        self.dropped = 0  # duplicates and out-of-order copies

    def add(self, event: c.ProgressEvent, *, create: bool = True) -> bool:
        """Keep ``event``; False when it is a copy, comes after the end, or its query is not tracked."""
        self._expire()
        entry = self._entries.get(event.query_id)
        if entry is None:
            if not create:
                return False
            entry = self._entries[event.query_id] = _Entry(expires=time.monotonic() + self._ttl)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)
            if (arrival := self._arrivals.pop(event.query_id, None)) is not None:
                arrival.set()
        last = RANK[entry.events[-1].event] if entry.events else -1
        if entry.finished or RANK[event.event] <= last:
            self.dropped += 1
            return False
        if event.answer is not None:
            entry.answer_json = event.model_dump_json().encode()
            event = event.model_copy(update={"answer": None})
        entry.events.append(event)
        changed, entry.changed = entry.changed, asyncio.Event()
        changed.set()  # wake the streams waiting on this query
        return True

    def add_raw(self, value: bytes | None) -> None:
        """A ``q.events`` record, as the bus reads it."""
        if (event := decode_event(value)) is not None:
            self.add(event)

    def add_reply(self, reply: c.Answer | c.Failure) -> None:
        """End a tracked query's stream from its reply, if its own answer/failure event has not come.

        Keeps the stream finite when a worker publishes no events (an older version during a rolling
        upgrade) or the event is late; queries this replica does not track are left to the result store.
        """
        kind: c.ProgressKind = "answer" if isinstance(reply, c.Answer) else "failure"
        stage = reply.stage if isinstance(reply, c.Failure) else "reply"
        self.add(c.ProgressEvent(query_id=reply.query_id, event=kind, stage=stage,
                                 **{kind: reply}), create=False)  # type: ignore[arg-type]

    def events(self, query_id: UUID) -> list[c.ProgressEvent]:
        entry = self._live(query_id)
        return entry.full() if entry else []

    def known(self, query_id: UUID) -> bool:
        return self._live(query_id) is not None

    def finished(self, query_id: UUID) -> bool:
        entry = self._live(query_id)
        return bool(entry and entry.finished)

    async def wait(self, query_id: UUID, seen: int, timeout: float) -> bool:
        """Wait until the query has more than ``seen`` events; False on timeout or when it is forgotten."""
        entry = self._live(query_id)
        if entry is None:
            return False
        if len(entry.events) > seen:
            return True
        try:
            await asyncio.wait_for(entry.changed.wait(), timeout)
        except TimeoutError:
            return False
        return True

    async def wait_known(self, query_id: UUID, timeout: float) -> bool:
        """Wait until the query's first event arrives (another replica may have accepted it)."""
        if self.known(query_id):
            return True
        arrival = self._arrivals.setdefault(query_id, asyncio.Event())
        try:
            await asyncio.wait_for(arrival.wait(), timeout)
        except TimeoutError:
            return self.known(query_id)
        finally:
            if not arrival.is_set() and self._arrivals.get(query_id) is arrival:
                del self._arrivals[query_id]
        return True

    def __len__(self) -> int:
        return len(self._entries)

    def _live(self, query_id: UUID) -> _Entry | None:
        entry = self._entries.get(query_id)
        return entry if entry is not None and entry.expires > time.monotonic() else None

    def _expire(self) -> None:
        now = time.monotonic()
        while self._entries:
            first = next(iter(self._entries.values()))
            if first.expires > now:
                break
            self._entries.popitem(last=False)


def decode_event(value: bytes | None) -> c.ProgressEvent | None:
    """A ``q.events`` value as a ProgressEvent; None (logged) when it is not one."""
    try:
        return c.decode(c.ProgressEvent, value or b"")
    except (ValidationError, ValueError):
        logger.warning("q.events carried a value that is not a ProgressEvent; dropped")
        return None


def event_reader(*sinks: Callable[[c.ProgressEvent], object]) -> Callable[[bytes | None], None]:
    """One ``q.events`` callback for the bus that decodes each record once and hands it to every sink.

    The log, the owner index and the claim book each decoded every event themselves: three pydantic
    passes over every answer event (the whole result object), a tenth of the gateway's CPU.
    """

    def feed(value: bytes | None) -> None:
        if (event := decode_event(value)) is not None:
            for sink in sinks:
                sink(event)

    return feed
