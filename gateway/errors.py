"""HTTP errors: one JSON shape, ``{"error": {"code", "message"}}``, and one status table."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from streams import contracts as c

__all__ = ["ApiError", "FAILURE_STATUS", "failure_response", "install_error_handlers"]

logger = logging.getLogger(__name__)

#: Failure reply reason -> HTTP status. The only place this mapping lives.
FAILURE_STATUS: dict[str, int] = {
    "invalid_input": 422,
    "unsupported_image": 415,
    "invalid_image": 422,
    "image_too_large": 413,
    "timeout": 504,
    "model_unavailable": 503,
    "model_bad_output": 502,
    "no_rule": 422,
    "internal": 500,
}


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, *, headers: dict[str, str] | None = None,
                 **extra: Any) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra
        self.headers = headers or {}  # WWW-Authenticate, Retry-After


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, **extra}}


def failure_response(failure: c.Failure) -> JSONResponse:
    return JSONResponse(
        error_body(failure.reason, failure.message, query_id=str(failure.query_id), stage=failure.stage),
        status_code=FAILURE_STATUS.get(failure.reason, 500),
    )


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(error_body(exc.code, exc.message, **exc.extra), status_code=exc.status,
                            headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        return JSONResponse(
            error_body("invalid_input", f"{where}: {first.get('msg', 'invalid request')}"), status_code=422
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return JSONResponse(error_body(code, str(exc.detail)), status_code=exc.status_code)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # The detail (class, message, traceback) goes to the log under an id; the client gets the id
        # only, never an exception name, an object address or a path.
        error_id = uuid.uuid4().hex[:16]
        logger.error("unhandled error %s on %s %s", error_id, request.method, request.url.path,
                     exc_info=(type(exc), exc, exc.__traceback__))
        return JSONResponse(error_body("internal", "internal error; quote the error_id when reporting it",
                                       error_id=error_id), status_code=500)
