"""A replay run's own request-reply: produce to the run's topics, collect its replies by query id.

Like the gateway's bus (faust's ReplyConsumer idea), but on the run's topics only, which nobody else
reads or writes, and able to inject at ``q.gpt5`` as well as at ``q.preprocess``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from uuid import UUID

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from streams import contracts as c
from streams.eval.errors import SourceError
from streams.kafka_clients import client_options
from streams.settings import Settings
from streams.topics import topic_name, topic_specs

__all__ = ["RunBus", "delete_run_topics"]

logger = logging.getLogger(__name__)


class RunBus:
    """The run's own request-reply: produce to its topics, collect from its reply topic by query id."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._reply_topic = topic_name(settings.kafka, "reply")
        self._waiters: dict[UUID, asyncio.Future[c.Answer | c.Failure]] = {}
        self._producer: AIOKafkaProducer | None = None
        self._consumer: AIOKafkaConsumer | None = None
        self._reader: asyncio.Task[None] | None = None

    async def __aenter__(self) -> RunBus:
        bootstrap = self._settings.bootstrap
        security = client_options(self._settings.kafka)  # TLS/SASL
        self._producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=0, acks="all", **security)
        self._consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                                          fetch_max_wait_ms=self._settings.kafka.fetch_max_wait_ms, **security)
        await self._producer.start()
        await self._consumer.start()
        await self._consumer._client.force_metadata_update()  # noqa: SLF001 (no public refresh in aiokafka)
        tps = [TopicPartition(self._reply_topic, p)
               for p in sorted(self._consumer.partitions_for_topic(self._reply_topic) or [])]
        if not tps:
            raise SourceError(f"the run's reply topic {self._reply_topic} does not exist")
        self._consumer.assign(tps)
        await self._consumer.seek_to_end(*tps)
        for tp in tps:  # resolve the positions now, so no reply produced after this is missed
            await self._consumer.position(tp)
        self._reader = asyncio.create_task(self._read(), name="bunri-replay-replies")
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        for client in (self._consumer, self._producer):
            if client is not None:
                with contextlib.suppress(Exception):
                    await client.stop()

    async def ask(self, key: str, qid: UUID, message: c.QueryRequest | c.PreparedQuery,
                  timeout: float) -> c.Answer | c.Failure | None:
        assert self._producer is not None
        fut = self._waiters[qid] = asyncio.get_running_loop().create_future()
        try:
            await self._producer.send_and_wait(topic_name(self._settings.kafka, key),
                                               message.model_dump_json().encode(), key=str(qid).encode())
            return await asyncio.wait_for(fut, timeout)
        except TimeoutError:
            return None
        finally:
            self._waiters.pop(qid, None)

    async def _read(self) -> None:
        assert self._consumer is not None
        while True:
            try:
                batch = await self._consumer.getmany(timeout_ms=500, max_records=500)
            except KafkaError as exc:  # a fetch hiccup must not end the run: every later ask would time out
                logger.warning("run reply reader: %r; retrying", exc)
                await asyncio.sleep(0.5)
                continue
            for records in batch.values():
                for record in records:
                    try:
                        reply = c.parse_reply(record.value or b"")
                    except ValueError:
                        logger.error("run reply topic carried an undecodable value; dropped")
                        continue
                    fut = self._waiters.get(reply.query_id)
                    if fut is not None and not fut.done():  # a duplicate (redelivery) finds it done
                        fut.set_result(reply)


async def delete_run_topics(settings: Settings) -> None:
    """Delete the run's topics (best effort: the results are written, leftovers are only clutter)."""
    names = [spec.name for spec in topic_specs(settings.kafka)]
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap, request_timeout_ms=15_000,
                                **client_options(settings.kafka))
    try:
        await admin.start()
        await admin.delete_topics(names)
    except Exception as exc:  # noqa: BLE001  (the results are written; leftover topics are only clutter)
        logger.warning("could not delete the run's topics %s: %r", ", ".join(names), exc)
    finally:
        with contextlib.suppress(Exception):
            await admin.close()
