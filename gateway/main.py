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

from fastapi import Depends, FastAPI

from gateway import metrics, web
from gateway.auth import KeyRing, OwnerIndex, authenticate
from gateway.auth.state import security_state
from gateway.bus import KafkaRequestBus, RequestBus
from gateway.capacity import CapacityGate, check_capacity
from gateway.deadlines import DeadlineKeeper
from gateway.errors import install_error_handlers
from gateway.events import EventLog, event_reader
from gateway.events.routes import router as events_router
from gateway.feedback import FeedbackLedger
from gateway.feedback.routes import router as feedback_router
from gateway.idempotency import ClaimBook, IdempotencyLedger
from gateway.inputs import HeaderLimitMiddleware
from gateway.limits import Admission, admit
from gateway.routes import router
from streams.errors import BrokerUnavailable
from streams.health import BrokerProbe, TopicGuard
from streams.observability.looplag import start_loop_monitor
from streams.settings import Settings
from streams.store import make_store
from streams.topics import topic_name

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
    idempotency: IdempotencyLedger
    claims: ClaimBook | None  # keys shared across replicas through q.events; None without Kafka (tests)
    events: EventLog
    feedback: FeedbackLedger
    deadlines: DeadlineKeeper
    broker_probe: BrokerProbe | None
    keys: KeyRing | None  # None: API keys off
    owners: OwnerIndex
    admission: Admission  # per-key limits, in-flight cap, cost ceilings
    capacity: CapacityGate  # 429 for a query that would miss its deadline (gateway/capacity)


def create_app(settings: Settings | None = None, *, bus: RequestBus | None = None,
               store: Any = None, events: EventLog | None = None) -> FastAPI:
    """Build the FastAPI app; production builds a KafkaRequestBus.

    Tests pass a fake ``bus``, and may pass the ``events`` log to feed it progress events.
    """
    settings = settings or Settings()

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[State]:
        own_bus = bus is None
        start_loop_monitor()  # bunri_event_loop_lag_* on /metrics (streams/observability/looplag.py)
        state: State = {"settings": settings, "bus": bus, "store": store or make_store(settings),
                        "idempotency": IdempotencyLedger(settings.idempotency_ttl_s), "claims": None,
                        "events": EventLog() if events is None else events,
                        "feedback": FeedbackLedger(),
                        "deadlines": DeadlineKeeper(settings.query_timeout_s, settings.query_grace_s),
                        "broker_probe": None,
                        "capacity": CapacityGate(settings.admission, settings.query_timeout_s)}
        state.update(security_state(settings, state["events"]))  # type: ignore[typeddict-item]
        connector = None
        if own_bus:
            # One reader follows q.reply, q.events (progress, SSE) and q.feedback (one per query).
            claims = state["claims"] = ClaimBook(settings.idempotency_ttl_s)  # gateway/idempotency/shared.py
            events_tail = event_reader(state["events"].add, state["owners"].add_event,  # owners: accepted events
                                       claims.add_event)  # claims: the first accepted event of each keyed query
            kafka_bus = KafkaRequestBus(settings, tails={"events": events_tail,
                                                         "feedback": state["feedback"].add_raw},
                                        on_reply=state["events"].add_reply,
                                        rebuild_s=settings.gateway_rebuild_s)  # a restart forgets nothing recent
            state["bus"] = kafka_bus
            # /readyz asks the broker (bounded metadata round trip), not just the clients' state
            state["broker_probe"] = BrokerProbe(settings.bootstrap, [topic_name(settings.kafka, key) for key in
                                                                      ("preprocess", "reply", "events")],
                                                security=settings.kafka)  # TLS/SASL
            connector = asyncio.create_task(_connect(kafka_bus))
            # topics gone (the broker restarted empty): recreate them, so the reader and workers resume
            guarding = asyncio.create_task(TopicGuard(settings.bootstrap, settings.kafka).run())
        try:
            yield state
        finally:
            if connector is not None:
                guarding.cancel()
                connector.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await connector
                with contextlib.suppress(asyncio.CancelledError):
                    await guarding
                await kafka_bus.stop()

    app = FastAPI(
        title="bunri",
        version="1.0.0",
        summary="분리배출 guidance: photo + question -> official, state-aware Korean disposal steps.",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    app.add_middleware(metrics.MetricsMiddleware)
    app.add_middleware(HeaderLimitMiddleware)  # outermost: oversized headers never reach a route
    keyed = [Depends(authenticate)]  # API keys (when on) and per-query ownership; probes stay open
    app.include_router(router, dependencies=[*keyed, Depends(admit), Depends(check_capacity)])  # POST /v1/queries only
    app.include_router(events_router, dependencies=keyed)
    app.include_router(feedback_router, dependencies=keyed)
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
