"""The configured topics next to what the broker has (``bunri topics list`` and ``check``)."""

from __future__ import annotations

from dataclasses import dataclass

from streams.topics import TopicSpec

__all__ = ["TopicRow", "compare_topics"]


@dataclass(frozen=True)
class TopicRow:
    """One configured topic: its partitions in the configuration and on the broker (None: missing)."""

    name: str
    configured: int
    replication: int
    broker: int | None

    @property
    def status(self) -> str:
        if self.broker is None:
            return "MISSING"
        return "ok" if self.broker == self.configured else "MISMATCH"

    def line(self) -> str:
        broker = "-" if self.broker is None else str(self.broker)
        return (f"{self.name}\tpartitions={self.configured}\tbroker={broker}\treplication={self.replication}"
                f"\t{self.status}")


def compare_topics(specs: list[TopicSpec], broker: dict[str, int]) -> list[TopicRow]:
    """A row per configured topic; a row is ``ok`` only when the broker has it with the same partitions."""
    return [TopicRow(s.name, s.partitions, s.replication_factor, broker.get(s.name)) for s in specs]
