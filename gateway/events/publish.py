"""The gateway's own event: ``accepted``, on ``q.events`` before the query goes to preprocess."""

from __future__ import annotations

from gateway.auth.context import current_key_id
from gateway.bus import RequestBus
from gateway.events.log import EventLog
from streams import contracts as c
from streams.progress import accepted_event

__all__ = ["announce_accepted"]


async def announce_accepted(bus: RequestBus, log: EventLog, request: c.QueryRequest) -> None:
    """Put ``accepted`` in this replica's log (its streams see it at once) and on ``q.events`` (the others').

    Awaited before the query is submitted, so it precedes every stage's event on the query's partition.

    Raises:
        BrokerUnavailable: Kafka did not take it (the query is not submitted either).
    """
    event = accepted_event(request.envelope.query_id, has_image=request.image is not None,
                           now=request.envelope.created_at, client=current_key_id())  # who owns it
    log.add(event)
    await bus.publish("events", str(event.query_id).encode(), event.model_dump_json().encode())
