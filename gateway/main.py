"""The gateway app factory: ``uvicorn --factory gateway.main:create_app``.

Importing this module has no side effects; settings are built once in ``create_app``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict
from collections.abc import AsyncIterator
from typing import Any, TypedDict
from uuid import UUID

from fastapi import FastAPI

from gateway import metrics, web
from gateway.bus import KafkaRequestBus, RequestBus
from gateway.errors import install_error_handlers
from gateway.events import EventLog
from gateway.events.routes import router as events_router
from gateway.feedback import FeedbackLedger
from gateway.feedback.routes import router as feedback_router
from gateway.routes import router
from streams.errors import BrokerUnavailable
from streams.settings import Settings
from streams.store import make_store

__all__ = ["IdempotencyKeys", "create_app"]

logger = logging.getLogger(__name__)


class IdempotencyKeys:
    """Idempotency-Key -> query id, bounded and expiring (per gateway replica)."""

    def __init__(self, max_entries: int = 50_000, ttl_s: float = 24 * 3600) -> None:
        self._keys: OrderedDict[str, tuple[float, UUID]] = OrderedDict()
        self._max, self._ttl = max_entries, ttl_s

    def reserve(self, key: str, query_id: UUID) -> UUID | None:
        """Claim ``key`` for ``query_id``; return the earlier query id if it was taken."""
        now = time.monotonic()
        entry = self._keys.get(key)
        if entry is not None and entry[0] > now:
            return entry[1]
        self._keys[key] = (now + self._ttl, query_id)
        while len(self._keys) > self._max:
            self._keys.popitem(last=False)
        return None

    def release(self, key: str, query_id: UUID) -> None:
        if (entry := self._keys.get(key)) is not None and entry[1] == query_id:
            del self._keys[key]


class State(TypedDict):
    settings: Settings
    bus: RequestBus | None
    store: Any
    idempotency: IdempotencyKeys
    events: EventLog
    feedback: FeedbackLedger


def create_app(settings: Settings | None = None, *, bus: RequestBus | None = None,
               store: Any = None, events: EventLog | None = None) -> FastAPI:
    """Build the FastAPI app; production builds a KafkaRequestBus.

    Tests pass a fake ``bus``, and may pass the ``events`` log to feed it progress events.
    """
    settings = settings or Settings()

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[State]:
        own_bus = bus is None
        state: State = {"settings": settings, "bus": bus, "store": store or make_store(settings),
                        "idempotency": IdempotencyKeys(), "events": EventLog() if events is None else events,
                        "feedback": FeedbackLedger()}
        connector = None
        if own_bus:
            # One reader follows q.reply, q.events (progress, SSE) and q.feedback (one per query).
            kafka_bus = KafkaRequestBus(settings, tails={"events": state["events"].add_raw,
                                                         "feedback": state["feedback"].add_raw},
                                        on_reply=state["events"].add_reply)
            state["bus"] = kafka_bus
            connector = asyncio.create_task(_connect(kafka_bus))
        try:
            yield state
        finally:
            if connector is not None:
                connector.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await connector
                await kafka_bus.stop()

    app = FastAPI(
        title="bunri",
        version="1.0.0",
        summary="분리배출 guidance: photo + question -> official, state-aware Korean disposal steps.",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    app.add_middleware(metrics.MetricsMiddleware)
    app.include_router(router)
    app.include_router(events_router)
    app.include_router(feedback_router)
    app.include_router(metrics.router)
    app.include_router(web.router)
    return app


async def _connect(bus: KafkaRequestBus) -> None:
    """Connect in the background so the app serves /healthz (and fast 503s) while Kafka is away."""
    delay = 0.5
    while True:
        try:
            await bus.start()
            logger.info("gateway connected to Kafka")
            return
        except BrokerUnavailable as exc:
            logger.warning("gateway: %s; retrying in %.1fs", exc.message, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10.0)
