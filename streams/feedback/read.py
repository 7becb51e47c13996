"""Reading a whole topic (or its records since an instant) without a consumer group, up to its end at start."""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError

from streams.errors import BrokerUnavailable
from streams.kafka_clients import client_options
from streams.settings_security import KafkaSecurity

__all__ = ["parse_since", "read_values"]

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """``24h``, ``7d``, ``30m``, ``2w`` (ago), or an ISO date/time (UTC when it has no zone)."""
    now = now or datetime.now(UTC)
    text = text.strip()
    if match := _DURATION.match(text.lower()):
        return now - timedelta(**{_UNITS[match.group(2)]: float(match.group(1))})
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValueError(f"--since {text!r}: give a duration (24h, 7d) or an ISO date (2025-05-01)") from exc
    return when if when.tzinfo else when.replace(tzinfo=UTC)


async def read_values(bootstrap: str, topic: str, *, since: datetime | None = None,
                      stall_s: float = 30.0, security: KafkaSecurity | None = None) -> AsyncIterator[bytes]:
    """Every value on ``topic`` (newer than ``since``), from the start up to the end offsets seen at start.

    Records are filtered by their own timestamps (Tansu cannot seek by time), and nothing is committed.
    """
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                                auto_offset_reset="earliest", fetch_max_wait_ms=50,
                                **(client_options(security) if security else {}))  # TLS/SASL
    try:
        await consumer.start()
        parts = consumer.partitions_for_topic(topic)
        if not parts:
            raise BrokerUnavailable(f"topic {topic} does not exist on {bootstrap}")
        tps = [TopicPartition(topic, p) for p in sorted(parts)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        left = {tp for tp in tps if ends[tp] > await consumer.position(tp)}
        cutoff = int(since.timestamp() * 1000) if since else None
        progressed = time.monotonic()
        while left:
            batch = await consumer.getmany(*left, timeout_ms=500)
            if batch:
                progressed = time.monotonic()
            elif time.monotonic() - progressed > stall_s:
                raise BrokerUnavailable(f"reading {topic} stalled for {stall_s:.0f}s before its end")
            for tp, records in batch.items():
                for record in records:
                    if record.offset < ends[tp] and (cutoff is None or record.timestamp >= cutoff):
                        yield record.value or b""
                if await consumer.position(tp) >= ends[tp]:
                    left.discard(tp)
    except (KafkaError, OSError) as exc:
        raise BrokerUnavailable(f"cannot read {topic} from {bootstrap}: {exc!r}") from exc
    finally:
        with contextlib.suppress(Exception):
            await consumer.stop()
