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
    """Run the sweep as a Faust timer (with /healthz, /readyz and /stats), or once."""
    if once:
        print(await sweep_once(settings))  # noqa: T201
        return
    from streams.app import create_app
    from streams.broker import ensure_topics
    from streams.runtime import wait_for_signal
    from streams.topics import topic_name

    await ensure_topics(settings.bootstrap or "", settings.kafka)
    app = create_app(settings, [], app_id="bunri-scheduler", web_port=web_port)
    app.extra_pages = frozenset({"/stats"})  # the worker web server serves nothing else (observability/web.py)
    state: dict[str, Any] = {"last_sweep": None, "dead_letters": {}}

    @app.timer(settings.preprocess.sweep_interval_s)
    async def periodic_sweep() -> None:
        try:
            state["last_sweep"] = str(await sweep_once(settings))
        except Exception:  # a failed sweep must not stop the next one
            logger.exception("sweep failed")

    # A faust app needs a subscription to run its timers; the dead-letter count per reason is
    # also what an operator wants next to the sweep (GET /stats).
    dead = app.topic(topic_name(settings.kafka, "dead_letter"), value_serializer="raw", key_serializer="raw")

    @app.agent(dead, name="bunri.dead_letter_count")
    async def count_dead_letters(stream: Any) -> None:
        async for value in stream:
            try:
                reason = c.decode(c.DeadLetter, value).reason  # tolerant: a newer field is fine
            except ValueError:
                reason = "unreadable"
            state["dead_letters"][reason] = state["dead_letters"].get(reason, 0) + 1

    @app.page("/stats")
    async def stats(web: Any, request: Any) -> Any:
        return web.json(state)

    app.finalize()
    await app.start()
    try:
        await wait_for_signal()
    finally:
        await app.stop()
