"""Faust glue: ``create_app(settings, bindings)`` registers one agent per stage binding.

Concurrency without loss (faust-streaming #606): faust's own ``concurrency>1`` runs
several actors whose acks may leave a one-offset gap that faust commits over. Each
agent here is a single faust actor reading a manual-ack stream; it fans messages out
to at most ``concurrency`` asyncio tasks and acknowledges offsets strictly in order
per partition (:class:`InOrderAcker`). A message is acked only after everything it
produced was acknowledged by the broker, so a kill -9 anywhere means redelivery.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping
from typing import Any

import faust
from aiokafka import TopicPartition
from faust.tables.manager import TableManager
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP

from streams.acker import InOrderAcker
from streams.binding import MessageMeta, Outgoing, StageBinding
from streams.health import BrokerProbe, TopicGuard
from streams.health.member import MemberSlot
from streams.health.standby import is_standby
from streams.kafka_clients import IdleFetchWait, faust_credentials
from streams.lifeline.drain import Drain
from streams.observability.stage import observed
from streams.observability.web import CLOSED_WEB, close_web, pick_port
from streams.observability.worker import install_worker_metrics
from streams.settings import Settings
from streams.topics import BASE_NAMES, topic_name, topic_specs

__all__ = ["InOrderAcker", "create_app", "join_requested", "readiness", "web_address"]

logger = logging.getLogger(__name__)


class _ConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
    _announcing: asyncio.Task[None] | None = None

    def _create_worker_consumer(self, transport: Any) -> Any:
        consumer = super()._create_worker_consumer(transport)
        # Faust hard-codes fetch_max_wait_ms=1500, which adds ~0.3 s per hop on Tansu.
        consumer._fetch_max_wait_ms = self.app.conf.bunri_fetch_wait.busy_ms  # type: ignore[attr-defined]
        if self.app.conf.bunri_assign_all is not None:  # type: ignore[attr-defined]
            # Without a join, the first committed-offset fetch races the coordinator lookup and
            # retries after retry_backoff (100 ms, on the first answer); the embedded broker is local.
            consumer._retry_backoff_ms = 10
        return consumer

    async def on_start(self) -> None:
        await super().on_start()
        # short fetch waits while records flow, long ones while idle (the broker's idle CPU)
        self.app.conf.bunri_fetch_wait.install(self._consumer)  # type: ignore[attr-defined]
        slot = self.app.conf.bunri_member_slot  # type: ignore[attr-defined]
        if slot is not None and (previous := slot.claim()):
            # rejoin as the dead predecessor instead of waiting out its session (streams/health/member.py)
            self._consumer._coordinator.member_id = previous

    async def on_partitions_assigned(self, assigned: set[TP], generation_id: int = 0) -> None:
        if (slot := self.app.conf.bunri_member_slot) is not None:  # type: ignore[attr-defined]
            slot.record(self._ensure_consumer()._coordinator.member_id)  # for whoever replaces this worker
        await super().on_partitions_assigned(assigned, generation_id)

    async def subscribe(self, topics: Iterable[str]) -> None:
        partitions: Mapping[str, int] | None = self.app.conf.bunri_assign_all  # type: ignore[attr-defined]
        if partitions is None:
            await super().subscribe(topics)
            return
        # One process owns every partition (embedded mode): take them all at once. Joining a group
        # would cost the coordinator's join delay (half the session timeout on Tansu, 3 s) for nothing.
        tps = {TP(topic, n) for topic in topics for n in range(partitions[topic])}
        await self.call_thread(self._assign, tps)
        # Faust marks the subscription done after subscribe() returns and only then expects the
        # assignment callbacks (they wait for it), so announce the partitions from a task.
        self._announcing = asyncio.ensure_future(self._announce(tps))

    async def _assign(self, tps: set[TP]) -> None:
        self._ensure_consumer().assign([TopicPartition(tp.topic, tp.partition) for tp in tps])

    async def _announce(self, tps: set[TP]) -> None:
        try:
            self.app.on_rebalance_start()
            await self.consumer.on_partitions_assigned(tps, 0)
        except Exception as exc:  # noqa: BLE001  (the app must stop, not hang unassigned)
            await self.crash(exc)


class _Consumer(faust_aiokafka.Consumer):
    def _new_consumer_thread(self) -> _ConsumerThread:
        return _ConsumerThread(self, loop=self.loop, beacon=self.beacon)


class _Transport(faust_aiokafka.Transport):
    Consumer = _Consumer


class _TableManager(TableManager):
    async def on_start(self) -> None:
        # Faust sleeps 1 s here so that tables declared late can still register before the
        # consumer subscribes; bunri declares no tables, so subscribe (and get partitions) now.
        if not self.should_stop:
            await self._update_channels()
            await self.recovery.start()


class BunriApp(faust.App):
    #: Start-up work still running beside faust (the Korean analyser loading in a thread);
    #: the app is not ready until every future here is done.
    warming: list[asyncio.Future[Any]]
    #: The broker check behind /readyz (streams/health).
    broker_probe: BrokerProbe | None = None
    #: In-flight handlers and the SIGTERM switch (streams/lifeline/drain.py).
    drain: Drain

    def _new_transport(self) -> Any:
        return _Transport(self.conf.broker_consumer, self, loop=self.loop)

    #: bunri pages served besides the probes and /metrics (the scheduler's /stats).
    extra_pages: frozenset[str] = frozenset()

    def on_webserver_init(self, web: Any) -> None:
        close_web(web, self.extra_pages)  # only /healthz, /readyz, /metrics (streams/observability/web.py)

    async def on_stop(self) -> None:
        await super().on_stop()
        if (slot := getattr(self.conf, "bunri_member_slot", None)) is not None:
            slot.release()  # the id stays in the slot file for a later worker


def create_app(settings: Settings, bindings: Iterable[StageBinding], *, app_id: str,
               web_port: int | None = None, assign_all: bool = False) -> BunriApp:
    """Build the faust app with one agent per binding. Nothing connects until it starts.

    Args:
        settings: The process's settings.
        bindings: One per stage this process runs.
        app_id: The consumer group (prefixed with the topic prefix).
        web_port: Serve ``/healthz`` and ``/readyz`` on this port; None for no web server.
        assign_all: This process is the only consumer (embedded mode): assign every partition
            directly instead of joining the consumer group. Offsets are still committed to the group.
    """
    kafka = settings.kafka
    (settings.data_dir / "faust").mkdir(parents=True, exist_ok=True)  # faust makes only the last level
    app = BunriApp(
        f"{kafka.topic_prefix}{app_id}",
        broker=f"kafka://{settings.bootstrap}",
        broker_credentials=faust_credentials(kafka),  # TLS/SASL (BUNRI_KAFKA__SECURITY_PROTOCOL)
        value_serializer="raw",
        key_serializer="raw",
        topic_allow_declare=False,  # topics are created up front (Tansu does not auto-create)
        topic_disable_leader=True,
        web_enabled=web_port is not None,
        web_port=6066 if web_port is None else pick_port(settings.worker.web_host, web_port),  # 0: a free one
        web_bind=settings.worker.web_host,
        **CLOSED_WEB,  # no /router/, /table/, /graph/, statistics
        broker_commit_interval=kafka.commit_interval_s,
        broker_session_timeout=kafka.session_ms() / 1000,  # resolved per broker kind by the caller
        broker_heartbeat_interval=kafka.heartbeat_interval_ms / 1000,
        broker_rebalance_timeout=kafka.rebalance_timeout_ms / 1000,
        broker_request_timeout=kafka.request_timeout_ms / 1000,
        consumer_auto_offset_reset="earliest",
        producer_linger=0.0,
        producer_acks=-1,
        stream_wait_empty=False,
        store="memory://",
        # faust makes a directory per app even with memory tables; keep it out of the working directory
        datadir=str(settings.data_dir / "faust" / "{conf.name}"),
        TableManager=_TableManager,
    )
    app.warming = []
    app.drain = Drain()  # SIGTERM: finish the messages in flight before stopping (streams/lifeline/drain.py)
    app.conf.bunri_fetch_wait = IdleFetchWait(kafka.fetch_max_wait_ms, kafka.fetch_idle_wait_ms)  # type: ignore[attr-defined]
    app.conf.bunri_assign_all = (  # type: ignore[attr-defined]
        {spec.name: spec.partitions for spec in topic_specs(kafka)} if assign_all else None)
    app.conf.bunri_member_slot = (  # type: ignore[attr-defined]
        None if assign_all else MemberSlot(settings.data_dir / "members", app.conf.id))
    out_topics = {key: topic_name(kafka, key) for key in BASE_NAMES}
    for binding in bindings:
        _register_agent(app, binding, topic_name(kafka, binding.name), out_topics, binding.concurrency)
    # /readyz asks the broker itself (a bounded metadata round trip): client state alone stays "ready"
    # while the broker is frozen or came back empty
    app.broker_probe = BrokerProbe(settings.bootstrap, [spec.name for spec in topic_specs(kafka)], security=kafka)
    guard = TopicGuard(settings.bootstrap, kafka)  # topics gone (empty broker restart): recreate them

    @app.timer(2.0, name="bunri.topic_guard")
    async def _topic_guard() -> None:
        await guard.check_once()

    _register_health(app)
    install_worker_metrics(app)  # /metrics beside the probes, and this app's consumer lag
    return app


def _register_agent(app: BunriApp, binding: StageBinding, source: str, out_topics: dict[str, str],
                    concurrency: int) -> None:
    topic = app.topic(source, value_serializer="raw", key_serializer="raw")
    acker = InOrderAcker()

    async def agent(stream: Any) -> None:
        manual = stream.noack()
        slots = asyncio.Semaphore(concurrency)
        tasks: set[asyncio.Task[None]] = set()
        async for event in manual.events():
            if app.drain.stopping:  # SIGTERM: buffered messages stay unacked, handed back (streams/lifeline/drain.py)
                continue
            await slots.acquire()
            if app.drain.stopping:
                slots.release()
                continue
            tp = event.message.tp
            slot = acker.track(tp, event)
            task = asyncio.ensure_future(_handle(app, binding, manual, event, tp, slot, acker, out_topics, slots))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            app.drain.track(task)

    agent.__name__ = f"{binding.name}_agent"
    app.agent(topic, name=f"bunri.{binding.name}", concurrency=1)(agent)


async def _handle(app: BunriApp, binding: StageBinding, stream: Any, event: Any, tp: TP, slot: list[Any],
                  acker: InOrderAcker, out_topics: dict[str, str], slots: asyncio.Semaphore) -> None:
    msg = event.message
    try:
        meta = MessageMeta(topic=msg.topic, partition=msg.partition, offset=msg.offset, key=msg.key)
        outgoing = await observed(binding, msg.value, meta)  # + progress events, metrics, log context
        await _send_until_delivered(app, binding.name, outgoing, out_topics, msg.offset)
    finally:
        slots.release()
    for ready in acker.done(tp, slot):
        await stream.ack(ready)


async def _send_until_delivered(app: BunriApp, stage: str, outgoing: list[Outgoing], out_topics: dict[str, str],
                                offset: int) -> None:
    """Produce every record, retrying while the broker is away; the input is acked only after.

    Giving up would mean acking a message whose output was never written (loss) or leaving a
    hole that blocks every later ack of the partition; so keep trying, and let a rebalance or a
    restart hand the partition to a healthy worker if this one stays cut off.
    """
    delay = 0.2
    while True:
        try:
            # One round trip for all of them: send() only queues a record (in this order, progress event
            # first), and the producer's sender puts every batch ready for the broker in one produce request.
            # Awaiting each in turn cost a round trip per record (the event, then the output) on every hop.
            acks = [await app.producer.send(out_topics[record.topic], record.key, record.value,
                                            partition=None, timestamp=None, headers=None) for record in outgoing]
            await asyncio.gather(*acks)
            return
        except Exception as exc:  # noqa: BLE001  (any producer failure is retried the same way)
            logger.warning("stage=%s offset=%s could not publish (%r); retrying in %.1fs",
                           stage, offset, exc, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)


def _register_health(app: BunriApp) -> None:
    @app.page("/healthz")
    async def healthz(web: Any, request: Any) -> Any:
        return web.json({"status": "ok"})

    @app.page("/readyz")
    async def readyz(web: Any, request: Any) -> Any:
        state = readiness(app)
        if (probe := getattr(app, "broker_probe", None)) is not None:
            checked = await probe.check()
            state = {**state, **checked.as_dict(), "ready": state["ready"] and checked.ok}
        return web.json(state, status=200 if state["ready"] else 503)


def join_requested(app: BunriApp) -> bool:
    """The group coordinator holds our join request: a good time to load.

    Kafka and Tansu answer a first JoinGroup at once with a member id and then hold the second one
    (Kafka's initial rebalance delay, half the session timeout on Tansu), so a member id means the
    request is out and the next seconds are the coordinator's.
    """
    try:
        coordinator = app.consumer._thread._consumer._coordinator  # faust thread -> aiokafka consumer
    except AttributeError:  # not created yet
        return False
    return bool(getattr(coordinator, "member_id", ""))


def readiness(app: BunriApp) -> dict[str, Any]:
    """Ready once the producer runs, the consumer holds partitions or is a settled standby, and start-up is done."""
    try:
        producer_ok = app.producer.started if app.producer else False
        assigned = len(app.consumer.assignment()) if app.consumer and app.consumer.started else 0
    except Exception:  # before start, faust raises on attribute access
        producer_ok, assigned = False, 0
    warm = all(f.done() for f in getattr(app, "warming", ()))
    standby = not assigned and is_standby(app)  # a spare member of the group (streams/health/standby.py)
    return {"ready": bool(producer_ok and (assigned or standby) and warm), "producer": producer_ok,
            "partitions": assigned, "standby": standby, "warm": warm}


def web_address(app: BunriApp) -> tuple[str, int] | None:
    """(host, port) of the worker's web server, None without one: the chosen port when 0 was asked."""
    if not app.conf.web_enabled:
        return None
    return str(app.conf.web_bind), int(app.conf.web_port)
