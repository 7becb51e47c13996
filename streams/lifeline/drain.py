"""SIGTERM on a worker: stop fetching, let the messages in flight finish, commit, then stop.

Without this, stopping the app cancels the model calls in flight; their offsets were never
committed, so the next owner of the partition makes (and pays for) the same calls again. A drain
pauses every assigned partition (nothing new is fetched), stops starting messages the consumer had
already buffered (they stay unacked: handed back, the next owner reads them), waits for the handlers
already running up to ``BUNRI_WORKER__SHUTDOWN_GRACE_S``, and commits what they acknowledged. A
handler still running when the grace ends is handed back the same way: it is cancelled unacked, and
since it never finished, redoing it pays for nothing twice. The grace sits below the pod's
``terminationGracePeriodSeconds`` (the chart derives it), so the kubelet's SIGKILL never cuts the commit.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Drain", "DrainReport"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DrainReport:
    """What a drain did: handlers that finished, those handed back unfinished, and how long it took."""

    finished: int
    handed_back: int
    seconds: float


@dataclass
class Drain:
    """The agents' in-flight handlers, and the switch that stops them from starting new ones.

    Example:
        if drain.stopping: continue            # in the agent, before starting a message
        drain.track(asyncio.ensure_future(handle(event)))
        await drain.run(app, grace_s=25)       # on SIGTERM, before app.stop()
    """

    stopping: bool = False
    _tasks: set[asyncio.Future[Any]] = field(default_factory=set)

    def track(self, task: asyncio.Future[Any]) -> None:
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def in_flight(self) -> int:
        return len(self._tasks)

    async def run(self, app: Any, grace_s: float) -> DrainReport:
        """Stop fetching, wait up to ``grace_s`` for the handlers in flight, commit. Never raises."""
        began = time.monotonic()
        self.stopping = True
        consumer = getattr(app, "consumer", None)
        with contextlib.suppress(Exception):  # not started, or already stopping: nothing to pause
            consumer.pause_partitions(consumer.assignment())
        running = set(self._tasks)
        logger.info("draining: %d message(s) in flight, up to %.0fs", len(running), grace_s)
        left: set[asyncio.Future[Any]] = set()
        if running:
            _, left = await asyncio.wait(running, timeout=grace_s)
        with contextlib.suppress(Exception):  # the broker may be gone: the next owner redoes the rest
            await consumer.commit()
        report = DrainReport(len(running) - len(left), len(left), round(time.monotonic() - began, 2))
        logger.info("drained: %d finished and committed, %d handed back, %.2fs",
                    report.finished, report.handed_back, report.seconds)
        return report
