"""Request-reply over Kafka: produce to ``q.preprocess``, await ``q.reply`` by query id.

Every gateway replica reads the WHOLE reply topic without a consumer group (all
partitions assigned, starting at the end) and resolves the futures it is waiting on;
replies for queries it does not know are kept briefly for ``GET /v1/queries/{id}``
(another replica may have accepted them) and duplicates are dropped.

The same reader also follows the topics given as ``tails`` (``q.events`` and ``q.feedback`` in the
gateway) from their end, handing each record to its callback; records of one fetch are handed over
in timestamp order, a query's progress event before its reply.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol
from uuid import UUID

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaError

from gateway.rebuild import rewind
from gateway.results import ResultStore
from streams import contracts as c
from streams.errors import BrokerUnavailable
from streams.kafka_clients import IdleFetchWait, client_options
from streams.settings import Settings
from streams.topics import topic_name

__all__ = ["KafkaRequestBus", "RequestBus", "ResultStore"]

logger = logging.getLogger(__name__)

Reply = c.Answer | c.Failure
#: (topic key from streams.topics.BASE_NAMES, Kafka key, value): a record produced with a request.
Record = tuple[str, bytes, bytes]


class RequestBus(Protocol):
    """What the HTTP routes and the CLI need from the pipeline."""

    @property
    def ready(self) -> bool: ...

    async def submit(self, request: c.QueryRequest, before: Sequence[Record] = ()) -> None: ...

    async def publish(self, topic: str, key: bytes, value: bytes) -> None: ...

    async def wait(self, query_id: UUID, timeout: float) -> Reply | None: ...

    def result(self, query_id: UUID) -> Reply | None: ...

    def known(self, query_id: UUID) -> bool: ...


class KafkaRequestBus:
    """aiokafka producer + group-less reply reader (faust's ReplyConsumer idea, ~150 lines)."""

    def __init__(self, settings: Settings, *, results: ResultStore | None = None,
                 send_timeout_s: float = 2.0, tails: Mapping[str, Callable[[bytes | None], None]] | None = None,
                 on_reply: Callable[[Reply], None] | None = None, rebuild_s: float = 0.0) -> None:
        self._settings = settings
        self._bootstrap = settings.bootstrap
        self._request_topic = topic_name(settings.kafka, "preprocess")
        self._reply_topic = topic_name(settings.kafka, "reply")
        self._results = results or ResultStore()
        self._waiters: dict[UUID, asyncio.Future[Reply]] = {}
        self._accepted: OrderedDict[UUID, float] = OrderedDict()
        self._send_timeout = send_timeout_s
        self._producer: AIOKafkaProducer | None = None
        self._consumer: AIOKafkaConsumer | None = None
        self._reader: asyncio.Task[None] | None = None
        self._positioned = asyncio.Event()
        # topic name -> callback for the other topics this reader follows (topic keys resolved here)
        self._tails = {topic_name(settings.kafka, key): fn for key, fn in (tails or {}).items()}
        self._on_reply_hook = on_reply
        self._rebuild_s = rebuild_s  # seconds of q.reply and tails to re-read at start (the gateway's)
        self.duplicates = 0

    @property
    def ready(self) -> bool:
        return self._producer is not None and self._positioned.is_set() and self._reader is not None \
            and not self._reader.done()

    async def start(self, timeout: float = 15.0) -> None:
        if not self._bootstrap:
            raise BrokerUnavailable("no Kafka bootstrap address configured")
        kafka = self._settings.kafka
        self._producer = AIOKafkaProducer(
            bootstrap_servers=self._bootstrap, linger_ms=0, acks="all",
            request_timeout_ms=int(self._send_timeout * 1000), enable_idempotence=False,
            **client_options(kafka),  # TLS/SASL (BUNRI_KAFKA__SECURITY_PROTOCOL)
        )
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap, group_id=None, enable_auto_commit=False,
            fetch_max_wait_ms=kafka.fetch_max_wait_ms, request_timeout_ms=kafka.request_timeout_ms,
            **client_options(kafka),
        )
        try:
            async with asyncio.timeout(timeout):
                await self._producer.start()
                await self._consumer.start()
                # short fetch waits while replies flow, long ones while idle (the broker's idle CPU)
                IdleFetchWait(kafka.fetch_max_wait_ms, kafka.fetch_idle_wait_ms).install(self._consumer)
                await self._position()
        except (KafkaError, OSError, TimeoutError) as exc:
            await self.stop()
            raise BrokerUnavailable(f"cannot reach Kafka at {self._bootstrap}: {exc}") from exc
        self._reader = asyncio.create_task(self._read_replies(), name="bunri-reply-reader")

    async def _position(self) -> None:
        assert self._consumer is not None
        tps: list[TopicPartition] = []
        for topic in (self._reply_topic, *self._tails):
            parts = self._consumer.partitions_for_topic(topic)
            if not parts:
                await self._consumer._client.force_metadata_update()  # noqa: SLF001 (no public API)
                parts = self._consumer.partitions_for_topic(topic)
            if not parts:
                raise BrokerUnavailable(f"topic {topic} does not exist (run `bunri topics create`)")
            tps += [TopicPartition(topic, p) for p in sorted(parts)]
        self._consumer.assign(tps)
        await self._consumer.seek_to_end(*tps)
        for tp in tps:  # resolve the end offsets now: a reply produced after this is seen
            await self._consumer.position(tp)
        # then step back a bounded window: a restarted replica rebuilds recent results (gateway/rebuild)
        await rewind(self._consumer, tps, self._rebuild_s)
        self._positioned.set()

    async def stop(self) -> None:
        if self._reader:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
            self._reader = None
        for client in (self._consumer, self._producer):
            if client is not None:
                await _stop_client(client)
        self._consumer = self._producer = None
        self._positioned.clear()
        for fut in self._waiters.values():
            if not fut.done():
                fut.cancel()

    async def submit(self, request: c.QueryRequest, before: Sequence[Record] = ()) -> None:
        """Register the waiter, then produce ``before`` (the ``accepted`` event) and the request.

        One produce round trip for all: each record is queued in order and the producer's sender puts
        every batch ready for the broker in one request; both are acknowledged before this returns.
        BrokerUnavailable fast when Kafka is gone.
        """
        if self._producer is None or not self.ready:
            raise BrokerUnavailable("the pipeline is not connected to Kafka")
        qid = request.envelope.query_id
        self._waiters.setdefault(qid, asyncio.get_running_loop().create_future())
        self._remember(qid)
        kafka = self._settings.kafka
        try:
            async with asyncio.timeout(self._send_timeout):
                acks = [await self._producer.send(topic_name(kafka, topic), value, key=key)
                        for topic, key, value in before]
                acks.append(await self._producer.send(self._request_topic, request.model_dump_json().encode(),
                                                      key=str(qid).encode()))
                await asyncio.gather(*acks)
        except (KafkaError, OSError, TimeoutError) as exc:
            self._waiters.pop(qid, None)
            self._accepted.pop(qid, None)
            raise BrokerUnavailable(f"could not hand the query to Kafka: {exc!r}") from exc

    async def publish(self, topic: str, key: bytes, value: bytes) -> None:
        """Produce one record to the topic ``topic`` (a key of streams.topics.BASE_NAMES) and wait for the ack."""
        if self._producer is None or not self.ready:
            raise BrokerUnavailable("the gateway is not connected to Kafka")
        try:
            async with asyncio.timeout(self._send_timeout):
                await self._producer.send_and_wait(topic_name(self._settings.kafka, topic), value, key=key)
        except (KafkaError, OSError, TimeoutError) as exc:
            raise BrokerUnavailable(f"could not publish to {topic}: {exc!r}") from exc

    async def wait(self, query_id: UUID, timeout: float) -> Reply | None:
        done = self._results.get(query_id)
        if done is not None:
            return done
        fut = self._waiters.get(query_id)
        if fut is None:
            return None
        try:
            return await asyncio.wait_for(asyncio.shield(fut), timeout)
        except TimeoutError:
            return None

    def result(self, query_id: UUID) -> Reply | None:
        return self._results.get(query_id)

    def known(self, query_id: UUID) -> bool:
        return query_id in self._accepted or query_id in self._results

    def _remember(self, qid: UUID) -> None:
        self._accepted[qid] = time.monotonic()
        while len(self._accepted) > 100_000:
            self._accepted.popitem(last=False)

    async def _read_replies(self) -> None:
        assert self._consumer is not None
        while True:
            try:
                batch = await self._consumer.getmany(timeout_ms=500, max_records=500)
            except KafkaError as exc:
                logger.warning("reply reader: %s; retrying", exc)
                await asyncio.sleep(0.5)
                continue
            records = [r for rs in batch.values() for r in rs]
            if len(batch) > 1:  # several partitions: hand records over in the order they were produced
                records.sort(key=_merge_key(batch, self._reply_topic))
            for record in records:
                if record.topic == self._reply_topic:
                    self._on_reply(record.value)
                else:
                    self._on_tail(record)

    def _on_tail(self, record: Any) -> None:
        try:
            self._tails[record.topic](record.value)
        except Exception:  # a bad record must not stop the reader (and with it every reply)
            logger.exception("reader: record from %s could not be handled", record.topic)

    def _on_reply(self, value: bytes | None) -> None:
        try:
            reply = c.parse_reply(value or b"")
        except ValueError:
            logger.error("reply topic carried an undecodable value; dropped")
            return
        if not self._results.put(reply, value):
            self.duplicates += 1  # at-least-once upstream: a redelivered stage may reply twice
            return
        fut = self._waiters.pop(reply.query_id, None)
        if fut is not None and not fut.done():
            fut.set_result(reply)
        if self._on_reply_hook is not None:
            self._on_reply_hook(reply)


def _merge_key(batch: dict[Any, list[Any]], reply_topic: str) -> Any:
    """Sort key merging partitions by time while keeping each partition's own order.

    Producers stamp the time (several gateways' clocks), so a later record of a partition may carry
    an earlier time; the running maximum per partition never goes back, and the sort is stable.
    Replicas agree on who claimed an Idempotency-Key first only if they read a partition in order.
    """
    keys: dict[int, tuple[int, bool]] = {}
    for rs in batch.values():
        high = 0
        for r in rs:
            high = max(high, r.timestamp)
            keys[id(r)] = (high, r.topic == reply_topic)
    return lambda r: keys[id(r)]


async def _stop_client(client: AIOKafkaConsumer | AIOKafkaProducer) -> None:
    """Stop an aiokafka client, bounded, even with the broker gone.

    With the broker gone the producer waits on undeliverable batches, and the consumer's
    stop() lets its fetch task's CancelledError escape (aiokafka): swallow that one unless
    this task itself is being cancelled.
    """
    try:
        async with asyncio.timeout(3):
            await client.stop()
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            raise
    except Exception as exc:  # noqa: BLE001  (shutting down: log and go on)
        logger.debug("stopping %s: %r", type(client).__name__, exc)
