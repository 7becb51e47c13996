"""``POST /v1/queries``, ``GET /v1/queries/{id}``, ``/healthz``, ``/readyz``."""

from __future__ import annotations

import time
from collections.abc import Awaitable
from typing import Annotated, Any, TypeVar
from uuid import UUID

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse, Response

from gateway.auth.context import current_key_id
from gateway.deadlines import DeadlineKeeper
from gateway.deps import BusDep, DeadlinesDep, EventsDep, IdempotencyDep, SettingsDep, StoreDep
from gateway.errors import FAILURE_STATUS, ApiError, failure_response
from gateway.events.publish import accepted_record
from gateway.idempotency import Claim, ClaimBook, SharedClaim, await_first, claim, fingerprint, scoped_key
from gateway.inputs import QueryInput, read_query_input
from gateway.limits import admitted_query_id
from streams import contracts as c
from streams.errors import BrokerUnavailable, PermanentError
from streams.intake import build_request, clean_question
from streams.observability.logs import log_context
from streams.settings import Settings

__all__ = ["router"]

router = APIRouter()
_T = TypeVar("_T")

_REGION = {"type": "string", "maxLength": 60,
           "description": "Optional: the user's 시·군·구, as a code (11680) or a name ('강남구', '서울 강남구', "
                          "'수원시 영통구'); an ambiguous name ('중구') is asked back. Never an address."}
_QUERY_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["question"],
                    "properties": {
                        "question": {"type": "string", "minLength": 1, "maxLength": c.MAX_QUESTION_CHARS},
                        "image": {"type": "string", "format": "binary",
                                  "description": "JPEG, PNG, WebP or HEIC photo, at most 20 MB by default."},
                        "region": _REGION,
                    },
                }
            },
            "application/json": {
                "schema": {"type": "object", "required": ["question"], "additionalProperties": False,
                           "properties": {"question": {"type": "string", "maxLength": c.MAX_QUESTION_CHARS},
                                          "region": _REGION}}
            },
        },
    }
}

_ERRORS: dict[int | str, dict[str, Any]] = {
    202: {"description": "Not answered within `wait` seconds: `{query_id, status, events}`; follow the `events` "
               "URL (SSE) or poll the Location."},
    413: {"description": "Upload over the size limit (`image_too_large`)."},
    415: {"description": "The file is not a JPEG/PNG/WebP/HEIC image (`unsupported_image`)."},
    422: {"description": "Missing, empty or too long question; corrupt image; no rule; an Idempotency-Key "
               "reused for a different request (`idempotency_key_reused`)."},
    502: {"description": "The model returned unusable output (`model_bad_output`)."},
    503: {"description": "Kafka unreachable (`broker_unavailable`) or model unavailable."},
    504: {"description": "The query's deadline passed inside the pipeline (`timeout`)."},
}


def _reply_response(reply: c.Answer | c.Failure, accepted_at: float | None = None) -> Response:
    if isinstance(reply, c.Failure):
        return failure_response(reply)
    if accepted_at is not None:
        total = round((time.perf_counter() - accepted_at) * 1000, 2)
        reply = reply.model_copy(update={"timings_ms": {**reply.timings_ms, "total": total}})
    # pydantic's own encoder, not model_dump + json.dumps: the result object is 10-40 KB (its rules)
    return Response(reply.model_dump_json(), media_type="application/json")


def _pending(query_id: UUID) -> JSONResponse:
    return JSONResponse({"query_id": str(query_id), "status": "pending",
                         "events": f"/v1/queries/{query_id}/events"}, status_code=202,
                        headers={"Location": f"/v1/queries/{query_id}"})


@router.post("/v1/queries", response_model=c.Answer, openapi_extra=_QUERY_BODY, responses=_ERRORS,
             summary="Ask how to dispose of an item (question, optional photo)")
async def create_query(
    request: Request, bus: BusDep, settings: SettingsDep, store: StoreDep, idempotency: IdempotencyDep,
    events: EventsDep, deadlines: DeadlinesDep,
    wait: Annotated[float, Query(ge=0, le=60, description="Seconds to wait for the answer; 0 answers 202 at "
                                 "once (then follow /v1/queries/{id}/events).")] = 30,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)] = None,
) -> JSONResponse:
    accepted_at = time.perf_counter()
    sent = await read_query_input(request, settings.preprocess.max_upload_bytes)  # strict: 413/415/422
    question, data, region = _clean(sent.question), sent.image, _region_text(sent.region)
    if not bus.ready:
        raise ApiError(503, "broker_unavailable", "the pipeline is not connected to Kafka")
    query_id = admitted_query_id(request)  # counted in flight from here (gateway/limits)
    scope = scoped_key(idempotency_key, current_key_id()) if idempotency_key else None
    digest = fingerprint(question, data, region)
    claims: ClaimBook | None = getattr(request.state, "claims", None)  # shared over q.events (with Kafka)
    if scope and claims is not None:
        query_id, known = claims.current(scope)  # the key's id, the same on every replica
        if known is not None:  # another request (here or on another replica) already runs it
            return await _attach(bus, deadlines, events, known, digest, wait)
    # Reserve the key before any work, so two concurrent retries cannot both submit (gateway/idempotency).
    if scope and (previous := idempotency.reserve(scope, query_id, digest)) is not None:
        if claims is not None:  # the shared winner decides, not our local contender
            previous = await _shared_claim(claims.wait_for(previous.query_id, _CLAIM_WAIT_S))
        return await _attach(bus, deadlines, events, previous, digest, wait)
    try:
        if scope and claims is not None:
            won, ours = await _shared_claim(claim(bus, claims, query_id, digest, has_image=data is not None,
                                                  client=current_key_id(), timeout=_CLAIM_WAIT_S))
            if not ours:  # another replica's claim came first on the partition
                return await _attach(bus, deadlines, events, won, digest, wait)
        with log_context(query_id=query_id, stage="gateway"):  # JSON log lines of this query carry its id
            return await _submit(bus, events, settings, store, query_id, question, data, sent,
                                 idempotency_key, wait, accepted_at, region=region, deadlines=deadlines,
                                 announced=bool(scope and claims is not None))
    except Exception:
        if scope:
            idempotency.release(scope, query_id)
        raise


