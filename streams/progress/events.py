"""Progress events derived from a stage's output records (pure; no Kafka, no faust).

The binding returns the records a stage produces (:class:`streams.binding.Outgoing`); the glue
(:mod:`streams.observability.stage`) puts one :class:`~streams.contracts.ProgressEvent` in front of each
record it describes; the records go to the broker in that order in one produce request, before the
input is acknowledged, and the next stage publishes only after reading the message: a query's events,
keyed by its id, therefore arrive on ``q.events`` in the order they happened (docs/topics.md).

| the stage produced                        | event(s), in order                    |
|-------------------------------------------|---------------------------------------|
| ``PreparedQuery`` (preprocess)            | ``preprocessed`` (cache_hit false)    |
| ``Answer`` from preprocess (cache hit)    | ``preprocessed`` (cache_hit true), ``answer`` |
| ``AnalysedQuery`` (gpt5)                  | ``analysed`` (item guesses, confidence) |
| ``RuleContext`` (rag)                     | ``rules`` (items with categories)     |
| ``Answer`` (gpt4o)                        | ``answer`` (the result object)        |
| ``Failure`` (any stage)                   | ``failure``                           |

``accepted`` is the gateway's (:func:`accepted_event`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ValidationError

from streams import contracts as c
from streams.binding import Outgoing
from streams.topics import VALUE_MODELS

__all__ = ["accepted_event", "decode_records", "events_for", "with_progress"]

logger = logging.getLogger(__name__)

#: Records whose value is decoded for events and metrics (stage topics, replies, dead letters).
_DECODED = ("gpt5", "rag", "gpt4o", "reply", "dead_letter")


def decode_records(outgoing: Iterable[Outgoing]) -> list[tuple[Outgoing, BaseModel | None]]:
    """Each record with its value read back as its topic's contract (None when it is not one of ours)."""
    out: list[tuple[Outgoing, BaseModel | None]] = []
    for record in outgoing:
        model: BaseModel | None = record.model  # the binding's own records carry it: no second decode
        if model is None and record.topic in _DECODED:
            try:
                if record.topic == "reply":
                    model = c.parse_reply(record.value)
                else:
                    model = c.decode(VALUE_MODELS[record.topic], record.value)  # type: ignore[arg-type]
            except (ValidationError, ValueError):
                logger.debug("record for %s did not decode; no event for it", record.topic)
        out.append((record, model))
    return out


def with_progress(stage: str, decoded: Iterable[tuple[Outgoing, BaseModel | None]],
                  now: datetime | None = None) -> list[Outgoing]:
    """The records to produce: each preceded by the progress events that describe it."""
    records: list[Outgoing] = []
    for record, model in decoded:
        for event in events_for(stage, model, now):
            records.append(Outgoing("events", str(event.query_id).encode(), event.model_dump_json().encode()))
        records.append(record)
    return records


def events_for(stage: str, model: BaseModel | None, now: datetime | None = None) -> list[c.ProgressEvent]:
    """The progress events one output of ``stage`` stands for (see the table above)."""
    now = now or c.utcnow()
    if isinstance(model, c.PreparedQuery):
        return [_event(model.envelope.query_id, "preprocessed", stage, model.envelope.created_at, now,
                       has_image=model.image is not None, cache_hit=False)]
    if isinstance(model, c.AnalysedQuery):
        a = model.analysis
        return [_event(model.envelope.query_id, "analysed", stage, model.envelope.created_at, now,
                       method=a.method, confidence=a.confidence, needs_clarification=a.needs_clarification,
                       items=[_guess(i.item_id, i.name, i.official_category, i.confidence) for i in a.items])]
    if isinstance(model, c.RuleContext):
        return [_event(model.envelope.query_id, "rules", stage, model.envelope.created_at, now,
                       items=[_guess(g.item_id, g.name, g.official_category) for g in model.guidance][:10],
                       rules_count=sum(len(g.rules) for g in model.guidance))]
    if isinstance(model, c.Answer):
        events = []
        if stage == "preprocess":  # a cache hit: the answer never reached the later stages
            events.append(_event(model.query_id, "preprocessed", stage, model.accepted_at, now, cache_hit=True))
        events.append(_event(model.query_id, "answer", stage, model.accepted_at, now, answer=model))
        return events
    if isinstance(model, c.Failure):
        return [_event(model.query_id, "failure", stage, model.accepted_at, now, failure=model)]
    return []


def accepted_event(query_id: UUID, *, has_image: bool, now: datetime | None = None,
                   client: str | None = None) -> c.ProgressEvent:
    """The gateway's first event: the query is accepted and on its way to preprocess (``client``: its key id)."""
    return c.ProgressEvent(query_id=query_id, event="accepted", stage="gateway", at=now or c.utcnow(),
                           elapsed_ms=0.0, has_image=has_image, client=client)


def _event(query_id: UUID, kind: c.ProgressKind, stage: str, accepted: datetime | None, now: datetime,
           **fields: Any) -> c.ProgressEvent:
    elapsed = round(max(0.0, (now - accepted).total_seconds() * 1000), 2) if accepted else None
    return c.ProgressEvent(query_id=query_id, event=kind, stage=stage, at=now, elapsed_ms=elapsed, **fields)


def _guess(item_id: str | None, name: str, category: c.OfficialCategory | None,
           confidence: float | None = None) -> c.ItemGuess:
    return c.ItemGuess(item_id=item_id, name=name, official_category=category, confidence=confidence)
