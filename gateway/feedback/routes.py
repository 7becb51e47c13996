"""``POST /v1/queries/{id}/feedback``: validated, size-limited, one per query, published to ``q.feedback``."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError, field_validator

from gateway.deps import BusDep, EventsDep, FeedbackDep
from gateway.errors import ApiError
from streams import contracts as c
from streams.errors import BrokerUnavailable
from streams.observability.metrics import FEEDBACK

__all__ = ["FeedbackIn", "MAX_FEEDBACK_BYTES", "router"]

router = APIRouter()

#: The whole request body; the longest valid one (a 500-character Korean comment) is about 1.8 KB.
MAX_FEEDBACK_BYTES = 4096


class FeedbackIn(BaseModel):
    """What a client sends; the gateway adds the query's question and answered item."""

    model_config = ConfigDict(extra="forbid")

    helpful: StrictBool = Field(description="Was the answer helpful (👍 true, 👎 false)?")
    correct_category: c.OfficialCategory | None = Field(default=None, description="One of the 18 codes.")
    correct_item: Annotated[str | None, Field(max_length=c.MAX_FEEDBACK_ITEM_CHARS)] = None
    comment: Annotated[str | None, Field(max_length=c.MAX_FEEDBACK_COMMENT_CHARS)] = None

    @field_validator("correct_item", "comment")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None


_RESPONSES: dict[int | str, dict[str, Any]] = {
    202: {"description": "Accepted and published to q.feedback."},
    404: {"description": "No such query on this gateway (or its reply has expired)."},
    409: {"description": "`feedback_exists`: this query already has feedback; `not_answered`: no answer yet."},
    413: {"description": f"Body over {MAX_FEEDBACK_BYTES} bytes."},
    422: {"description": "Not a valid feedback object."},
}


@router.post("/v1/queries/{query_id}/feedback", status_code=202, responses=_RESPONSES,
             openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
                 "schema": FeedbackIn.model_json_schema()}}}},
             summary="Say whether an answer helped, and what the item really is")
async def send_feedback(query_id: UUID, request: Request, bus: BusDep, events: EventsDep,
                        ledger: FeedbackDep) -> JSONResponse:
    try:
        body = FeedbackIn.model_validate_json(await _read_limited(request))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "body"
        raise ApiError(422, "invalid_input", f"{where}: {first.get('msg', 'invalid feedback')}") from exc
    reply = bus.result(query_id)
    if not isinstance(reply, c.Answer):
        if reply is not None or bus.known(query_id) or events.known(query_id):
            raise ApiError(409, "not_answered", f"query {query_id} has no answer to rate")
        raise ApiError(404, "not_found", f"no query {query_id} is known to this gateway")
    if not ledger.reserve(query_id):
        raise ApiError(409, "feedback_exists", f"query {query_id} already has feedback")
    feedback = c.Feedback(query_id=query_id, question=reply.question, answered_item=reply.item,
                          needs_clarification=reply.needs_clarification, **body.model_dump())
    try:
        await bus.publish("feedback", str(query_id).encode(), feedback.model_dump_json().encode())
    except BrokerUnavailable as exc:
        ledger.release(query_id)
        raise ApiError(503, "broker_unavailable", exc.message) from exc
    corrected = bool(body.correct_category or body.correct_item)
    FEEDBACK.labels(str(body.helpful).lower(), str(corrected).lower()).inc()
    return JSONResponse({"query_id": str(query_id), "status": "accepted"}, status_code=202)


async def _read_limited(request: Request) -> bytes:
    if not request.headers.get("content-type", "").startswith("application/json"):
        raise ApiError(415, "unsupported_media_type", 'send application/json {"helpful": true|false, ...}')
    if int(request.headers.get("content-length") or 0) > MAX_FEEDBACK_BYTES:
        raise ApiError(413, "payload_too_large", f"feedback is limited to {MAX_FEEDBACK_BYTES} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FEEDBACK_BYTES:
            raise ApiError(413, "payload_too_large", f"feedback is limited to {MAX_FEEDBACK_BYTES} bytes")
    return bytes(body)
