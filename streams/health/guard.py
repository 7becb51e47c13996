"""Notice that topics vanished (the broker restarted empty, someone deleted one) and recreate them.

The embedded Tansu keeps everything in memory: killed and started again on the same port it comes
back with no topics. Our clients reconnect by themselves, and a group-less reader whose offsets are
now past the end resets to it, so what is missing is the topics, with their configured partitions.
Left alone, the first producer's metadata request auto-creates a topic with the broker's default
partition count instead, and the consumers of the others wait forever. Every component runs this
check every couple of seconds; creation is idempotent, so several of them racing is harmless.
``BUNRI_KAFKA__CREATE_TOPICS=false`` (managed clusters whose topics are provisioned elsewhere) only
reports what is missing.
"""

from __future__ import annotations

import asyncio
import logging

from aiokafka.errors import KafkaError

from streams.broker import ensure_topics
from streams.errors import BrokerUnavailable
from streams.health.broker import fetch_topics
from streams.settings import KafkaSettings
from streams.topics import topic_specs

__all__ = ["TopicGuard"]

logger = logging.getLogger(__name__)


class TopicGuard:
    """Recreate the configured topics that the broker no longer has (when allowed).

    Example:
        guard = TopicGuard(settings.bootstrap, settings.kafka)
        task = asyncio.create_task(guard.run())
    """

    def __init__(self, bootstrap: str | None, kafka: KafkaSettings, *, interval_s: float = 2.0,
                 timeout_s: float = 1.5) -> None:
        self._bootstrap, self._kafka = bootstrap, kafka
        self._interval, self._timeout = interval_s, timeout_s
        self.recreated = 0  # topics this process recreated (tests, logs)

    async def check_once(self) -> list[str]:
        """Look once; return the topics found missing (recreated when allowed). Never raises."""
        if not self._bootstrap:
            return []
        try:
            have = await fetch_topics(self._bootstrap, self._timeout, security=self._kafka)
        except KafkaError:
            return []  # unreachable: readiness reports it; nothing to create on a broker we cannot reach
        specs = topic_specs(self._kafka)
        missing = [s.name for s in specs if s.name not in have]
        wrong = [f"{s.name} ({have[s.name]} partitions, configured {s.partitions})" for s in specs
                 if s.name in have and have[s.name] != s.partitions]
        if wrong:
            logger.error("topics differ from the configuration: %s (see `bunri topics check`)", ", ".join(wrong))
        if missing and self._kafka.create_topics:
            logger.warning("topics missing on the broker (restarted empty?): %s; recreating", ", ".join(missing))
            try:
                await ensure_topics(self._bootstrap, self._kafka, timeout=10.0)
                self.recreated += len(missing)
            except BrokerUnavailable as exc:
                logger.warning("could not recreate topics: %s", exc.message)
        elif missing:
            logger.error("topics missing on the broker: %s (BUNRI_KAFKA__CREATE_TOPICS is off)", ", ".join(missing))
        return missing

    async def run(self) -> None:
        """Check every ``interval_s`` until cancelled."""
        while True:
            await self.check_once()
            await asyncio.sleep(self._interval)
