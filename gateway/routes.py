"""``POST /v1/queries``, ``GET /v1/queries/{id}``, ``/healthz``, ``/readyz``."""

from __future__ import annotations

import json
import time
import uuid
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse
from starlette.datastructures import UploadFile

from gateway.deps import BusDep, EventsDep, IdempotencyDep, SettingsDep, StoreDep
from gateway.errors import FAILURE_STATUS, ApiError, failure_response
from gateway.events.publish import announce_accepted
from streams import contracts as c
from streams.errors import BrokerUnavailable, PermanentError
from streams.intake import build_request, clean_question
from streams.observability.logs import log_context
from streams.settings import Settings

__all__ = ["router"]

router = APIRouter()

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
    422: {"description": "Missing, empty or too long question; corrupt image; no rule."},
    502: {"description": "The model returned unusable output (`model_bad_output`)."},
    503: {"description": "Kafka unreachable (`broker_unavailable`) or model unavailable."},
    504: {"description": "The query's deadline passed inside the pipeline (`timeout`)."},
}


async def _read_input(request: Request, settings: Settings) -> tuple[str, bytes | None, UploadFile | None]:
    limit = settings.preprocess.max_upload_bytes
    declared = int(request.headers.get("content-length") or 0)
    if declared > limit + 64 * 1024:  # refuse before reading the body at all
        raise ApiError(413, "image_too_large", f"request body is {declared} bytes; the limit is {limit}")
    ctype = request.headers.get("content-type", "")
    if ctype.startswith("application/json"):
        try:
            body = json.loads(await request.body() or b"null")
        except ValueError as exc:
            raise ApiError(422, "invalid_input", f"body is not valid JSON: {exc}") from exc
        if not isinstance(body, dict) or set(body) - {"question", "region"}:
            raise ApiError(422, "invalid_input", 'JSON body must be {"question": "...", "region"?: "..."}')
        return _clean(body.get("question")), None, None
    if ctype.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        form = await request.form(max_files=1, max_fields=10)
        question = _clean(form.get("question"))
        upload = form.get("image")
        if isinstance(upload, UploadFile) and (upload.filename or upload.size):
            data = await upload.read(limit + 1)
            return question, data, upload
        return question, None, None
    raise ApiError(415, "unsupported_media_type",
                   "send multipart/form-data (question, image) or application/json {\"question\"}")


async def _read_region(request: Request) -> str | None:
    """The optional ``region`` field (the body is cached by then: ``_read_input`` read it)."""
    if request.headers.get("content-type", "").startswith("application/json"):
        body = json.loads(await request.body() or b"null")
        value = body.get("region") if isinstance(body, dict) else None
    else:
        value = (await request.form()).get("region")
    if isinstance(value, int) and not isinstance(value, bool):  # {"region": 11680}
        value = str(value)
    if value is not None and not isinstance(value, str):
        raise ApiError(422, "invalid_input", "region must be text (a 시·군·구 code or name)")
    return value


def _reply_response(reply: c.Answer | c.Failure, accepted_at: float | None = None) -> JSONResponse:
    if isinstance(reply, c.Failure):
        return failure_response(reply)
    if accepted_at is not None:
        total = round((time.perf_counter() - accepted_at) * 1000, 2)
        reply = reply.model_copy(update={"timings_ms": {**reply.timings_ms, "total": total}})
    return JSONResponse(reply.model_dump(mode="json"))


def _pending(query_id: UUID) -> JSONResponse:
    return JSONResponse({"query_id": str(query_id), "status": "pending",
                         "events": f"/v1/queries/{query_id}/events"}, status_code=202,
                        headers={"Location": f"/v1/queries/{query_id}"})


@router.post("/v1/queries", response_model=c.Answer, openapi_extra=_QUERY_BODY, responses=_ERRORS,
             summary="Ask how to dispose of an item (question, optional photo)")
async def create_query(
    request: Request, bus: BusDep, settings: SettingsDep, store: StoreDep, idempotency: IdempotencyDep,
    events: EventsDep,
    wait: Annotated[float, Query(ge=0, le=60, description="Seconds to wait for the answer; 0 answers 202 at "
                                 "once (then follow /v1/queries/{id}/events).")] = 30,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)] = None,
) -> JSONResponse:
    accepted_at = time.perf_counter()
    question, data, upload = await _read_input(request, settings)
    region = await _read_region(request)
    if not bus.ready:
        raise ApiError(503, "broker_unavailable", "the pipeline is not connected to Kafka")
    query_id = uuid.uuid4()
    # Reserve the key before any work, so two concurrent retries cannot both submit.
    if idempotency_key and (previous := idempotency.reserve(idempotency_key, query_id)) is not None:
        reply = await bus.wait(previous, wait)
        return _reply_response(reply) if reply is not None else _pending(previous)
    try:
        with log_context(query_id=query_id, stage="gateway"):  # JSON log lines of this query carry its id
            return await _submit(bus, events, settings, store, query_id, question, data, upload,
                                 idempotency_key, wait, accepted_at, region=region)
    except Exception:
        if idempotency_key:
            idempotency.release(idempotency_key, query_id)
        raise


async def _submit(bus: Any, events: Any, settings: Settings, store: Any, query_id: UUID, question: str,
                  data: bytes | None, upload: UploadFile | None, idempotency_key: str | None, wait: float,
                  accepted_at: float, *, region: str | None = None) -> JSONResponse:
    try:
        request_msg = await build_request(
            settings, store, question, image=data, query_id=query_id, idempotency_key=idempotency_key,
            filename=upload.filename if upload else None, content_type=upload.content_type if upload else None,
            region=region,
        )
        await announce_accepted(bus, events, request_msg)  # the first progress event (SSE)
        await bus.submit(request_msg)
    except PermanentError as exc:
        raise ApiError(FAILURE_STATUS.get(exc.reason, 422), exc.reason, exc.message) from exc
    except BrokerUnavailable as exc:
        raise ApiError(503, "broker_unavailable", exc.message) from exc
    reply = await bus.wait(query_id, wait)
    return _reply_response(reply, accepted_at) if reply is not None else _pending(query_id)


def _clean(value: object) -> str:
    try:
        return clean_question(value)
    except PermanentError as exc:
        raise ApiError(422, exc.reason, exc.message) from exc


@router.get("/v1/queries/{query_id}", response_model=c.Answer, responses=_ERRORS,
            summary="The result of an earlier query (202 while pending)")
async def get_query(query_id: UUID, bus: BusDep, events: EventsDep) -> JSONResponse:
    reply = bus.result(query_id)
    if reply is not None:
        return _reply_response(reply)
    if bus.known(query_id) or events.known(query_id):  # accepted here, or its events came from another replica
        return _pending(query_id)
    raise ApiError(404, "not_found", f"no query {query_id} is known to this gateway")


@router.get("/healthz", summary="Liveness")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="Readiness: producer started and reply partitions positioned")
async def readyz(request: Request) -> JSONResponse:
    bus = getattr(request.state, "bus", None)
    ready = bool(bus is not None and bus.ready)
    return JSONResponse({"ready": ready}, status_code=200 if ready else 503)