#: How long a keyed request waits to read its claim back from q.events before answering 503.
_CLAIM_WAIT_S = 10.0


async def _shared_claim(pending: Awaitable[_T]) -> _T:
    try:
        if (outcome := await pending) is None:
            raise BrokerUnavailable("no claim on this Idempotency-Key was read back from Kafka")
        return outcome
    except BrokerUnavailable as exc:
        raise ApiError(503, "broker_unavailable", exc.message) from exc


async def _attach(bus: Any, deadlines: DeadlineKeeper, events: Any, first: Claim | SharedClaim, digest: str,
                  wait: float) -> JSONResponse:
    """A repeat of a key: 422 for another request, else the first request's result, waited for like it."""
    if first.fingerprint != digest:
        raise ApiError(422, "idempotency_key_reused",
                       "this Idempotency-Key was used for a different request; use a new key")
    left = deadlines.remaining(first.query_id, events)
    reply = await await_first(bus, first.query_id, wait if left is None else max(0.0, min(wait, left)),
                              lambda r: deadlines.resolve(first.query_id, r, events))
    return _reply_response(reply) if reply is not None else _pending(first.query_id)


async def _submit(bus: Any, events: Any, settings: Settings, store: Any, query_id: UUID, question: str,
                  data: bytes | None, sent: QueryInput, idempotency_key: str | None, wait: float,
                  accepted_at: float, *, region: str | None = None,
                  deadlines: DeadlineKeeper | None = None, announced: bool = False) -> JSONResponse:
    try:
        request_msg = await build_request(
            settings, store, question, image=data, query_id=query_id, idempotency_key=idempotency_key,
            filename=sent.filename, content_type=sent.content_type,
            region=region,
        )
        if deadlines is not None:
            deadlines.note(query_id, request_msg.envelope.deadline)
        # the first progress event (SSE), produced with the request; a keyed query's claim already was its
        # accepted event (gateway/idempotency/shared.py)
        await bus.submit(request_msg, [] if announced else [accepted_record(events, request_msg)])
    except PermanentError as exc:
        raise ApiError(FAILURE_STATUS.get(exc.reason, 422), exc.reason, exc.message) from exc
    except BrokerUnavailable as exc:
        raise ApiError(503, "broker_unavailable", exc.message) from exc
    reply = await _await_reply(bus, deadlines, events, query_id, wait)
    return _reply_response(reply, accepted_at) if reply is not None else _pending(query_id)


async def _await_reply(bus: Any, deadlines: DeadlineKeeper | None, events: Any, query_id: UUID,
                       wait: float) -> c.Answer | c.Failure | None:
    """Wait up to ``wait`` s but not past the query's deadline + grace: by then it is a 504, never a 202."""
    if deadlines is None:
        return await bus.wait(query_id, wait)
    remaining = deadlines.remaining(query_id, events)
    reply = await bus.wait(query_id, wait if remaining is None else max(0.0, min(wait, remaining)))
    return deadlines.resolve(query_id, reply, events)


def _region_text(value: object) -> str | None:
    if value is not None and not isinstance(value, str):
        raise ApiError(422, "invalid_input", "region must be text (a 시·군·구 code or name)")
    return value


def _clean(value: object) -> str:
    try:
        return clean_question(value)
    except PermanentError as exc:
        raise ApiError(422, exc.reason, exc.message) from exc


@router.get("/v1/queries/{query_id}", response_model=c.Answer, responses=_ERRORS,
            summary="The result of an earlier query (202 while pending)")
async def get_query(query_id: UUID, bus: BusDep, events: EventsDep, deadlines: DeadlinesDep) -> JSONResponse:
    reply = deadlines.resolve(query_id, bus.result(query_id), events)  # overdue: 504, from any replica
    if reply is not None:
        return _reply_response(reply)
    if bus.known(query_id) or events.known(query_id):  # accepted here, or its events came from another replica
        return _pending(query_id)
    raise ApiError(404, "not_found", f"no query {query_id} is known to this gateway")


@router.get("/healthz", summary="Liveness")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="Readiness: producer started, reply partitions positioned, broker answering "
                               "with our topics")
async def readyz(request: Request) -> JSONResponse:
    bus = getattr(request.state, "bus", None)
    ready = bool(bus is not None and bus.ready)
    body: dict[str, Any] = {"ready": ready}
    if ready and (probe := getattr(request.state, "broker_probe", None)) is not None:
        checked = await probe.check()  # the broker answers and has our topics (frozen or emptied: 503)
        body = {**checked.as_dict(), "ready": checked.ok}
    return JSONResponse(body, status_code=200 if body["ready"] else 503)
