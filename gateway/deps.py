"""Dependency aliases: routes get the bus, settings and store from the app's lifespan state.

The getters are ``async def`` although they never await: FastAPI runs a plain ``def`` dependency in
its thread pool, and a thread hop per dependency per request cost the gateway more CPU than the route.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request

from gateway.bus import RequestBus
from gateway.deadlines import DeadlineKeeper
from gateway.errors import ApiError
from gateway.events import EventLog
from gateway.feedback import FeedbackLedger
from streams.settings import Settings

__all__ = ["BusDep", "EventsDep", "FeedbackDep", "SettingsDep", "StoreDep", "IdempotencyDep", "DeadlinesDep"]


async def get_bus(request: Request) -> RequestBus:
    bus = getattr(request.state, "bus", None)
    if bus is None:
        raise ApiError(503, "broker_unavailable", "the gateway is not connected to Kafka yet")
    return bus  # type: ignore[no-any-return]


async def get_settings(request: Request) -> Settings:
    return request.state.settings  # type: ignore[no-any-return]


async def get_store(request: Request) -> Any:
    return request.state.store


async def get_idempotency(request: Request) -> Any:
    return request.state.idempotency


async def get_events(request: Request) -> EventLog:
    return request.state.events  # type: ignore[no-any-return]


async def get_deadlines(request: Request) -> DeadlineKeeper:
    return request.state.deadlines  # type: ignore[no-any-return]


async def get_feedback(request: Request) -> FeedbackLedger:
    return request.state.feedback  # type: ignore[no-any-return]


BusDep = Annotated[RequestBus, Depends(get_bus)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
StoreDep = Annotated[Any, Depends(get_store)]
IdempotencyDep = Annotated[Any, Depends(get_idempotency)]
EventsDep = Annotated[EventLog, Depends(get_events)]
FeedbackDep = Annotated[FeedbackLedger, Depends(get_feedback)]
DeadlinesDep = Annotated[DeadlineKeeper, Depends(get_deadlines)]
