"""The glue's view of one message: log context, stage metrics and progress events around ``binding.process``."""

from __future__ import annotations

import logging
import time

from streams.binding import MessageMeta, Outgoing, StageBinding
from streams.observability.logs import log_context
from streams.observability.metrics import (
    STAGE_IN_FLIGHT,
    STAGE_OUTPUTS,
    STAGE_SECONDS,
    record_outputs,
    track_binding,
)
from streams.progress import decode_records, with_progress

__all__ = ["observed"]

logger = logging.getLogger(__name__)


async def observed(binding: StageBinding, raw: bytes | None, meta: MessageMeta) -> list[Outgoing]:
    """Run one message through ``binding``; return its records with the progress events in front.

    Logs inside carry the message's query id (its key), stage, topic, partition and offset; the stage's
    processing time, in-flight count and outputs are counted.
    """
    stage = binding.name
    track_binding(binding)
    query_id = meta.key.decode("utf-8", errors="replace") if meta.key else None
    with log_context(query_id=query_id, stage=stage, topic=meta.topic, partition=meta.partition,
                     offset=meta.offset), STAGE_IN_FLIGHT.labels(stage).track_inprogress():
        started = time.perf_counter()
        outgoing = await binding.process(raw, meta)
        elapsed = time.perf_counter() - started
        STAGE_SECONDS.labels(stage).observe(elapsed)
        logger.debug("processed in %.1f ms -> %s", elapsed * 1000, ", ".join(r.topic for r in outgoing))
    decoded = decode_records(outgoing)
    record_outputs(stage, decoded)
    records = with_progress(stage, decoded)
    if len(records) > len(decoded):
        STAGE_OUTPUTS.labels(stage, "event").inc(len(records) - len(decoded))
    return records
