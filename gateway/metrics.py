"""The gateway's ``/metrics`` and the middleware that counts and times every HTTP request."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from streams.observability.metrics import CONTENT_TYPE_LATEST, HTTP_REQUESTS, HTTP_SECONDS, exposition

__all__ = ["MetricsMiddleware", "router"]

router = APIRouter()


@router.get("/metrics", summary="Prometheus metrics (text format)", response_class=Response,
            responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}})
async def metrics() -> Response:
    return Response(exposition(), media_type=CONTENT_TYPE_LATEST)


class MetricsMiddleware:
    """Pure ASGI (streams pass through untouched): requests by route template, method and status, and latency.

    The route label is the matched path template (``/v1/queries/{query_id}``), never the raw path, so
    query ids do not become label values; an unmatched path counts as ``unmatched``.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = [500]

        async def send_wrapper(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            HTTP_REQUESTS.labels(route, scope["method"], str(status[0])).inc()
            HTTP_SECONDS.labels(route, scope["method"]).observe(time.perf_counter() - started)
