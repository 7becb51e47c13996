"""Topic names, value models and partition counts: declared here once, nowhere else."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from streams import contracts as c
from streams.settings import KafkaSettings

__all__ = ["TopicSpec", "topic_specs", "topic_name", "BASE_NAMES"]

# stage -> (base topic name, value model). The reply and dead-letter topics close the table.
BASE_NAMES: dict[str, str] = {
    "preprocess": "q.preprocess",
    "gpt5": "q.gpt5",
    "rag": "q.rag",
    "gpt4o": "q.gpt4o",
    "reply": "q.reply",
    "dead_letter": "q.dead-letter",
    "events": "q.events",  # progress per query, read by every gateway replica (SSE)
    "feedback": "q.feedback",  # users' feedback on answers
}

VALUE_MODELS: dict[str, type[BaseModel] | object] = {
    "preprocess": c.QueryRequest,
    "gpt5": c.PreparedQuery,
    "rag": c.AnalysedQuery,
    "gpt4o": c.RuleContext,
    "reply": c.Reply,
    "dead_letter": c.DeadLetter,
    "events": c.ProgressEvent,
    "feedback": c.Feedback,
}

#: The stage that consumes each stage topic, and where its output goes.
NEXT: dict[str, str] = {"preprocess": "gpt5", "gpt5": "rag", "rag": "gpt4o", "gpt4o": "reply"}


@dataclass(frozen=True)
class TopicSpec:
    key: str
    name: str
    partitions: int
    replication_factor: int


def topic_name(kafka: KafkaSettings, key: str) -> str:
    return f"{kafka.topic_prefix}{BASE_NAMES[key]}"


def topic_specs(kafka: KafkaSettings) -> list[TopicSpec]:
    return [
        TopicSpec(key, topic_name(kafka, key), getattr(kafka.partitions, key), kafka.replication_factor)
        for key in BASE_NAMES
    ]
