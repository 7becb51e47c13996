"""Position the reply and event reader a bounded time back, so a restarted replica knows recent queries.

A replica used to start reading ``q.reply`` and ``q.events`` at their end: after a restart (a deploy,
a crash) it answered ``404`` for every query accepted before, and a client that failed over to it
lost its query. Starting ``window_s`` back (by timestamp, Kafka's ``ListOffsets``) refills the result
store and the progress log with what happened in that window, so ``GET /v1/queries/{id}`` answers the
recent results and ``202`` for the queries still pending (and ``504`` once they are overdue, from
their ``accepted`` event: gateway/deadlines). The window is bounded, and so are the stores it fills.
"""

from __future__ import annotations

import logging
import time

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError

__all__ = ["rewind"]

logger = logging.getLogger(__name__)


async def rewind(consumer: AIOKafkaConsumer, tps: list[TopicPartition], window_s: float) -> int:
    """Seek each partition to its first record of the last ``window_s`` seconds; return how many moved.

    Partitions with nothing that recent stay where they are (the end). Never raises: a broker that
    cannot answer by timestamp leaves the reader at the end, as before.
    """
    if window_s <= 0 or not tps:
        return 0
    since_ms = int((time.time() - window_s) * 1000)
    try:
        found = await consumer.offsets_for_times(dict.fromkeys(tps, since_ms))
    except (KafkaError, ValueError, OSError) as exc:
        logger.warning("cannot re-read the last %.0fs (%r); starting at the end", window_s, exc)
        return 0
    moved = 0
    for tp, at in found.items():
        if at is not None:
            consumer.seek(tp, at.offset)
            moved += 1
    return moved
