"""``GET /v1/queries/{id}/events``: the query's progress as Server-Sent Events."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Header
from fastapi.sse import EventSourceResponse

from gateway.deps import BusDep, DeadlinesDep, EventsDep, SettingsDep
from gateway.errors import ApiError
from gateway.events.stream import event_stream

__all__ = ["router"]

router = APIRouter()

#: How long to wait for the first event of a query this replica has not seen (another replica accepted
#: it a moment ago and its ``accepted`` event is on its way through Kafka).
FIRST_EVENT_GRACE_S = 3.0

_DESCRIPTION = """\
Server-Sent Events, one per step, in order: `accepted`, `preprocessed` (`cache_hit`), `analysed`
(the item guesses and `confidence`, before the rules), `rules` (the items with their categories), then
`answer` (the result object in `answer`) or `failure` (the Failure in `failure`), after which the
stream closes. Each event's `data` is a `ProgressEvent` (`schemas/q.events.v1.json`); its `id` is the
step's number (1-5), so a reconnecting `EventSource` (`Last-Event-ID`) resumes after the last one.
Works on any gateway replica; a late client gets the events so far. Mobile clients:
`POST /v1/queries?wait=0` (202 with `query_id`), then open this URL.
"""


# The handler returns the stream itself (after its 404 check), so no response_class=EventSourceResponse:
# with it FastAPI would expect the handler to be the event generator.
@router.get("/v1/queries/{query_id}/events", description=_DESCRIPTION,
            summary="Live progress of a query (text/event-stream)",
            responses={200: {"content": {"text/event-stream": {}}, "description": "The event stream."},
                       404: {"description": "No such query on this gateway (after a short wait)."}})
async def query_events(query_id: UUID, bus: BusDep, events: EventsDep, settings: SettingsDep, deadlines: DeadlinesDep,
                       last_event_id: Annotated[str | None, Header(alias="Last-Event-ID", max_length=8)] = None,
                       ) -> EventSourceResponse:
    if bus.result(query_id) is None and not bus.known(query_id) \
            and not await events.wait_known(query_id, FIRST_EVENT_GRACE_S):
        raise ApiError(404, "not_found", f"no query {query_id} is known to this gateway")
    after = int(last_event_id) if last_event_id and last_event_id.isdigit() else 0
    # an overdue query ends with the gateway's timeout failure, like GET (gateway/deadlines)
    stream = event_stream(events, query_id, lambda q: deadlines.resolve(q, bus.result(q), events), after=after,
                          max_s=settings.query_timeout_s + 15)
    return EventSourceResponse(stream, headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
