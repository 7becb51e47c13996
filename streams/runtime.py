"""Running stages: start the faust app inside our own event loop and stop it cleanly.

Used by ``bunri worker`` (one stage or all), ``bunri serve`` and ``bunri ask``. We run
``app.start()`` in the current loop instead of ``faust.Worker`` so the same process can
also host the gateway (uvicorn) and the CLI's request bus, and so signals are ours.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import AsyncIterator, Sequence

from streams.app import BunriApp, create_app, readiness
from streams.broker import ensure_topics
from streams.errors import BrokerUnavailable
from streams.settings import Settings
from streams.wiring import Resources, build_bindings

__all__ = ["running_stages", "wait_for_signal"]

logger = logging.getLogger(__name__)


@contextlib.asynccontextmanager
async def running_stages(
    settings: Settings, stages: Sequence[str], *, app_id: str | None = None, web_port: int | None = None,
    ready_timeout: float = 60.0,
) -> AsyncIterator[BunriApp]:
    """Start the given stages on ``settings.bootstrap`` and yield once partitions are assigned."""
    if not settings.bootstrap:
        raise BrokerUnavailable("no Kafka bootstrap address (set KAFKA_BOOTSTRAP or use `bunri serve`)")
    await ensure_topics(settings.bootstrap, settings.kafka)
    async with Resources.open(settings, stages) as resources:
        bindings = build_bindings(resources, stages)
        name = app_id or ("bunri-" + ("all" if len(stages) > 1 else stages[0]))
        app = create_app(settings, bindings, app_id=name, web_port=web_port)
        app.finalize()
        await app.start()
        try:
            await _wait_ready(app, ready_timeout)
            logger.info("stages %s running (group %s)", ",".join(stages), name)
            yield app
        finally:
            with contextlib.suppress(Exception):
                await app.stop()


async def _wait_ready(app: BunriApp, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not readiness(app)["ready"]:
        if time.monotonic() > deadline:
            raise BrokerUnavailable(f"stage worker got no partitions within {timeout}s")
        await asyncio.sleep(0.05)


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
