"""The preprocess stage: raw upload -> normalised, content-addressed image; answer-cache check.

Pure async handler: no Kafka, no faust, no settings reading. The generic binding sends a
:class:`PreparedQuery` on to the gpt5 stage and an :class:`Answer` (cache hit) straight to the reply
topic; typed errors propagate (permanent ones become a dead letter and a Failure reply).

For every request with an image:

1. read ``raw/<id>`` (the claim check) from the object store;
2. check size and magic numbers, then normalise in the image pool (docs/images.md);
3. store ``images/<sha256>.jpg`` unless it is already there (stored once however often it is sent);
   a reused image is touched, so the sweep keeps it ``image_retention_s`` after its *last* query and
   ``bunri replay --from q.gpt5`` can re-run any recorded photo query within that retention;
4. leave a small ``raw/<id>.prepared.json`` marker and delete the raw upload.

The marker makes the handler idempotent under redelivery: when a worker dies after step 4 but before
its offset is committed, the next worker finds the marker instead of a missing upload. The sweep
removes markers with the other ``raw/`` objects after ``raw_retention_s``.
"""

from __future__ import annotations

import hashlib
import logging
import time
from typing import Any

from pydantic import ValidationError

from streams.cache import ANSWERS, UPLOADS, Cache, answer_key
from streams.contracts import Answer, ImageRef, PreparedImage, PreparedQuery, QueryRequest, Usage, decode, utcnow
from streams.errors import ImageTooLarge, InvalidInput, PermanentError, StoreUnavailable
from streams.imaging import HEAD_BYTES, ImagePool, NormalisedImage, check_upload
from streams.settings import PreprocessSettings
from streams.store import ObjectNotFound, ObjectStore, validate_key

__all__ = ["MARKER_SUFFIX", "STAGE", "prepare"]

logger = logging.getLogger(__name__)

STAGE = "preprocess"
RAW_PREFIX = "raw/"
MARKER_SUFFIX = ".prepared.json"


async def prepare(
    msg: QueryRequest,
    *,
    store: ObjectStore,
    cache: Cache,
    pool: ImagePool,
    settings: PreprocessSettings,
    rules_version: str,
    models: dict[str, str],
) -> PreparedQuery | Answer:
    """Validate and normalise the query's image, then answer from the cache or pass it on.

    Raises:
        UnsupportedImage, InvalidImage, ImageTooLarge: the upload is refused (permanent).
        InvalidInput: the claim check is not ``raw/{query_id}`` of this query, or the upload is gone.
        StoreUnavailable: the object store is unreachable (transient).
    """
    started = time.perf_counter()
    qid = str(msg.envelope.query_id)
    image = await _prepare_image(msg.image, qid, store, cache, pool, settings) if msg.image else None
    if msg.use_cache and not msg.region_choices:  # an ambiguous region is asked back, never answered from cache
        key = answer_key(image.sha256 if image else None, msg.question, rules_version, models,
                         region=msg.region.code if msg.region else None)
        hit = await cache.get(ANSWERS, key)
        if hit is not None and (answer := _cached_answer(msg, hit, _timings(msg, started))) is not None:
            return answer
    return PreparedQuery(
        envelope=msg.envelope,
        question=msg.question,
        image=image,
        use_cache=msg.use_cache,
        timings_ms=_timings(msg, started),
        provider=msg.provider,
        usage=msg.usage,
        degraded=msg.degraded,
        warnings=msg.warnings,
        region=msg.region,
        region_choices=msg.region_choices,
    )


def _timings(msg: QueryRequest, started: float) -> dict[str, float]:
    return {**msg.timings_ms, STAGE: round((time.perf_counter() - started) * 1000, 2)}


async def _prepare_image(
    ref: ImageRef, qid: str, store: ObjectStore, cache: Cache, pool: ImagePool, settings: PreprocessSettings
) -> PreparedImage:
    _check_claim(ref.key, qid)
    try:
        data = await _fetch(ref, store, settings)
        prepared = await _known_upload(data, store, cache, settings)
        if prepared is None:
            prepared = await _store_image(await pool.run(data), store)
            await cache.put(UPLOADS, _upload_key(data, settings), prepared.model_dump(mode="json"))
    except _AlreadyPrepared:
        return await _already_prepared(ref, store, qid)
    except PermanentError as e:
        e.stage, e.query_id = STAGE, qid
        await _discard(ref.key, store)
        raise
    await store.put(ref.key + MARKER_SUFFIX, prepared.model_dump_json().encode(), "application/json")
    await store.delete(ref.key)
    return prepared


