"""``bunri replay``: re-run recorded queries through the pipeline under the current configuration.

The run gets a pipeline of its own: the four stages in this process, built from *this* process's
settings (model names, base URL, prompt variants, rules directory, confidence threshold: whatever the
environment and the flags say), on the run's own topics (prefix ``replay.<run>.``, so its own consumer
groups and its own reply topic) and with the cache off. The live pipeline's topics, replies and cache
are never touched; the run's topics are deleted at the end unless ``keep_topics``.

Every re-run query gets a new query id, ``replay_of`` = the original id, a fresh deadline and
``use_cache: false``. What is injected where:

- a question line: uploaded like ``bunri ask`` (its image, if any) -> the run's ``q.preprocess``;
- a recorded ``q.gpt5`` message: its normalised image is content-addressed and kept
  ``image_retention_s`` after its last use -> the run's ``q.gpt5`` as it was;
- a recorded ``q.preprocess`` message: text only, or its raw upload still there -> the run's
  ``q.preprocess``; the upload already processed -> the processed marker names the normalised image
  -> the run's ``q.gpt5``; both swept (after ``raw_retention_s``) -> skipped: replay from ``q.gpt5``.

Results go to ``<data dir>/runs/<run>/`` (:mod:`streams.eval.runs`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from aiokafka.errors import KafkaError

from streams import contracts as c
from streams.eval.bus import RunBus, delete_run_topics
from streams.eval.errors import SourceError
from streams.eval.export import Progress, read_topic, resolve_topic
from streams.eval.runs import RunPaths, config_summary, json_default, new_run, run_settings, write_manifest
from streams.eval.sources import REPLAYABLE, ReplayItem, file_items, recorded_item
from streams.settings import STAGES, Settings
from streams.store import ObjectNotFound, ObjectStore

__all__ = ["ReplayOptions", "RunSummary", "replay"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReplayOptions:
    run: str
    source: str  # "q.preprocess", "q.gpt5" or the path of a JSONL file
    since: datetime | None = None
    until: datetime | None = None
    limit: int | None = None
    concurrency: int = 64
    overwrite: bool = False
    keep_topics: bool = False


@dataclass
class RunSummary:
    paths: RunPaths
    counts: dict[str, int] = field(default_factory=lambda: {"answer": 0, "failure": 0, "skipped": 0})
    elapsed_s: float = 0.0


class _ImageGone(Exception):
    """The recorded query's photo is no longer in the store: reported as skipped."""


async def replay(settings: Settings, opts: ReplayOptions, *,
                 progress: Callable[[str, str], Progress] | None = None) -> RunSummary:
    """Re-run ``opts.source`` as run ``opts.run``.

    ``progress(description, unit)`` makes a progress bar (a tqdm factory fits): one while a topic is
    read, one while the queries run.

    Raises:
        SourceError, RunExists: the source cannot be read, the run name is taken.
        streams.errors.BrokerUnavailable: Kafka cannot be reached.
    """
    from streams.broker import kafka_broker
    from streams.runtime import running_stages
    from streams.store import make_store

    is_topic = opts.source in REPLAYABLE
    if is_topic and not settings.bootstrap:
        raise SourceError(f"replaying {opts.source} needs the cluster that recorded it: set KAFKA_BOOTSTRAP "
                          "(`bunri serve` prints the embedded broker's address); a fresh embedded broker is empty")
    paths = new_run(settings, opts.run, overwrite=opts.overwrite)
    started = time.perf_counter()
    with kafka_broker(settings.bootstrap) as bootstrap:
        live = settings.with_bootstrap(bootstrap)
        reading = progress(f"reading {opts.source}", "msg") if progress and is_topic else None
        try:
            items = [item async for item in _items(live, opts, reading)]
        finally:
            if reading is not None:
                reading.close()
        own = run_settings(live, opts.run)
        manifest: dict[str, Any] = {
            "run": opts.run, "source": opts.source, "since": opts.since, "until": opts.until, "limit": opts.limit,
            "created_at": c.utcnow(), "config": config_summary(own), "queries": len(items),
        }
        write_manifest(paths, manifest)
        summary = RunSummary(paths)
        running = progress(f"replay {opts.run}", "q") if progress else None
        try:
            async with running_stages(own, list(STAGES), app_id="bunri-replay"), RunBus(own) as replies:
                if running is not None:
                    running.total = len(items)
                    running.refresh()
                await _run_all(items, own, make_store(own), replies, summary, opts.concurrency, running)
        finally:
            if running is not None:
                running.close()
            if settings.bootstrap and not opts.keep_topics:  # an embedded broker's topics die with it
                await delete_run_topics(own)
    summary.elapsed_s = round(time.perf_counter() - started, 2)
    write_manifest(paths, {**manifest, "finished_at": c.utcnow(), "elapsed_s": summary.elapsed_s,
                           "counts": summary.counts})
    return summary


async def _items(settings: Settings, opts: ReplayOptions, progress: Progress | None) -> AsyncIterator[ReplayItem]:
    if opts.source in REPLAYABLE:
        topic = resolve_topic(settings.kafka, opts.source)
        async for rec in read_topic(settings.bootstrap or "", topic, since=opts.since, until=opts.until,
                                    limit=opts.limit, progress=progress, security=settings.kafka):
            yield recorded_item(rec)
        return
    for item in file_items(Path(opts.source), since=opts.since, until=opts.until, limit=opts.limit):
        yield item


