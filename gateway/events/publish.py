"""The gateway's own event: ``accepted``, on ``q.events`` ahead of the query going to preprocess."""

from __future__ import annotations

from gateway.auth.context import current_key_id
from gateway.bus import Record
from gateway.events.log import EventLog
from streams import contracts as c
from streams.progress import accepted_event

__all__ = ["accepted_record"]


def accepted_record(log: EventLog, request: c.QueryRequest) -> Record:
    """Put ``accepted`` in this replica's log (its streams see it at once); return it as the record the bus
    produces with the request (``bus.submit(request, [record])``).

    The bus queues it ahead of the request and both go in one produce round trip (a round trip of its
    own, awaited first, cost every query a broker request and ~1 ms); both are acknowledged before the
    query counts as submitted. Preprocess's event can only follow: it is produced after preprocess read
    the request, so the query's events stay in order on their partition.
    """
    event = accepted_event(request.envelope.query_id, has_image=request.image is not None,
                           now=request.envelope.created_at, client=current_key_id())  # who owns it
    log.add(event)
    return "events", str(event.query_id).encode(), event.model_dump_json().encode()