def _check_claim(key: str, qid: str) -> None:
    # The key comes from a message: only this query's own upload may be read (and then deleted), never
    # another query's raw/ object, images/ or cache/ — whoever produced the message.
    try:
        if key != f"{RAW_PREFIX}{qid}":
            raise InvalidInput(f"image key {key[:80]!r} is not this query's upload (raw/{qid})")
        validate_key(key)
    except InvalidInput as e:
        e.stage, e.query_id = STAGE, qid
        raise


class _AlreadyPrepared(Exception):
    """The raw upload is gone: processed already (redelivery), or never stored."""


def _upload_key(data: bytes, settings: PreprocessSettings) -> str:
    # Normalisation is deterministic for given bytes and settings, so the same upload maps to
    # the same normalised image: a repeat photo skips decoding entirely (the cache-hit path).
    h = hashlib.sha256(data)
    h.update(f"|{settings.max_edge}|{settings.jpeg_quality}".encode())
    return h.hexdigest()


async def _known_upload(data: bytes, store: ObjectStore, cache: Cache,
                        settings: PreprocessSettings) -> PreparedImage | None:
    known = await cache.get(UPLOADS, _upload_key(data, settings))
    if known is None:
        return None
    try:
        prepared = PreparedImage.model_validate(known)
    except ValueError:
        return None
    # Touch rather than exists(): the reuse restarts the image's retention (None: swept, normalise again).
    return prepared if await store.touch(prepared.key) else None


async def _fetch(ref: ImageRef, store: ObjectStore, settings: PreprocessSettings) -> bytes:
    if ref.size > settings.max_upload_bytes:  # the size the gateway recorded: refuse before downloading
        raise ImageTooLarge(f"upload of {ref.size} bytes exceeds the limit of {settings.max_upload_bytes}")
    try:
        data = await store.get(ref.key)
    except ObjectNotFound:
        raise _AlreadyPrepared from None
    # The gateway ran the same check; this is the worker's own guard for producers that did not.
    check_upload(data[:HEAD_BYTES], len(data), settings)
    return data


async def _discard(key: str, store: ObjectStore) -> None:
    # Nothing will read a refused upload again, and it may carry GPS: do not keep it. If the store
    # is down the sweep removes it later; the refusal itself must still reach the user.
    try:
        await store.delete(key)
    except StoreUnavailable as e:
        logger.warning("could not delete refused upload %s: %s", key, e)


async def _store_image(image: NormalisedImage, store: ObjectStore) -> PreparedImage:
    # Content-addressed: an existing object already holds exactly these bytes (touched, so its
    # retention restarts). Two workers racing on the same photo both write identical bytes: harmless.
    if not await store.touch(image.key):
        await store.put(image.key, image.jpeg, "image/jpeg")
    return PreparedImage(
        key=image.key,
        sha256=image.sha256,
        phash=image.phash,
        width=image.width,
        height=image.height,
        size=len(image.jpeg),
        source_format=image.source_format,
    )


async def _already_prepared(ref: ImageRef, store: ObjectStore, qid: str) -> PreparedImage:
    try:
        marker = await store.get(ref.key + MARKER_SUFFIX)
    except ObjectNotFound:
        raise InvalidInput(
            f"upload {ref.key!r} not found (never stored, or swept after retention)",
            stage=STAGE,
            query_id=qid,
        ) from None
    logger.info("query %s: %s already processed (redelivery), reusing its result", qid, ref.key)
    return decode(PreparedImage, marker)


def _cached_answer(msg: QueryRequest, cached: dict[str, Any], timings: dict[str, float]) -> Answer | None:
    """The cached Answer, re-addressed to this request; None if the entry no longer validates."""
    try:
        answer = Answer.model_validate(cached)
    except ValidationError as e:  # written by an older contract version: a miss, not a failure
        logger.warning("query %s: cached answer unreadable, ignoring it: %s", msg.envelope.query_id, e)
        return None
    return answer.model_copy(
        update={
            "query_id": msg.envelope.query_id,
            "question": msg.question,
            "cache_hit": True,
            # This request's own timings and cost: it made no model call.
            "timings_ms": timings,
            "usage": Usage(),
            "degraded": answer.degraded or msg.degraded,
            "warnings": list(dict.fromkeys([*answer.warnings, *msg.warnings])),
            "created_at": utcnow(),
        }
    )
