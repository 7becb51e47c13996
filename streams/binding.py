"""The one generic binding between a pure stage handler and the topics (Kafka-free).

For each raw message it: decodes the value into the stage's input contract (a tolerant reader:
fields this version does not know are ignored and logged once, :func:`streams.contracts.decode`), drops work
whose deadline passed (timeout Failure), calls the handler, retries transient errors
with backoff inside the deadline, and routes the result:

- a next-stage message -> the next topic, with the stage's prompt version added to ``prompts``;
- an :class:`~streams.contracts.Answer` or :class:`~streams.contracts.Failure` -> the reply topic, stamped
  with what produced it (bunri version, prompt versions) and the envelope's ``accepted_at``/``replay_of``;
- a permanent error (or an undecodable value, or a bug) -> the dead-letter topic with the
  reason and the original payload, plus a Failure reply so the client hears at once.

It returns the list of records to produce; :mod:`streams.app` sends them and only then
acknowledges the input, so a crash before that point means redelivery, never loss.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ValidationError

from streams import __version__ as BUNRI_VERSION
from streams import contracts as c
from streams.errors import PermanentError, PipelineError, TransientError
from streams.topics import NEXT

__all__ = ["Outgoing", "StageBinding", "MessageMeta"]

logger = logging.getLogger(__name__)

Handler = Callable[[Any], Awaitable[BaseModel]]

#: Output type -> topic key (stage outputs go to the next stage's topic).
_ROUTES: dict[type[BaseModel], str] = {
    c.PreparedQuery: "gpt5",
    c.AnalysedQuery: "rag",
    c.RuleContext: "gpt4o",
    c.Answer: "reply",
    c.Failure: "reply",
}


@dataclass(frozen=True)
class Outgoing:
    topic: str  # topic key from streams.topics.BASE_NAMES
    key: bytes | None
    value: bytes
    #: The contract ``value`` was encoded from, so the glue (progress events, metrics) need not decode
    #: the bytes again; None for a record built from bytes alone.
    model: BaseModel | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class MessageMeta:
    topic: str
    partition: int | None = None
    offset: int | None = None
    key: bytes | None = None


@dataclass
class StageBinding:
    """A stage: its name, input contract and pure handler.

    Example:
        binding = StageBinding("rag", c.AnalysedQuery, functools.partial(lookup, catalog=catalog))
        outgoing = await binding.process(raw_value, MessageMeta("q.rag", 0, 42))
    """

    name: str
    in_model: type[BaseModel]
    handler: Handler
    concurrency: int = 1  # messages in flight for this stage in one worker
    max_backoff_s: float = 2.0
    clock: Callable[[], datetime] = c.utcnow
    stats: dict[str, int] = field(default_factory=lambda: {"ok": 0, "dead_letter": 0, "timeout": 0, "retried": 0})
    prompt: str | None = None  # this stage's prompt version (label@hash), when it has a model

    async def process(self, raw: bytes | None, meta: MessageMeta) -> list[Outgoing]:
        try:
            msg = c.decode(self.in_model, raw or b"")
        except ValidationError as exc:
            return self._dead_letter(raw, meta, "invalid_input", exc, _query_id_from(raw, meta))
        envelope: c.Envelope = msg.envelope  # type: ignore[attr-defined]
        if envelope.expired(self.clock()):
            self.stats["timeout"] += 1
            return [self._failure(envelope, "timeout", f"deadline passed before stage {self.name}")]
        return await self._run(msg, envelope, raw, meta)

    async def _run(self, msg: BaseModel, env: c.Envelope, raw: bytes | None, meta: MessageMeta) -> list[Outgoing]:
        attempt = 0
        started = time.perf_counter()
        while True:
            try:
                out = await self._call(msg, env)
                break
            except TransientError as exc:
                attempt += 1
                delay = min(self.max_backoff_s, 0.1 * 2**attempt)
                retry_after = getattr(exc, "retry_after", None)
                delay = max(delay, retry_after or 0.0)
                left = (env.deadline - self.clock()).total_seconds()
                if left <= delay:
                    self.stats["timeout"] += 1
                    return [self._failure(env, exc.reason if exc.reason != "internal" else "timeout",
                                          f"{self.name}: {exc.message} (gave up at the deadline "
                                          f"after {attempt} tries)")]
                self.stats["retried"] += 1
                logger.warning("stage=%s query=%s transient error, retry %d in %.2fs: %s",
                               self.name, env.query_id, attempt, delay, exc)
                await asyncio.sleep(delay)
            except PermanentError as exc:
                return self._dead_letter(raw, meta, exc.reason, exc, env.query_id, env)
            except TimeoutError as exc:  # the handler hit the deadline
                self.stats["timeout"] += 1
                return [self._failure(env, "timeout", f"{self.name}: deadline reached ({exc!r})")]
            except Exception as exc:  # a bug must not kill the worker: dead-letter it
                logger.exception("stage=%s query=%s unexpected error", self.name, env.query_id)
                return self._dead_letter(raw, meta, "internal", exc, env.query_id, env)
        try:
            return [self._route(out, env, attempt, msg, (time.perf_counter() - started) * 1000)]
        except Exception as exc:  # a handler returned something unroutable: a bug, dead-letter it
            logger.exception("stage=%s query=%s returned an unroutable result", self.name, env.query_id)
            return self._dead_letter(raw, meta, "internal", exc, env.query_id, env)

    async def _call(self, msg: BaseModel, env: c.Envelope) -> BaseModel:
        left = (env.deadline - self.clock()).total_seconds()
        if left <= 0:
            raise TimeoutError("deadline passed")
        async with asyncio.timeout(left):
            return await self.handler(msg)

    def _route(self, out: BaseModel, env: c.Envelope, attempt: int, msg: BaseModel,
               elapsed_ms: float) -> Outgoing:
        topic = _ROUTES.get(type(out))
        if topic not in (NEXT.get(self.name), "reply"):  # never loop back or skip a stage
            raise TypeError(f"stage {self.name} returned {type(out).__name__}, which it may not publish")
        # Earlier stages' timings and prompt versions travel forward even if a handler built its
        # output afresh; a cached Answer keeps the prompts that wrote it.
        timings = {**getattr(msg, "timings_ms", {}), **getattr(out, "timings_ms", {}),
                   self.name: round(elapsed_ms, 2)}
        update: dict[str, Any] = {"timings_ms": timings}
        if hasattr(out, "prompts"):
            own = {self.name: self.prompt} if self.prompt else {}
            update["prompts"] = {**getattr(msg, "prompts", {}), **getattr(out, "prompts", {}), **own}
        if hasattr(out, "envelope"):
            update["envelope"] = env.model_copy(update={"attempt": attempt})
        if isinstance(out, c.Answer | c.Failure):
            update.update(_provenance(env))
        out = out.model_copy(update=update)
        self.stats["ok"] += 1
        return Outgoing(topic, str(env.query_id).encode(), out.model_dump_json().encode(), out)

    def _failure(self, env: c.Envelope, reason: c.FailureReason, message: str) -> Outgoing:
        failure = c.Failure(query_id=env.query_id, reason=reason, message=message, stage=self.name,
                            **_provenance(env))
        return Outgoing("reply", str(env.query_id).encode(), failure.model_dump_json().encode(), failure)

    def _dead_letter(
        self, raw: bytes | None, meta: MessageMeta, reason: c.FailureReason, exc: BaseException,
        query_id: UUID | None, env: c.Envelope | None = None,
    ) -> list[Outgoing]:
        self.stats["dead_letter"] += 1
        text = (raw or b"").decode("utf-8", errors="replace")
        cut = len(text) > c.MAX_DEAD_LETTER_PAYLOAD
        message = exc.message if isinstance(exc, PipelineError) else f"{type(exc).__name__}: {exc}"
        dead = c.DeadLetter(
            query_id=query_id, stage=self.name, topic=meta.topic, partition=meta.partition,
            offset=meta.offset, reason=reason, error=f"{type(exc).__name__}: {message}"[:4000],
            payload=text[: c.MAX_DEAD_LETTER_PAYLOAD], payload_truncated=cut,
        )
        logger.error("stage=%s query=%s partition=%s offset=%s dead-lettered (%s): %s",
                     self.name, query_id, meta.partition, meta.offset, reason, message)
        key = str(query_id).encode() if query_id else meta.key
        records = [Outgoing("dead_letter", key, dead.model_dump_json().encode(), dead)]
        if query_id is not None:
            stamp = _provenance(env) if env is not None else {"bunri_version": BUNRI_VERSION}
            failure = c.Failure(query_id=query_id, reason=reason, message=message[:1000], stage=self.name,
                                **stamp)
            records.append(Outgoing("reply", key, failure.model_dump_json().encode(), failure))
        return records


def _provenance(env: c.Envelope) -> dict[str, Any]:
    """What every reply says about where it came from, from the sending worker and the envelope."""
    return {"bunri_version": BUNRI_VERSION, "accepted_at": env.created_at, "replay_of": env.replay_of}


def _query_id_from(raw: bytes | None, meta: MessageMeta) -> UUID | None:
    """Best effort: a poison message still gets a Failure reply when its id is readable."""
    candidates: list[Any] = []
    try:
        data = json.loads(raw or b"")
        if isinstance(data, dict):
            env = data.get("envelope")
            candidates.append(env.get("query_id") if isinstance(env, dict) else None)
            candidates.append(data.get("query_id"))
    except ValueError:
        pass
    if meta.key:
        candidates.append(meta.key.decode("utf-8", errors="replace"))
    for value in candidates:
        try:
            return UUID(str(value))
        except ValueError:
            continue
    return None
