"""Oversized request headers answered with a JSON ``431`` instead of the server's plain-text ``400``."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["MAX_HEADER_BYTES", "SERVER_OPTIONS", "HeaderLimitMiddleware"]

#: All request headers together; browsers and proxies stay well under 8 KiB.
MAX_HEADER_BYTES = 16 * 1024

#: uvicorn's h11 parser refuses more than 16 KiB of headers itself, with a plain-text 400 the client
#: cannot parse. It is raised to 1 MiB so the middleware below sees oversized headers and answers
#: with JSON; beyond 1 MiB the connection is still refused by the server (the memory bound).
SERVER_OPTIONS: dict[str, int] = {"h11_max_incomplete_event_size": 1024 * 1024}

_BODY = json.dumps({"error": {"code": "headers_too_large",
                              "message": f"request headers are over {MAX_HEADER_BYTES} bytes"}}).encode()


class HeaderLimitMiddleware:
    """Pure ASGI, so it runs before routing, body reading and authentication."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_HEADER_BYTES) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and sum(len(k) + len(v) for k, v in scope["headers"]) > self.max_bytes:
            await send({"type": "http.response.start", "status": 431,
                        "headers": [(b"content-type", b"application/json"),
                                    (b"content-length", str(len(_BODY)).encode()), (b"connection", b"close")]})
            await send({"type": "http.response.body", "body": _BODY})
            return
        await self.app(scope, receive, send)
