"""The ``rag`` stage: analysed items → the rules that apply to them, and the answer model's context.

A pure async handler (no Kafka, no faust, no settings): the generic binding calls
``await lookup(msg, catalog=catalog)`` with the catalogue loaded once at worker start.

For each analysed item:

- ``item_id`` in the catalogue → its document (match ``exact``, or the analysis's own alias/fuzzy);
- otherwise what the resolver read from the item's name, then name + description, then (single item)
  the question → an item (``alias``/``fuzzy``) or only a category (``category``);
- the state is the analysis's, with fields it left unknown filled from condition words in the question
  (single-item queries only: with several items nobody knows which item "깨진" was about).

The reading of the question and names comes with the message (``msg.reading``, made by the gpt5 stage,
:mod:`streams.stages.reading`), so this stage only looks documents up. A message without one (an older
gpt5 stage) is read here, with the same function (the Korean analyser then loads, in ~10 ms).

When the analysis asks for clarification, or found no item, the message passes through with empty
guidance and the answer stage asks the user.

With a region (the request's, or one the question names: "강남구 사는데…"), the guidance is written for
that 시·군·구 (:mod:`streams.regions.localise`); a region that names several districts ("중구") is asked back.
"""

from __future__ import annotations

import logging
import time

from streams.contracts import (
    AnalysedQuery,
    DetectedItem,
    ItemGuidance,
    ItemState,
    MatchKind,
    NameReading,
    RuleContext,
    utcnow,
)
from streams.regions.localise import Localiser, clarify, where
from streams.rules import RulesCatalog
from streams.rules.render import render_context
from streams.stages.reading import read_question

__all__ = ["lookup", "merge_state"]

logger = logging.getLogger(__name__)


def merge_state(primary: ItemState, fallback: ItemState) -> ItemState:
    """``primary``'s known fields, with its unknown fields taken from ``fallback``."""
    extra = {k: v for k, v in fallback.known().items() if k not in primary.known()}
    return primary.model_copy(update=extra) if extra else primary


def _guide(item: DetectedItem, state: ItemState, read: NameReading | None, catalog: RulesCatalog,
           warnings: list[str]) -> ItemGuidance:
    if item.item_id and item.item_id in catalog:
        match: MatchKind = item.match if item.match in ("exact", "alias", "fuzzy") else "exact"
        return catalog.apply(item.item_id, state, match=match)
    if item.match == "category" and item.official_category:
        # Only a category was named ("음식물 쓰레기 어떻게 버려요?"): its guidance, not an item that happens
        # to be called like the category's document.
        return catalog.apply_category(item.official_category, state)
    read = read or NameReading()
    if read.disagrees:
        warnings.append(f"rag: '{item.name}' looked like {read.name} ({read.official_category}), "
                        f"but the analysis said {item.official_category}; answered by category")
    elif read.item_id and read.item_id in catalog:  # not listed: a reading from another rules version
        return catalog.apply(read.item_id, state, match="fuzzy" if read.match == "fuzzy" else "alias")
    category = item.official_category or (None if read.item_id else read.official_category)
    if category:
        return catalog.apply_category(category, state)
    warnings.append(f"rag: no rule and no category for '{item.name}'")
    return ItemGuidance(item_id=None, name=item.name, official_category=None, match="none")


async def lookup(msg: AnalysedQuery, *, catalog: RulesCatalog, regions: Localiser | None = None) -> RuleContext:
    """Select the rules for every analysed item and build the answer model's context.

    Args:
        msg: The gpt5 stage's output.
        catalog: The loaded rules catalogue (shared, immutable).
        regions: District schedules and where to look them up; default: no official data (the portal line).

    Returns:
        The RuleContext for the gpt4o stage, with the envelope and bookkeeping copied forward.
    """
    started = time.perf_counter()
    analysis = msg.analysis
    warnings = list(msg.warnings)
    guidance: list[ItemGuidance] = []
    states: list[ItemState] = []
    region, choices = where(msg.region, msg.region_choices, msg.question)
    if choices and analysis.items and not analysis.needs_clarification:  # "중구": which 시·도, before anything
        analysis = analysis.model_copy(update={"needs_clarification": True, "clarification": clarify(choices)})
    degraded = msg.degraded
    if analysis.items and not analysis.needs_clarification:
        reading = msg.reading if msg.reading is not None else read_question(analysis, msg.question, catalog)
        reads = reading.items if len(reading.items) == len(analysis.items) else [None] * len(analysis.items)
        for item, read in zip(analysis.items, reads, strict=True):
            state = merge_state(item.state, reading.state)
            guidance.append(_guide(item, state, read, catalog, warnings))
            states.append(state)
    if region is not None and guidance:
        local = await (regions or Localiser()).localise(guidance, region, catalog=catalog, question=msg.question,
                                                       deadline=msg.envelope.deadline, now=utcnow())
        guidance, degraded, warnings = local.guidance, degraded or local.degraded, warnings + local.warnings
    context = render_context(guidance, version=catalog.version, states=states)
    elapsed = round((time.perf_counter() - started) * 1000, 3)
    logger.debug("rag: %d item(s) for query %s in %.2f ms", len(guidance), msg.envelope.query_id, elapsed)
    return RuleContext(
        envelope=msg.envelope,
        question=msg.question,
        timings_ms={**msg.timings_ms, "rag": elapsed},
        provider=msg.provider,
        usage=msg.usage,
        degraded=degraded,
        warnings=warnings,
        image=msg.image,
        analysis=analysis,
        guidance=guidance,
        context=context,
        rules_version=catalog.version,
        use_cache=msg.use_cache,
        region=region,
        region_choices=choices,
    )
