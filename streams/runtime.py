"""Running stages: start the faust app inside our own event loop and stop it cleanly.

Used by ``bunri worker`` (one stage or all), ``bunri serve`` and ``bunri ask``. We run
``app.start()`` in the current loop instead of ``faust.Worker`` so the same process can
also host the gateway (uvicorn) and the CLI's request bus, and so signals are ours.

Two ways to start (timings: docs/performance.md):

- :func:`running_stages` on a running cluster (``bunri worker``): the consumer joins its group as
  soon as the app starts, and the Korean analyser loads while the coordinator holds the join;
- :func:`embedded_stages` (``bunri ask``, ``bunri serve``): a fresh Tansu broker starts while the
  catalogue and the analyser load, and this one process takes every partition without a group join.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import AsyncIterator, Sequence

from streams.app import BunriApp, create_app, join_requested, readiness
from streams.broker import EMBEDDED_CLUSTER_ID, EmbeddedBroker, cluster_id, ensure_topics
from streams.errors import BrokerUnavailable
from streams.phases import Phases
from streams.settings import Settings
from streams.wiring import Resources, build_bindings

__all__ = ["embedded_stages", "running_stages", "wait_for_signal"]

logger = logging.getLogger(__name__)


@contextlib.asynccontextmanager
async def running_stages(
    settings: Settings, stages: Sequence[str], *, app_id: str | None = None, web_port: int | None = None,
    ready_timeout: float = 60.0, phases: Phases | None = None,
) -> AsyncIterator[BunriApp]:
    """Start the given stages on ``settings.bootstrap`` (a consumer group) and yield once ready."""
    if not settings.bootstrap:
        raise BrokerUnavailable("no Kafka bootstrap address (set KAFKA_BOOTSTRAP or use `bunri serve`)")
    phases = phases or Phases()
    with phases.span("topics"):
        await ensure_topics(settings.bootstrap, settings.kafka)
        settings = await _group_timings(settings)
    async with Resources.open(settings, stages, phases=phases) as resources, \
            _started(settings, resources, app_id=app_id, web_port=web_port, ready_timeout=ready_timeout,
                     assign_all=False, phases=phases) as app:
        yield app


async def _group_timings(settings: Settings) -> Settings:
    """Settings with the session timeout for this broker: bunri's embedded Tansu gets a shorter one.

    Tansu holds a join until half the session timeout has passed (2 s at 4 s, 3 s at 6 s: the
    bulk of a worker's start-up); Kafka refuses less than 6 s by default. Set explicitly, it stands.
    """
    kafka = settings.kafka
    if kafka.session_timeout_ms is not None or settings.bootstrap is None:
        return settings
    embedded = await cluster_id(settings.bootstrap, security=kafka) == EMBEDDED_CLUSTER_ID
    session = kafka.session_ms(embedded=embedded)
    logger.info("consumer group session timeout %d ms (%s)", session,
                "bunri's embedded broker" if embedded else "Kafka")
    return settings.model_copy(update={"kafka": kafka.model_copy(update={"session_timeout_ms": session})})


@contextlib.asynccontextmanager
async def embedded_stages(
    settings: Settings, stages: Sequence[str], *, ready_timeout: float = 60.0, warm_pool: bool = True,
    phases: Phases | None = None,
) -> AsyncIterator[tuple[BunriApp, Settings]]:
    """A fresh embedded broker and ``stages`` in this process; yield (app, settings with its address).

    The broker is stopped on exit. ``warm_pool=False`` starts the image pool on the first photo
    instead (a one-shot ``bunri ask`` of a text question never needs it).
    """
    phases = phases or Phases()
    began = time.perf_counter()
    broker = EmbeddedBroker().spawn()  # Tansu starts on another core while the catalogue loads
    try:
        settings = settings.with_bootstrap(broker.bootstrap)
        async with Resources.open(settings, stages, phases=phases) as resources:
            resources.warm_up(phases, pool=warm_pool)
            await broker.wait_listening()
            phases.add("broker", time.perf_counter() - began)
            with phases.span("topics"):
                await ensure_topics(broker.bootstrap, settings.kafka)
            async with _started(settings, resources, app_id=None, web_port=None, ready_timeout=ready_timeout,
                                assign_all=True, phases=phases) as app:
                yield app, settings
    finally:
        broker.stop()


@contextlib.asynccontextmanager
async def _started(settings: Settings, resources: Resources, *, app_id: str | None, web_port: int | None,
                   ready_timeout: float, assign_all: bool, phases: Phases) -> AsyncIterator[BunriApp]:
    stages = resources.stages
    bindings = build_bindings(resources, stages)
    name = app_id or ("bunri-" + ("all" if len(stages) > 1 else stages[0]))
    app = create_app(settings, bindings, app_id=name, web_port=web_port, assign_all=assign_all)
    app.finalize()
    app.warming = resources.warming  # the same list: /readyz waits for whatever warm_up starts
    try:
        with phases.span("app_start"):
            resources.warm_pool()  # the fork server imports beside the app's start and the join
            starting = asyncio.ensure_future(app.start())  # done once the partitions are assigned
            if assign_all:  # no group: this is the whole start
                await asyncio.wait({starting}, timeout=ready_timeout)
            # A group's coordinator holds the join for seconds (half the session timeout on Tansu):
            # warm up meanwhile, once the request is out (loading holds the GIL, delaying the send).
            while not starting.done() and not join_requested(app):
                await asyncio.sleep(0.005)
        resources.warm_up(phases)
        with phases.span("assignment"):
            await _wait_ready(app, starting, ready_timeout)
        logger.info("stages %s running (%s)", ",".join(stages),
                    "all partitions assigned" if assign_all else f"group {name}")
        yield app
    finally:
        with contextlib.suppress(Exception):
            await app.stop()


async def _wait_ready(app: BunriApp, starting: asyncio.Future[None], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not (starting.done() and readiness(app)["ready"]):
        for job in [starting, *app.warming]:
            if job.done() and job.exception() is not None:
                raise job.exception()  # type: ignore[misc]  # the app or the analyser failed to start
        if time.monotonic() > deadline:
            raise BrokerUnavailable(f"stage worker not ready within {timeout}s: {readiness(app)}")
        await asyncio.sleep(0.01)


async def wait_for_signal() -> None:
    """Block until SIGINT or SIGTERM (Ctrl-C, kubelet stop)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
