"""The gpt5 stage: what is in the photo, and in what state (``q.gpt5`` -> ``q.rag``).

"gpt5" is the stage's name; the model is whatever ``BUNRI_GPT5__MODEL`` configures.

Paths, in order:

1. No image -> the text resolver (:func:`streams.offline.analyse_text`). A question without a
   photo is answered from its words. When a model is configured and the resolver is unsure (below
   ``text_threshold``), one short text-only call settles it (:mod:`streams.stages.gpt5_text`).
2. No model (offline) -> the text resolver, ``provider["gpt5"] = "offline"``, with a note that
   the photo was not analysed.
3. Cached analysis of the same image, model and prompt -> reused (``method="cache"``).
4. The vision model with the photo (a presigned URL on S3, else a data URL of the normalised
   JPEG), structured output validated by :class:`~streams.stages.gpt5_prompt.VisionOutput`,
   one re-ask on invalid output.
5. The model failed (unavailable, rejected, invalid twice) -> if the question itself names
   the item, continue with the text resolver (``degraded``, Korean warning); otherwise fail
   with :class:`PhotoNotAnalysed` so the client gets a Failure at once. Transport retries
   already happened in the SDK; another redelivery would only repeat them past the deadline.
6. Too little of the deadline left to start the call (below ``min_budget_s`` or the model's recent
   latency), or the call ran out of it: as 5, but the failure is a ``timeout`` (no dead letter).
"""

from __future__ import annotations

import contextlib
import logging
import weakref
from collections.abc import Callable
from datetime import datetime
from typing import Any

from streams import offline
from streams.cache import ANALYSIS, analysis_key
from streams.contracts import AnalysedQuery, ModelUsage, PreparedQuery, VisionAnalysis, utcnow
from streams.errors import LLMOutputInvalid, LLMRejected, LLMUnavailable, PermanentError, PipelineError
from streams.llm.base import ChatModel, ChatRequest, ChatResult, ImagePart, TextPart
from streams.llm.pricing import DEFAULT_PRICES, PriceTable
from streams.llm.ratelimit import RateLimitedModel, RateLimiter
from streams.llm.structured import complete_structured
from streams.settings import Gpt5Settings, ModelSettings
from streams.stages import gpt5_text
from streams.stages._llm_common import add_usage, cache_get, cache_put, call_budget, too_late
from streams.stages.gpt5_prompt import (
    VisionOutput,
    catalogue_listing,
    prompt_version,
    question_block,
    system_prompt,
    to_analysis,
)
from streams.stages.reading import read_question
from streams.stages.variants import variant_tag, with_variant
from streams.store import ObjectNotFound

__all__ = ["DeadlineTooClose", "PhotoNotAnalysed", "analyse"]

logger = logging.getLogger(__name__)

STAGE = "gpt5"
WARN_PHOTO_FAILED = "사진을 분석하지 못해 질문에 적힌 물건 이름으로 안내합니다."
WARN_OFFLINE_PHOTO = "오프라인 모드라 사진은 분석하지 않고 질문 내용으로 안내합니다."
MSG_NOT_ANALYSED = (
    "사진을 분석하지 못했고 질문만으로는 어떤 물건인지 알 수 없습니다. "
    "잠시 후 다시 시도하거나 물건 이름을 질문에 적어 주세요."
)
_DEFAULT_PRICES = PriceTable(DEFAULT_PRICES)


class PhotoNotAnalysed(PermanentError):
    """The photo could not be analysed and the question does not name the item.

    ``reason`` is the cause's (``model_unavailable``, or ``model_bad_output`` after an invalid
    output), so the Failure tells the client which it was.
    """


