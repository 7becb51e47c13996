"""A worker's ``/metrics`` (on its faust web port, beside ``/healthz`` and ``/readyz``) and its consumer lag."""

from __future__ import annotations

import asyncio
import gc
import logging
import weakref
from collections.abc import Iterator
from typing import Any

from prometheus_client import REGISTRY
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from streams.observability.looplag import start_loop_monitor
from streams.observability.metrics import CONTENT_TYPE_LATEST, exposition

__all__ = ["install_worker_metrics", "partition_lag"]

logger = logging.getLogger(__name__)


def partition_lag(consumer: Any) -> dict[tuple[str, int], int]:
    """(topic, partition) -> messages not yet taken by the stage: high-water mark minus position.

    The position is the offset after the last message the stage's stream took (faust's read offset),
    else the consumer's fetch position (committed offset after an assignment). A partition whose
    high-water mark is not known yet (no fetch answered) is left out.
    """
    lags: dict[tuple[str, int], int] = {}
    thread_consumer = consumer._thread._ensure_consumer()  # noqa: SLF001  (aiokafka under faust; no public API)
    assignment = thread_consumer._subscription.subscription.assignment  # noqa: SLF001
    for tp in consumer.assignment():
        highwater = consumer.highwater(tp)
        if highwater is None:
            continue
        read = consumer._read_offset.get(tp)  # noqa: SLF001
        if read is not None:
            position = read + 1
        else:
            state = assignment.state_value(tp)
            if state is None or not state.has_valid_position:
                continue
            position = state.position
        lags[(tp.topic, tp.partition)] = max(0, highwater - position)
    return lags


class _ConsumerLag(Collector):
    """``bunri_consumer_lag`` for every running stage app of this process (read at scrape time)."""

    def __init__(self) -> None:
        self._apps: weakref.WeakSet[Any] = weakref.WeakSet()

    def track(self, app: Any) -> None:
        self._apps.add(app)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily("bunri_consumer_lag", "Messages on a stage topic partition that this "
                                   "worker has not taken yet (high-water mark minus position).",
                                   labels=["topic", "partition"])
        for app in list(self._apps):
            try:
                consumer = app.consumer
                if not consumer.started:
                    continue
                lags = partition_lag(consumer)
            except Exception as exc:  # noqa: BLE001  (before start or mid-rebalance: report nothing)
                logger.debug("consumer lag unavailable: %r", exc)
                continue
            for (topic, partition), lag in sorted(lags.items()):
                family.add_metric([topic, str(partition)], lag)
        yield family


_LAG = _ConsumerLag()
REGISTRY.register(_LAG)


def install_worker_metrics(app: Any) -> None:
    """Serve ``/metrics`` on the app's web server (when it has one); report its consumer lag and loop lag."""
    _LAG.track(app)

    @app.task
    async def _loop_lag() -> None:
        start_loop_monitor()  # once per loop: `bunri serve`'s gateway shares it
        from streams.app import readiness  # here: streams.app imports this module

        while not readiness(app)["ready"]:
            await asyncio.sleep(0.5)
        # What start-up loaded (the catalogue, the Korean analyser, the libraries) lives as long as the
        # process; the collector walked all of it at every full collection, ~30 ms with the loop stopped.
        gc.freeze()

    @app.page("/metrics")
    async def metrics(web: Any, request: Any) -> Any:
        return web.bytes(exposition(), headers={"Content-Type": CONTENT_TYPE_LATEST})
