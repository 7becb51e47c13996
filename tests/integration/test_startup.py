"""Start-up (issue 18): embedded, every partition assigned directly without a group join, offsets committed;
a worker on a running cluster joins its group with the session timeout of the broker's kind."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from gateway.bus import KafkaRequestBus
from streams import contracts as c
from streams.app import readiness
from streams.broker import EMBEDDED_CLUSTER_ID, EmbeddedBroker, cluster_id
from streams.cli.ask import ask_one
from streams.phases import Phases
from streams.runtime import embedded_stages, running_stages
from streams.settings import STAGES, Settings
from streams.store import make_store
from streams.topics import topic_name, topic_specs

pytestmark = pytest.mark.integration


async def test_embedded_stages_take_every_partition_without_joining_a_group(tmp_path: Path) -> None:
    base = Settings().model_copy(update={"data_dir": tmp_path, "kafka_bootstrap": None,
                                         "rules_cache_dir": tmp_path / "cache"})
    phases = Phases()
    async with embedded_stages(base, list(STAGES), warm_pool=False, phases=phases) as (app, settings):
        stage_topics = {topic_name(settings.kafka, s) for s in STAGES}
        expected = sum(spec.partitions for spec in topic_specs(settings.kafka) if spec.name in stage_topics)
        state = readiness(app)
        assert state["ready"] and state["warm"] and state["partitions"] == expected
        # A group join costs Tansu's join delay (half the session timeout, 3 s); direct assignment does not.
        assert phases.spans["assignment"] < settings.kafka.session_ms(embedded=True) / 2000
        admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap)
        await admin.start()
        try:
            (described,) = await admin.describe_consumer_groups(["bunri-all"])
            assert not [g for g in described.groups if g[1] == "bunri-all" and g[5]], "a member joined the group"

            reply = await _ask(settings, "우유팩 어떻게 버려요?")
            assert isinstance(reply, c.Answer) and reply.item and reply.item.official_category == "종이팩"
        finally:
            await admin.close()
        # Offsets are still committed to the group (every commit_interval_s), without membership.
        assert await _committed_topics(settings, stage_topics) == stage_topics


async def test_bunris_embedded_broker_says_so_in_its_cluster_id() -> None:
    with EmbeddedBroker() as broker:
        assert await cluster_id(broker.bootstrap) == EMBEDDED_CLUSTER_ID


async def test_a_worker_joins_with_the_session_timeout_of_the_brokers_kind(settings_factory) -> None:  # type: ignore[no-untyped-def]
    settings = settings_factory()
    embedded = await cluster_id(settings.bootstrap) == EMBEDDED_CLUSTER_ID
    session_s = settings.kafka.session_ms(embedded=embedded) / 1000  # 4 s on bunri's Tansu, 6 s on Kafka
    phases = Phases()
    async with running_stages(settings, ["gpt4o"], phases=phases) as app:
        assert app.conf.broker_session_timeout == session_s
        assert readiness(app)["partitions"] == settings.kafka.partitions.gpt4o
    if embedded:  # Tansu holds a join for half the session timeout (1 s steps): 2 s instead of 3 s
        assert phases.spans["assignment"] < session_s * 0.75


async def _committed_topics(settings: Settings, topics: set[str], timeout: float = 10.0) -> set[str]:
    """The topics with a committed offset > 0 in group bunri-all (read as faust reads them)."""
    reader = AIOKafkaConsumer(bootstrap_servers=settings.bootstrap, group_id="bunri-all", enable_auto_commit=False)
    await reader.start()
    try:
        tps = [TopicPartition(t, p) for spec in topic_specs(settings.kafka) if (t := spec.name) in topics
               for p in range(spec.partitions)]
        deadline = time.monotonic() + timeout
        while True:
            found = {tp.topic for tp in tps if (await reader.committed(tp) or 0) > 0}
            if found == topics or time.monotonic() > deadline:
                return found
            await asyncio.sleep(0.2)
    finally:
        await reader.stop()


async def _ask(settings: Settings, question: str) -> c.Answer | c.Failure:
    bus = KafkaRequestBus(settings)
    await bus.start()
    try:
        return await ask_one(bus, make_store(settings), settings, question, None)
    finally:
        await bus.stop()