async def _run_all(items: list[ReplayItem], settings: Settings, store: ObjectStore, replies: RunBus,
                   summary: RunSummary, concurrency: int, progress: Progress | None) -> None:
    slots = asyncio.Semaphore(max(1, concurrency))
    with summary.paths.results.open("w", encoding="utf-8") as out:

        async def one(item: ReplayItem) -> None:
            async with slots:
                line = await _replay_one(item, settings, store, replies)
            kind = "skipped" if line.get("skipped") else line["reply"]["kind"]
            summary.counts[kind] += 1
            out.write(json.dumps(line, ensure_ascii=False, default=json_default) + "\n")
            if progress is not None:
                progress.update(1)

        await asyncio.gather(*(one(item) for item in items))


async def _replay_one(item: ReplayItem, settings: Settings, store: ObjectStore, replies: RunBus) -> dict[str, Any]:
    line: dict[str, Any] = {"id": item.ref, "replay_of": item.replay_of, "question": item.question,
                            "origin": item.origin, "recorded_at": item.recorded_at, "label": item.label}
    if item.problem:
        return {**line, "query_id": None, "skipped": item.problem}
    now = c.utcnow()
    env = c.Envelope(query_id=uuid.uuid4(), created_at=now, deadline=now + timedelta(seconds=settings.query_timeout_s),
                     replay_of=item.replay_of)
    line["query_id"] = env.query_id
    try:
        key, message = await _readdress(item, env, settings, store)
    except _ImageGone as exc:
        return {**line, "skipped": f"image_unavailable: {exc}"}
    except (ValueError, OSError) as exc:  # the intake's checks (InvalidInput, ...), an unreadable image file
        return {**line, "skipped": f"invalid_input: {exc}"}
    started = time.perf_counter()
    try:
        reply = await replies.ask(key, env.query_id, message, timeout=settings.query_timeout_s + 5)
    except KafkaError as exc:  # this query could not be sent; the run goes on and reports it
        reply = c.Failure(query_id=env.query_id, reason="internal", stage="replay", replay_of=item.replay_of,
                          message=f"could not send to the run's topics: {exc!r}")
    elapsed = round((time.perf_counter() - started) * 1000, 2)
    if reply is None:
        reply = c.Failure(query_id=env.query_id, reason="timeout", stage="replay",
                          message=f"no reply within {settings.query_timeout_s + 5:.0f}s", replay_of=item.replay_of)
    elif isinstance(reply, c.Answer):  # end to end, as a client sees it (bunri ask adds the same)
        reply = reply.model_copy(update={"timings_ms": {**reply.timings_ms, "total": elapsed}})
    return {**line, "elapsed_ms": elapsed, "reply": reply.model_dump(mode="json")}


_FRESH = {"timings_ms": {}, "provider": {}, "prompts": {}, "usage": c.Usage(), "degraded": False, "warnings": []}


async def _readdress(item: ReplayItem, env: c.Envelope, settings: Settings,
                     store: ObjectStore) -> tuple[str, c.QueryRequest | c.PreparedQuery]:
    """(topic key, message): the item as a new query of this run."""
    msg = item.recorded
    if msg is None:  # a question line: exactly what `bunri ask` would send
        from streams.intake import build_request

        data = item.image_path.read_bytes() if item.image_path else None
        request = await build_request(settings, store, item.question or "", image=data, query_id=env.query_id,
                                      filename=item.image_path.name if item.image_path else None, use_cache=False)
        return "preprocess", request.model_copy(update={"envelope": env})
    fresh = {**_FRESH, "envelope": env, "use_cache": False}
    if isinstance(msg, c.PreparedQuery):
        if msg.image is not None and not await store.exists(msg.image.key):
            raise _ImageGone(f"{msg.image.key} was swept (older than BUNRI_PREPROCESS__IMAGE_RETENTION_S)")
        return "gpt5", msg.model_copy(update=fresh)
    if msg.image is None:
        return "preprocess", msg.model_copy(update={**fresh, "idempotency_key": None})
    return await _recorded_photo(msg, env, store, fresh)


async def _recorded_photo(msg: c.QueryRequest, env: c.Envelope, store: ObjectStore,
                          fresh: dict[str, Any]) -> tuple[str, c.QueryRequest | c.PreparedQuery]:
    from streams.stages.preprocess import MARKER_SUFFIX

    assert msg.image is not None
    with contextlib.suppress(ObjectNotFound):  # not processed yet (or failed before): upload a copy
        raw = await store.get(msg.image.key)
        key = f"raw/{env.query_id}"
        await store.put(key, raw, "application/octet-stream")
        image = msg.image.model_copy(update={"key": key})
        return "preprocess", msg.model_copy(update={**fresh, "image": image, "idempotency_key": None})
    try:
        prepared = c.decode(c.PreparedImage, await store.get(msg.image.key + MARKER_SUFFIX))
    except ObjectNotFound:
        raise _ImageGone(f"{msg.image.key} and its processed marker were swept after "
                         "BUNRI_PREPROCESS__RAW_RETENTION_S; replay photo queries from q.gpt5") from None
    if not await store.exists(prepared.key):
        raise _ImageGone(f"{prepared.key} was swept (older than BUNRI_PREPROCESS__IMAGE_RETENTION_S)")
    return "gpt5", c.PreparedQuery(envelope=env, question=msg.question, image=prepared, use_cache=False)