async def analyse(
    msg: PreparedQuery,
    *,
    vision: ChatModel | None,
    catalog: Any,
    store: Any,
    cache: Any,
    settings: Gpt5Settings,
    limiter: RateLimiter | None = None,
    prices: PriceTable | None = None,
    reserve_s: float = 3.0,
    clock: Callable[[], datetime] = utcnow,
    latency: Any = None,
) -> AnalysedQuery:
    """Analyse the query's photo into items and states.

    Args:
        msg: The prepared query.
        vision: The vision model; ``None`` when offline.
        catalog: The rules catalogue (``items``: id -> doc with ``name``, ``official_category``).
        store: The object store holding ``msg.image.key``.
        cache: The shared cache (``get``/``put`` of dicts), or ``None``.
        settings: ``Settings.gpt5``: detail, timeout, max output tokens, min confidence.
        limiter: The worker's client-side rate limiter for this model, if any.
        prices: Price table for cost; default: the built-in list prices.
        reserve_s: Seconds of the deadline kept for the rag and gpt4o stages.
        clock: Current time (tests).
        latency: The model's :class:`~streams.llm.latency.LatencyTracker`: no call is started with
            less time left than its recent latency (or ``settings.min_budget_s``).

    Returns:
        The ``q.rag`` message.

    Raises:
        PhotoNotAnalysed: the model failed and the question does not name the item.
    """
    out = await _analyse(msg, vision=vision, catalog=catalog, store=store, cache=cache, settings=settings,
                         limiter=limiter, prices=prices, reserve_s=reserve_s, clock=clock, latency=latency)
    # The rag stage's reading of the question and of unlisted names, made here where the Korean
    # analyser is loaded anyway: the rag worker then never loads it (~300 MB; docs/performance.md).
    return out.model_copy(update={"reading": read_question(out.analysis, msg.question, catalog)})


async def _analyse(msg: PreparedQuery, *, vision: ChatModel | None, catalog: Any, store: Any, cache: Any,
                   settings: Gpt5Settings, limiter: RateLimiter | None, prices: PriceTable | None,
                   reserve_s: float, clock: Callable[[], datetime], latency: Any) -> AnalysedQuery:
    if msg.image is None:
        text = offline.analyse_text(msg.question, catalog)
        if vision is None or gpt5_text.settled(text, settings.text_threshold):
            return _forward(msg, text, "offline" if vision is None else "text")
        model = RateLimitedModel(vision, limiter) if limiter is not None else vision
        budget = call_budget(msg.envelope, clock(), timeout_s=settings.timeout_s, reserve_s=reserve_s)
        if too_late(budget, settings.min_budget_s, latency):  # the resolver's own reading, unconfirmed
            return _forward(msg, text, "text", degraded=True)
        analysis, calls, used = await gpt5_text.ask_model(
            msg.question, text, model=model, catalog=catalog, settings=settings, budget_s=budget,
            prices=prices or _DEFAULT_PRICES, stage=STAGE)
        return _forward(msg, analysis, f"{vision.model_id} (text)" if used else "text", calls=calls)
    if vision is None:
        analysis = offline.analyse_text(msg.question, catalog)
        return _forward(msg, analysis, "offline", warnings=[WARN_OFFLINE_PHOTO])

    listing, version = _catalogue(catalog)
    prompt = variant_tag(version, settings.prompt_variant)
    key = analysis_key(msg.image.sha256, vision.model_id, prompt, question=msg.question)
    if msg.use_cache and (hit := await cache_get(cache, ANALYSIS, key)) is not None:
        cached = VisionAnalysis.model_validate(hit).model_copy(update={"method": "cache"})
        return _forward(msg, cached, vision.model_id)

    calls: list[ModelUsage] = []
    table = prices or _DEFAULT_PRICES

    def record(result: ChatResult) -> None:
        calls.append(table.model_usage(STAGE, result))

    model = RateLimitedModel(vision, limiter) if limiter is not None else vision
    budget = call_budget(msg.envelope, clock(), timeout_s=settings.timeout_s, reserve_s=reserve_s)
    if too_late(budget, settings.min_budget_s, latency):
        return _fallback(msg, catalog, settings, DeadlineTooClose(budget), calls)
    try:
        request = await _request(msg, store, listing, settings, budget)
        out = await complete_structured(model, request, VisionOutput, on_result=record)
    except (LLMUnavailable, LLMRejected, LLMOutputInvalid, ObjectNotFound) as exc:
        left = call_budget(msg.envelope, clock(), timeout_s=settings.timeout_s, reserve_s=0.0)
        if isinstance(exc, LLMUnavailable) and too_late(left, settings.min_budget_s, None):
            exc = DeadlineTooClose(left, exc)  # it ran out of time: a deadline, not an outage
        return _fallback(msg, catalog, settings, exc, calls)
    analysis = to_analysis(out, catalog, min_confidence=settings.min_confidence)
    if not analysis.needs_clarification:
        # An unsure analysis is not reused: the next question about the photo may settle it.
        await cache_put(cache, ANALYSIS, key, analysis.model_dump(mode="json"))
    return _forward(msg, analysis, vision.model_id, calls=calls)


