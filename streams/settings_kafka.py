"""Kafka settings (``BUNRI_KAFKA__*``): topics, fetch waits and consumer-group timings.

A plain frozen model composed into :class:`streams.settings.Settings` (which re-exports it), kept
apart so the main settings module stays small. The TLS/SASL part is :class:`KafkaSecurity`.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from streams.settings_security import KafkaSecurity

__all__ = ["EMBEDDED_SESSION_TIMEOUT_MS", "KAFKA_SESSION_TIMEOUT_MS", "KafkaSettings", "Partitions"]

#: Kafka refuses a shorter session (``group.min.session.timeout.ms`` defaults to 6 s); failover after
#: ``kill -9`` is this plus a rebalance. Faust's own default (60 s) made it take ~90 s.
KAFKA_SESSION_TIMEOUT_MS = 6_000
#: On bunri's embedded Tansu: Tansu 0.6 holds every JoinGroup in 1 s steps until half the group's
#: session timeout has passed (not configurable on the broker), so a worker's start-up is half of
#: this; 4 s holds 2 s (3 s would too) and still tolerates a 4 s stall of a busy worker.
EMBEDDED_SESSION_TIMEOUT_MS = 4_000


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Partitions(_Frozen):
    """Partition count per topic: a stage scales out to at most this many workers."""

    preprocess: int = Field(default=6, ge=1)
    gpt5: int = Field(default=10, ge=1)
    rag: int = Field(default=4, ge=1)
    gpt4o: int = Field(default=6, ge=1)
    reply: int = Field(default=6, ge=1)
    dead_letter: int = Field(default=3, ge=1)
    events: int = Field(default=6, ge=1)
    feedback: int = Field(default=3, ge=1)


class KafkaSettings(KafkaSecurity):  # + TLS/SASL of every client (streams/settings_security.py)
    topic_prefix: str = Field(default="", description="Prepended to every topic name, for shared clusters.")
    partitions: Partitions = Partitions()
    replication_factor: int = Field(default=1, ge=1)
    # Tansu answers a fetch by re-reading the log on a timer, not when a record arrives, so the wait is
    # both the delay per hop and the broker's CPU per consumer (streams/kafka_clients.py: IdleFetchWait).
    # Faust hard-codes 1500 ms (~0.3 s per hop on Tansu); 20 ms keeps 4 hops at ~40 ms while records flow.
    fetch_max_wait_ms: int = Field(default=20, ge=1, le=10_000)
    # A consumer that has had no record for a second doubles its wait per empty fetch up to this, and
    # drops back to fetch_max_wait_ms at its first record: an idle consumer costs the broker ~6 log reads
    # a second instead of 50, and a record after a quiet spell waits ~W/4 on average (max ~0.65 W) per
    # hop instead of ~7 ms (measured on Tansu: docs/operations.md). Kafka answers at once either way.
    fetch_idle_wait_ms: int = Field(default=1_000, ge=1, le=10_000)
    # None: KAFKA_SESSION_TIMEOUT_MS, or EMBEDDED_SESSION_TIMEOUT_MS on bunri's embedded broker
    # (session_ms); the chart sets 6000 explicitly.
    session_timeout_ms: int | None = Field(default=None, ge=1_000)
    heartbeat_interval_ms: int = Field(default=1_000, ge=100)
    rebalance_timeout_ms: int = Field(default=10_000, ge=1_000)
    commit_interval_s: float = Field(default=0.5, gt=0)
    request_timeout_ms: int = Field(default=15_000, ge=1_000)
    # On for the embedded broker and by default: topics that vanish while running (an empty restart) are
    # recreated with the configured partitions (streams/health/guard.py). Off: only reported.
    create_topics: bool = Field(default=True, description="Recreate missing topics at runtime.")

    def session_ms(self, *, embedded: bool = False) -> int:
        """The consumer-group session timeout: the configured one, else the broker kind's default."""
        if self.session_timeout_ms is not None:
            return self.session_timeout_ms
        return EMBEDDED_SESSION_TIMEOUT_MS if embedded else KAFKA_SESSION_TIMEOUT_MS
