"""One metadata round trip, bounded in time: is the broker there, and which topics does it have?

Readiness used to look only at client state (producer started, partitions assigned), which stays
true while the broker is frozen (SIGSTOP) or restarted empty. A metadata request answered within
a short timeout is the cheapest thing that is only true when the broker really serves us. Each
check uses a fresh client: a half-open connection to a frozen broker cannot make it look alive,
and there is no connection state to recover after the broker restarts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from aiokafka.client import AIOKafkaClient
from aiokafka.errors import KafkaError

from streams.kafka_clients import client_options
from streams.settings_security import KafkaSecurity

__all__ = ["BrokerProbe", "ProbeResult", "fetch_topics"]

logger = logging.getLogger(__name__)


async def fetch_topics(bootstrap: str, timeout_s: float = 3.0, *,
                       security: KafkaSecurity | None = None) -> dict[str, int]:
    """The broker's topics and their partition counts (internal ``__`` topics left out).

    Raises:
        KafkaError: the broker did not answer within ``timeout_s`` (a ``KafkaTimeoutError``) or refused.
    """
    client = AIOKafkaClient(bootstrap_servers=bootstrap, request_timeout_ms=int(timeout_s * 1000),
                            **(client_options(security) if security else {}))  # TLS/SASL
    try:
        async with asyncio.timeout(timeout_s):
            await client.bootstrap()
            metadata = await client.fetch_all_metadata()
    except (TimeoutError, OSError) as exc:
        raise KafkaError(f"no metadata from {bootstrap} within {timeout_s:g}s ({exc!r})") from exc
    finally:
        with contextlib.suppress(Exception):
            async with asyncio.timeout(1.0):
                await client.close()
    return {topic: len(metadata.partitions_for_topic(topic) or ()) for topic in metadata.topics()
            if not topic.startswith("__")}


@dataclass(frozen=True)
class ProbeResult:
    """The last check: the broker answered, and which expected topics it lacks."""

    reachable: bool
    missing: tuple[str, ...] = ()
    error: str | None = None
    checked_at: float = field(default_factory=time.monotonic)

    @property
    def ok(self) -> bool:
        return self.reachable and not self.missing

    def as_dict(self) -> dict[str, object]:
        return {"broker": self.reachable, "missing_topics": list(self.missing), "broker_error": self.error}


class BrokerProbe:
    """Cached broker check for ``/readyz``: at most one round trip per ``cache_s``, each bounded.

    Example:
        probe = BrokerProbe("localhost:9092", ["q.reply", "q.events"])
        if not (await probe.check()).ok: ...  # not ready
    """

    def __init__(self, bootstrap: str | None, topics: Mapping[str, int] | list[str], *, timeout_s: float = 1.5,
                 cache_s: float = 3.0, security: KafkaSecurity | None = None) -> None:
        self._bootstrap, self._security = bootstrap, security
        self._topics = list(topics)
        self._timeout, self._cache = timeout_s, cache_s
        self._last: ProbeResult | None = None
        self._lock = asyncio.Lock()

    @property
    def last(self) -> ProbeResult | None:
        return self._last

    async def check(self) -> ProbeResult:
        async with self._lock:  # concurrent probes share one round trip
            last = self._last
            if last is not None and time.monotonic() - last.checked_at < self._cache:
                return last
            self._last = await self._round_trip()
            return self._last

    async def _round_trip(self) -> ProbeResult:
        if not self._bootstrap:
            return ProbeResult(False, error="no Kafka bootstrap address")
        try:
            have = await fetch_topics(self._bootstrap, self._timeout, security=self._security)
        except KafkaError as exc:
            logger.warning("readiness: broker %s: %s", self._bootstrap, exc)
            return ProbeResult(False, error=str(exc))
        return ProbeResult(True, tuple(t for t in self._topics if t not in have))
