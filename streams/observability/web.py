"""A worker's web server, closed: only the probes and ``/metrics``, no faust debug views, any free port.

faust serves ``/router/``, ``/table/``, ``/graph/`` and statistics by default, and its error pages name
the server and Python version; a worker's web port is for the kubelet and Prometheus only.
"""

from __future__ import annotations

import json
import socket
from typing import Any

__all__ = ["ALLOWED_PATHS", "CLOSED_WEB", "close_web", "pick_port"]

#: Every path a worker answers; anything else is a JSON 404.
ALLOWED_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})

#: faust settings that switch its built-in views off (statistics also drops the index page's rival).
CLOSED_WEB: dict[str, bool] = {"web_router_enabled": False, "web_tables_enabled": False,
                               "web_graph_enabled": False, "web_stats_enabled": False,
                               "web_metrics_enabled": False}

_NOT_FOUND = json.dumps({"error": {"code": "not_found", "message": "not found"}})


def close_web(web: Any, extra: frozenset[str] = frozenset()) -> None:
    """Refuse every path but :data:`ALLOWED_PATHS` and ``extra`` (bunri's own pages, such as the
    scheduler's ``/stats``); faust's index page included. Call at web init."""
    allowed = ALLOWED_PATHS | extra
    from aiohttp import web as aioweb  # faust's web driver; imported only when a web server runs

    @aioweb.middleware
    async def only_probes(request: Any, handler: Any) -> Any:
        path = request.path.rstrip("/") or "/"
        if path not in allowed:
            return aioweb.Response(text=_NOT_FOUND, status=404, content_type="application/json")
        return await handler(request)

    async def no_server_header(_: Any, response: Any) -> None:
        response.headers["Server"] = "bunri"  # not aiohttp's "Python/3.x aiohttp/3.y"

    web.web_app.middlewares.append(only_probes)
    web.web_app.on_response_prepare.append(no_server_header)


def pick_port(host: str, port: int) -> int:
    """``port``, or for 0 a port free on ``host`` now (faust refuses 0 itself; it used to become 6066)."""
    if port:
        return port
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])
