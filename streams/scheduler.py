"""The scheduler: the Faust periodic job that replaces the seed's celery-beat.

It deletes raw uploads past their retention and expired or surplus cache entries
(:func:`streams.sweep.sweep`). The sweep is idempotent, so a second replica during a
rollout does no harm; the chart runs one.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from streams import contracts as c
from streams.settings import Settings

__all__ = ["run_scheduler", "sweep_forever", "sweep_once"]

logger = logging.getLogger(__name__)


async def sweep_once(settings: Settings, store: Any | None = None) -> Any:
    from streams.store import make_store
    from streams.sweep import sweep

    store = store or make_store(settings)
    report = await sweep(store, settings.cache, settings.preprocess, c.utcnow())
    logger.info("sweep: %s", report)
    return report


async def sweep_forever(settings: Settings) -> None:
    """Plain asyncio loop, for `bunri serve` (one process, no separate scheduler)."""
    while True:
        try:
            await sweep_once(settings)
        except Exception:  # a failed sweep must not stop the next one
            logger.exception("sweep failed")
        await asyncio.sleep(settings.preprocess.sweep_interval_s)


async def run_scheduler(settings: Settings, *, once: bool = False, web_port: int | None = None) -> None:
    """Run the sweep as a Faust timer (with /healthz and /readyz), or once."""
    if once:
        print(await sweep_once(settings))  # noqa: T201
        return
    import faust

    from streams.runtime import wait_for_signal

    app = faust.App(
        f"{settings.kafka.topic_prefix}bunri-scheduler",
        broker=f"kafka://{settings.bootstrap or '127.0.0.1:9092'}",
        web_enabled=web_port is not None, web_port=web_port or 6066, web_bind=settings.worker.web_host,
        topic_allow_declare=False, topic_disable_leader=True, store="memory://",
    )
    last: dict[str, Any] = {"report": None}

    @app.timer(settings.preprocess.sweep_interval_s)
    async def periodic_sweep() -> None:
        try:
            last["report"] = str(await sweep_once(settings))
        except Exception:
            logger.exception("sweep failed")

    @app.page("/healthz")
    async def healthz(web: Any, request: Any) -> Any:
        return web.json({"status": "ok"})

    @app.page("/readyz")
    async def readyz(web: Any, request: Any) -> Any:
        return web.json({"ready": True, "last_sweep": last["report"]})

    app.finalize()
    await app.start()
    try:
        await wait_for_signal()
    finally:
        await app.stop()