_LISTINGS: weakref.WeakKeyDictionary[Any, tuple[str, str]] = weakref.WeakKeyDictionary()


def _catalogue(catalog: Any) -> tuple[str, str]:
    """The catalogue listing and its prompt version, once per catalogue (py-spy: ~2 ms a call otherwise)."""
    try:
        return _LISTINGS[catalog]
    except (KeyError, TypeError):
        listing = catalogue_listing(catalog)
        entry = (listing, prompt_version(listing))
        with contextlib.suppress(TypeError):  # not weak-referenceable: computed each time
            _LISTINGS[catalog] = entry
        return entry


async def _request(msg: PreparedQuery, store: Any, listing: str, settings: ModelSettings,
                   budget: float) -> ChatRequest:
    assert msg.image is not None
    # A presigned URL keeps ~100 KB of base64 out of the request; the local store has none.
    url = await store.presigned_url(msg.image.key)
    if url:
        image = ImagePart(url, settings.detail)
    else:
        image = ImagePart.from_bytes(await store.get(msg.image.key), msg.image.mime, detail=settings.detail)
    return ChatRequest(
        system=with_variant(system_prompt(listing), STAGE, settings.prompt_variant),
        parts=(TextPart(question_block(msg.question)), image),
        max_output_tokens=settings.max_output_tokens,
        timeout_s=budget,
    )


class DeadlineTooClose(TimeoutError):
    """Too little of the query's deadline is left for the vision call (the binding: Failure ``timeout``)."""

    def __init__(self, left_s: float, cause: Exception | None = None) -> None:
        why = f" ({cause})" if cause else ""
        super().__init__(f"{max(left_s, 0.0):.1f}s left, too little for the vision model{why}")


def _fallback(
    msg: PreparedQuery, catalog: Any, settings: ModelSettings, exc: Exception, calls: list[ModelUsage]
) -> AnalysedQuery:
    text = offline.analyse_text(msg.question, catalog)
    confident = (bool(text.items) and not text.needs_clarification
                 and text.confidence >= settings.min_confidence)
    query = str(msg.envelope.query_id)
    if confident:
        logger.warning("stage=gpt5 query=%s photo not analysed (%s); continuing from the question's words",
                       query, exc)
        return _forward(msg, text, "offline (fallback)", calls=calls, degraded=True,
                        warnings=[WARN_PHOTO_FAILED])
    if isinstance(exc, DeadlineTooClose):  # a timeout Failure from the binding, never a dead letter
        raise exc
    reason = exc.reason if isinstance(exc, PipelineError) else "internal"
    cause = exc.message if isinstance(exc, PipelineError) else f"image {exc} not found in the store"
    err = PhotoNotAnalysed(f"{MSG_NOT_ANALYSED} ({cause})", stage=STAGE, query_id=query)
    err.reason = reason
    raise err from exc


def _forward(
    msg: PreparedQuery,
    analysis: VisionAnalysis,
    provider: str,
    *,
    calls: list[ModelUsage] | None = None,
    degraded: bool = False,
    warnings: list[str] | None = None,
) -> AnalysedQuery:
    """The ``q.rag`` message: the envelope and the accumulated bookkeeping carried forward."""
    fields = {
        **dict(msg),
        "provider": {**msg.provider, STAGE: provider},
        "usage": add_usage(msg.usage, calls or []),
        "degraded": msg.degraded or degraded,
        "warnings": [*msg.warnings, *(warnings or [])],
    }
    return AnalysedQuery(**fields, analysis=analysis)
