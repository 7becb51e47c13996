"""The gpt4o stage: the short Korean answer (``q.gpt4o`` -> ``q.reply``).

"gpt4o" is the stage's name; the model is whatever ``BUNRI_GPT4O__MODEL`` configures.

- Clarification needed (from the analysis, or no guidance) -> the clarification question,
  no model call.
- No model (offline) -> :func:`streams.offline.write_answer`, ``provider["gpt4o"] = "offline"``.
- Otherwise the model writes the answer from the selected rules; the answer is verified
  (:func:`~streams.stages.gpt4o_prompt.verify_answer`). A failed model call (after the
  SDK's retries) or a failed check -> the offline writer, ``degraded``,
  ``provider["gpt4o"] = "offline (fallback)"``. The client always gets an answer here.
- Too little of the deadline left to start the call (below ``min_budget_s`` or the model's recent
  latency) -> the offline writer at once, ``degraded``.

The finished Answer goes to the answer cache unless it is degraded or a clarification.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from streams import offline
from streams.cache import ANSWERS, answer_key
from streams.contracts import Answer, Clarification, ItemRef, ModelUsage, RuleContext, utcnow
from streams.errors import LLMOutputInvalid, LLMRejected, LLMUnavailable
from streams.llm.base import ChatModel, ChatRequest, TextPart
from streams.llm.pricing import DEFAULT_PRICES, PriceTable
from streams.llm.ratelimit import RateLimitedModel, RateLimiter
from streams.settings import ModelSettings
from streams.stages._llm_common import add_usage, cache_put, call_budget, too_late
from streams.stages.gpt4o_prompt import SYSTEM, user_prompt, verify_answer
from streams.stages.gpt5_prompt import DEFAULT_CLARIFICATION
from streams.stages.variants import with_variant

__all__ = ["answer"]

logger = logging.getLogger(__name__)

STAGE = "gpt4o"
FALLBACK = "offline (fallback)"
WARN_MODEL_FAILED = "답변 모델을 사용할 수 없어 규칙 문서로 만든 기본 안내를 드립니다."
WARN_CHECK_FAILED = "모델 답변이 규칙과 맞지 않아 규칙 문서로 만든 기본 안내를 드립니다."
WARN_NO_TIME = "답변 시간이 부족해 규칙 문서로 만든 기본 안내를 드립니다."
_DEFAULT_PRICES = PriceTable(DEFAULT_PRICES)


async def answer(
    msg: RuleContext,
    *,
    writer: ChatModel | None,
    cache: Any,
    settings: ModelSettings,
    limiter: RateLimiter | None = None,
    prices: PriceTable | None = None,
    models: Mapping[str, str] | None = None,
    reserve_s: float = 0.5,
    clock: Callable[[], datetime] = utcnow,
    latency: Any = None,
) -> Answer:
    """Write the answer for ``msg``.

    Args:
        msg: The rules selected for each analysed item.
        writer: The answer model; ``None`` when offline.
        cache: The shared cache (``put`` of dicts), or ``None``.
        settings: ``Settings.gpt4o``: timeout, max output tokens.
        limiter: The worker's client-side rate limiter for this model, if any.
        prices: Price table for cost; default: the built-in list prices.
        models: The configured model per stage, as used in the answer-cache key by whoever
            looks the cache up (``{"gpt5": ..., "gpt4o": ...}``); default: derived from
            ``msg.provider`` and ``writer``.
        reserve_s: Seconds of the deadline kept for the fallback and the reply.
        clock: Current time (tests).
        latency: The model's :class:`~streams.llm.latency.LatencyTracker`: no call is started with
            less time left than its recent latency (or ``settings.min_budget_s``).

    Returns:
        The final Answer (never raises for model trouble: it degrades instead).
    """
    if msg.analysis.needs_clarification or not msg.guidance:
        return _clarification(msg)
    if writer is None:
        text = offline.write_answer(msg, image_attached=msg.image is not None)
        result = _answer(msg, text, "offline")
    else:
        table = prices or _DEFAULT_PRICES
        result = await _with_model(msg, writer, settings, limiter, table, reserve_s, clock, latency)
    if not result.degraded:
        names = dict(models) if models is not None else _models(msg, writer)
        # A region read from the question is in the question already; only the request's own is keyed.
        given = msg.region.code if msg.region is not None and msg.region.given == "request" else None
        key = answer_key(msg.image.sha256 if msg.image else None, msg.question, msg.rules_version, names,
                         region=given)
        await cache_put(cache, ANSWERS, key, result.model_dump(mode="json"))
    return result


async def _with_model(
    msg: RuleContext, writer: ChatModel, settings: ModelSettings, limiter: RateLimiter | None,
    prices: PriceTable, reserve_s: float, clock: Callable[[], datetime], latency: Any = None,
) -> Answer:
    model = RateLimitedModel(writer, limiter) if limiter is not None else writer
    budget = call_budget(msg.envelope, clock(), timeout_s=settings.timeout_s, reserve_s=reserve_s)
    query = msg.envelope.query_id
    if too_late(budget, settings.min_budget_s, latency):
        logger.warning("stage=gpt4o query=%s %.1fs left, too little for the model: offline answer", query, budget)
        return _fallback(msg, [], WARN_NO_TIME)
    request = ChatRequest(
        system=with_variant(SYSTEM, STAGE, settings.prompt_variant),
        parts=(TextPart(user_prompt(msg)),),
        max_output_tokens=settings.max_output_tokens,
        timeout_s=budget,
    )
    try:
        result = await model.complete(request)
    except (LLMUnavailable, LLMRejected, LLMOutputInvalid) as exc:
        logger.warning("stage=gpt4o query=%s model failed, offline answer instead: %s", query, exc)
        return _fallback(msg, [], WARN_MODEL_FAILED)
    calls = [prices.model_usage(STAGE, result)]
    problems = verify_answer(result.text, msg.guidance, msg.question, region=msg.region)
    if problems:
        logger.warning("stage=gpt4o query=%s answer failed the rules check (%s), offline answer instead",
                       query, "; ".join(problems))
        return _fallback(msg, calls, WARN_CHECK_FAILED)
    return _answer(msg, result.text.strip(), writer.model_id, calls=calls)


def _fallback(msg: RuleContext, calls: list[ModelUsage], warning: str) -> Answer:
    text = offline.write_answer(msg, image_attached=msg.image is not None)
    return _answer(msg, text, FALLBACK, calls=calls, degraded=True, warnings=[warning])


def _clarification(msg: RuleContext) -> Answer:
    clarification = msg.analysis.clarification or Clarification(question=DEFAULT_CLARIFICATION)
    return _answer(msg, clarification.question, None, clarification=clarification)


def _answer(
    msg: RuleContext,
    text: str,
    provider: str | None,
    *,
    calls: list[ModelUsage] | None = None,
    degraded: bool = False,
    warnings: list[str] | None = None,
    clarification: Clarification | None = None,
) -> Answer:
    """The final Answer, carrying the pipeline's bookkeeping forward."""
    primary = msg.guidance[0] if msg.guidance else None
    item = None
    if primary is not None and primary.item_id:
        item = ItemRef(item_id=primary.item_id, name=primary.name,
                       official_category=primary.official_category)
    return Answer(
        query_id=msg.envelope.query_id,
        question=msg.question,
        answer=text,
        item=item,
        items=msg.guidance,
        analysis=msg.analysis,
        rules=[rule for g in msg.guidance for rule in g.rules],
        provider={**msg.provider, STAGE: provider} if provider else dict(msg.provider),
        degraded=msg.degraded or degraded,
        needs_clarification=clarification is not None,
        clarification=clarification,
        cache_hit=False,
        rules_version=msg.rules_version,
        warnings=[*msg.warnings, *(warnings or [])],
        timings_ms=dict(msg.timings_ms),
        usage=add_usage(msg.usage, calls or []),
        region=msg.region,
    )


def _models(msg: RuleContext, writer: ChatModel | None) -> dict[str, str]:
    return {"gpt5": msg.provider.get("gpt5", "offline"), "gpt4o": writer.model_id if writer else "offline"}
