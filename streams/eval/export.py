"""Reading a topic's recorded messages: ``bunri export``, and ``bunri replay --from q.gpt5``.

The reader takes no consumer group and commits nothing, so exporting never moves anyone's offsets. It
snapshots every partition's end offset first and stops there: an export of a live topic terminates, and
what arrives meanwhile is left for the next export.

``--since`` starts each partition at the broker's offset for that time when the broker can tell
(ListOffsets by timestamp); Tansu answers that request with offset 0 and timestamp -1, so there the reader
starts at the beginning. Either way every record is filtered by its own timestamp, so the result is the
same, only slower on a broker that cannot seek by time.

Example::

    async for rec in read_topic("127.0.0.1:9092", "q.gpt5", since=parse_instant("2025-05-01T00:00Z")):
        print(rec.to_json())
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO, Any, Protocol

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError

from streams.errors import BrokerUnavailable
from streams.eval.errors import SourceError
from streams.kafka_clients import client_options
from streams.settings import KafkaSettings
from streams.settings_security import KafkaSecurity
from streams.topics import BASE_NAMES

__all__ = ["Progress", "Recorded", "export_topic", "parse_instant", "read_topic", "resolve_topic"]

# A partition that yields nothing for this long before reaching its end snapshot is broken (or the broker
# is): fail with a message rather than hang. Generous, because a loaded broker can pause for seconds.
_STALL_S = 30.0


class Progress(Protocol):
    """What the reader reports to: a tqdm bar fits."""

    total: float | None

    def update(self, n: float = 1) -> Any: ...
    def refresh(self) -> Any: ...
    def close(self) -> Any: ...


@dataclass(frozen=True)
class Recorded:
    """One message as it sits on the topic."""

    topic: str
    partition: int
    offset: int
    timestamp: datetime
    key: str | None
    value: bytes

    def to_json(self) -> dict[str, Any]:
        """The export line: the value parsed when it is JSON (it always is for bunri's topics), else text."""
        text = self.value.decode("utf-8", errors="replace")
        try:
            value: Any = json.loads(text)
        except ValueError:
            value = text
        return {"topic": self.topic, "partition": self.partition, "offset": self.offset,
                "timestamp": self.timestamp.isoformat(), "key": self.key, "value": value}


def parse_instant(text: str) -> datetime:
    """An ISO 8601 instant (``2025-05-01``, ``2025-05-01T09:30+09:00``); without a zone it is UTC."""
    try:
        when = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"not an ISO 8601 date or time: {text!r}") from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def resolve_topic(kafka: KafkaSettings, name: str) -> str:
    """A bunri topic's base name (``q.gpt5``) gets the configured prefix; any other name is used as is."""
    return f"{kafka.topic_prefix}{name}" if name in BASE_NAMES.values() else name


async def read_topic(
    bootstrap: str, topic: str, *, since: datetime | None = None, until: datetime | None = None,
    limit: int | None = None, progress: Progress | None = None, security: KafkaSecurity | None = None,
) -> AsyncIterator[Recorded]:
    """Every record of ``topic`` up to the end offsets at the start, filtered by time, at most ``limit``.

    Records come partition-interleaved, each partition in offset order.

    Raises:
        BrokerUnavailable: the broker cannot be reached.
        SourceError: the topic does not exist, or a partition stalls.
    """
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                                auto_offset_reset="earliest", fetch_max_wait_ms=100, request_timeout_ms=15_000,
                                **(client_options(security) if security else {}))  # TLS/SASL
    try:
        async with asyncio.timeout(20):
            await consumer.start()
    except (KafkaError, OSError, TimeoutError) as exc:
        with contextlib.suppress(Exception):
            await consumer.stop()
        raise BrokerUnavailable(f"cannot reach Kafka at {bootstrap}: {exc!r}") from exc
    try:
        tps = await _partitions(consumer, topic)
        end = await consumer.end_offsets(tps)
        start = await _start_offsets(consumer, tps, since)
        remaining = {tp for tp in tps if start[tp] < end[tp]}
        for tp in remaining:
            consumer.seek(tp, start[tp])
        if progress is not None:
            progress.total = sum(end[tp] - start[tp] for tp in remaining)
            progress.refresh()
        count = 0
        async for rec in _drain(consumer, remaining, end, progress):
            if (since and rec.timestamp < since) or (until and rec.timestamp > until):
                continue
            yield rec
            count += 1
            if limit is not None and count >= limit:
                return
    finally:
        with contextlib.suppress(Exception):
            await consumer.stop()


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> list[TopicPartition]:
    parts = consumer.partitions_for_topic(topic)
    if not parts:
        await consumer._client.force_metadata_update()  # noqa: SLF001 (aiokafka has no public refresh)
        parts = consumer.partitions_for_topic(topic)
    if not parts:
        raise SourceError(f"topic {topic} does not exist (check the name and BUNRI_KAFKA__TOPIC_PREFIX)")
    tps = [TopicPartition(topic, p) for p in sorted(parts)]
    consumer.assign(tps)
    return tps


async def _start_offsets(consumer: AIOKafkaConsumer, tps: list[TopicPartition],
                         since: datetime | None) -> dict[TopicPartition, int]:
    begin: dict[TopicPartition, int] = await consumer.beginning_offsets(tps)
    start = dict(begin)
    if since is None:
        return start
    end = await consumer.end_offsets(tps)
    try:
        found = await consumer.offsets_for_times({tp: int(since.timestamp() * 1000) for tp in tps})
    except KafkaError:
        return start  # the broker cannot seek by time: read from the beginning and filter
    for tp, hit in found.items():
        if hit is None:
            start[tp] = end[tp]  # nothing at or after `since` in this partition
        elif hit.timestamp >= 0:  # a real answer (Tansu's is -1: ignore it)
            start[tp] = max(begin[tp], hit.offset)
    return start


async def _drain(consumer: AIOKafkaConsumer, remaining: set[TopicPartition], end: dict[TopicPartition, int],
                 progress: Progress | None) -> AsyncIterator[Recorded]:
    last_progress = time.monotonic()
    while remaining:
        batch = await consumer.getmany(*remaining, timeout_ms=500, max_records=1000)
        for tp, records in batch.items():
            for r in records:
                if r.offset >= end[tp]:
                    break
                if progress is not None:
                    progress.update(1)
                key = r.key.decode("utf-8", errors="replace") if r.key is not None else None
                yield Recorded(tp.topic, tp.partition, r.offset, datetime.fromtimestamp(r.timestamp / 1000, UTC),
                               key, r.value or b"")
            if records:
                last_progress = time.monotonic()
        for tp in list(remaining):  # positions, not record offsets: gaps (compaction, markers) end a partition too
            if await consumer.position(tp) >= end[tp]:
                remaining.discard(tp)
        if remaining and time.monotonic() - last_progress > _STALL_S:
            raise SourceError(f"no records from {sorted(tp.partition for tp in remaining)} of "
                              f"{next(iter(remaining)).topic} for {_STALL_S:.0f}s before their end offsets")


async def export_topic(bootstrap: str, topic: str, out: IO[str], *, since: datetime | None = None,
                       until: datetime | None = None, limit: int | None = None,
                       progress: Progress | None = None, security: KafkaSecurity | None = None) -> int:
    """Write the topic's records to ``out`` as JSONL (:meth:`Recorded.to_json`); return how many."""
    count = 0
    async for rec in read_topic(bootstrap, topic, since=since, until=until, limit=limit, progress=progress,
                                security=security):
        out.write(json.dumps(rec.to_json(), ensure_ascii=False) + "\n")
        count += 1
    return count
