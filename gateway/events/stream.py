"""One query's progress as ``text/event-stream``: the events so far, then each as it arrives, then close."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from uuid import UUID

from fastapi.sse import KEEPALIVE_COMMENT, format_sse_event

from gateway.events.log import RANK, TERMINAL, EventLog
from streams import contracts as c
from streams.observability.metrics import SSE_STREAMS

__all__ = ["LAST_ID", "event_stream", "format_event"]

Reply = c.Answer | c.Failure
#: The id of the last event of every stream (answer or failure).
LAST_ID = RANK["answer"] + 1


def format_event(event: c.ProgressEvent) -> bytes:
    """``event: <kind>``, ``id: <rank + 1>`` (stable across replicas, for Last-Event-ID), JSON data."""
    return format_sse_event(event=event.event, id=str(RANK[event.event] + 1),
                            data_str=event.model_dump_json(exclude_none=True))


async def event_stream(log: EventLog, query_id: UUID, result: Callable[[UUID], Reply | None], *,
                       after: int = 0, max_s: float = 60.0, ping_s: float = 15.0,
                       reply_grace_s: float = 1.0) -> AsyncIterator[bytes]:
    """Yield the query's events with an id above ``after`` until its answer or failure, or ``max_s``.

    ``result`` is the replica's reply store. When the reply is known but its answer/failure event is
    not (the events expired, this replica started after them, or a worker published none), the stream
    ends with an event made from the reply, after ``reply_grace_s`` for the real one to arrive.
    """
    SSE_STREAMS.inc()
    try:
        now = time.monotonic()
        deadline, last_write, reply_due = now + max_s, now, None
        sent = after
        while sent < LAST_ID:
            events = log.events(query_id)
            for event in events:
                if RANK[event.event] + 1 <= sent:
                    continue
                yield format_event(event)
                sent, last_write = RANK[event.event] + 1, time.monotonic()
                if event.event in TERMINAL:
                    return
            if (reply := result(query_id)) is not None:
                reply_due = reply_due or time.monotonic() + (reply_grace_s if log.known(query_id) else 0.0)
                if time.monotonic() >= reply_due:
                    yield format_event(_from_reply(reply))
                    return
            now = time.monotonic()
            if now >= deadline:
                yield format_sse_event(comment="no answer within the stream's time; GET the query for its result")
                return
            left = min(deadline, reply_due or deadline) - now
            if log.known(query_id):
                await log.wait(query_id, len(events), min(ping_s, left))
            else:  # not tracked here (yet, or any more): poll for its first event or its reply
                await log.wait_known(query_id, min(0.25, left))
            if time.monotonic() - last_write >= ping_s:
                yield KEEPALIVE_COMMENT  # keeps proxies from closing an idle stream
                last_write = time.monotonic()
    finally:
        SSE_STREAMS.dec()


def _from_reply(reply: Reply) -> c.ProgressEvent:
    if isinstance(reply, c.Answer):
        return c.ProgressEvent(query_id=reply.query_id, event="answer", stage="reply", answer=reply)
    return c.ProgressEvent(query_id=reply.query_id, event="failure", stage=reply.stage, failure=reply)
