"""The honest offline provider: answers from the question text and the rules, with no model at all.

Used when no API key is configured. It never claims to have seen a photo:

- :func:`analyse_text` stands in for the gpt5 stage: it resolves the item named in the question
  (``saw_image=False``, ``method="text"``) and asks for the item's name when it cannot tell;
- :func:`write_answer` stands in for the gpt4o stage: a deterministic Korean answer built only from
  the selected rules, saying plainly when an attached photo was not analysed.
"""

from __future__ import annotations

from streams.compose import compose
from streams.contracts import Clarification, DetectedItem, ItemRef, RuleContext, VisionAnalysis
from streams.rules import Resolution, RulesCatalog
from streams.rules.render import EVERYDAY_BIN
from streams.rules.text import josa
from streams.rules.unclear import settle_unclear
from streams.rules.vocab import GENERIC_CONTAINERS

__all__ = ["PHOTO_FALLBACK", "PHOTO_NOT_ANALYSED", "analyse_text", "write_answer"]

PHOTO_NOT_ANALYSED = "첨부하신 사진은 분석하지 않았고, 오프라인 모드라 질문 글만 보고 안내했어요."
# Online, but the vision model failed and the question named the item (gpt5 stage's fallback).
PHOTO_FALLBACK = "사진 분석이 이번에는 되지 않아, 질문 글만 보고 안내했어요."
ASK_NAME = ("어떤 물건인지 이름을 알려 주시겠어요? 예: '생수병', '우유팩', '택배 상자'처럼 물건 이름과 "
            "상태(뚜껑, 라벨, 오염 여부)를 적어 주시면 정확히 안내해 드릴게요.")
# Neutral wording: the text path also runs online (text-only questions, the vision fallback).
_NOTE = "사진을 보지 않고 질문 글에 적힌 물건 이름으로만 판단했습니다."
_MAX_CHOICES = 5


def _quoted(text: str) -> str:
    return f"'{text}'"


def _generic(res: Resolution, catalog: RulesCatalog) -> Clarification | None:
    """"이 컵은 플라스틱인가요?" with no photo looked at: one short line per kind of 컵, then which one."""
    word = res.generic
    if word is None:
        return None
    lines, refs = [], []
    for variant in GENERIC_CONTAINERS[word]:
        best = catalog.resolve(variant).best  # an item ("종이컵") or a whole category ("유리병")
        if best is None:
            continue
        bin_ = EVERYDAY_BIN.get(best.official_category, best.official_category)
        lines.append(f"{josa(variant, '이면/면')} {bin_}")
        if best.item_id:
            refs.append(ItemRef(item_id=best.item_id, name=variant,
                                official_category=best.official_category))  # type: ignore[arg-type]
    if not lines:
        return None
    question = (f"사진을 보지 않아 어떤 {word}인지는 알 수 없어요. {', '.join(lines)}에 냅니다. "
                f"어떤 {word}인지 알려 주시면 자세히 안내해 드릴게요.")
    return Clarification(question=question, candidates=refs)


def _clarify(res: Resolution, catalog: RulesCatalog) -> Clarification:
    """The question to ask: per-kind lines for a bare container word, which of the close candidates, or
    simply the item's name."""
    generic = _generic(res, catalog)
    if generic is not None:
        return generic
    mention = res.unclear_mention
    if mention is None and len(res.candidates) > 1:  # several categories named, no item
        codes = ", ".join(c.official_category for c in res.candidates)
        return Clarification(question=f"{codes} 중 어느 쪽인지 헷갈리시는 것 같아요. 물건 이름을 알려 주시면 "
                                      "정확히 안내해 드릴게요.")
    if mention is None:
        return Clarification(question=ASK_NAME)
    choices = [c for c in mention.candidates if c.item_id][:_MAX_CHOICES]
    options = [f"{c.name}({c.official_category})" for c in choices]
    options += [f"{josa(c.official_category, '으로/로')} 분류되는 다른 물건"
                for c in mention.candidates if not c.item_id][:1]
    question = (f"{josa(_quoted(mention.text), '은/는')} 재질이나 종류에 따라 버리는 곳이 다릅니다. "
                f"{', '.join(options)} 중 어느 쪽인가요? 물건 이름이나 재질을 조금 더 자세히 알려 주세요.")
    refs = [ItemRef(item_id=c.item_id, name=c.name, official_category=c.official_category)  # type: ignore[arg-type]
            for c in choices if c.item_id]
    return Clarification(question=question, candidates=refs)


def analyse_text(question: str, catalog: RulesCatalog) -> VisionAnalysis:
    """Resolve the item(s) named in the question, as the gpt5 stage would, without any model.

    Returns:
        One DetectedItem per item named (state read from the question); a single category-level item
        (``item_id=None``, ``match="category"``) when only a category is named; or
        ``needs_clarification`` with a Korean question when no item can be named or it is ambiguous.
    """
    res = settle_unclear(catalog.resolve(question), catalog)
    if res.needs_clarification:
        return VisionAnalysis(saw_image=False, method="text", needs_clarification=True,
                              clarification=_clarify(res, catalog), notes=[_NOTE])
    items: list[DetectedItem] = []
    for mention in res.mentions[:10]:
        top = mention.top
        if top.item_id is None:
            doc = catalog.category_doc(top.official_category)
            name = doc.name if doc else top.official_category
        else:
            name = top.name
        items.append(DetectedItem(
            item_id=top.item_id, name=name, official_category=top.official_category,  # type: ignore[arg-type]
            state=res.state_for(top.official_category), description=f"질문 글에서 찾은 말: '{mention.text}'",
            confidence=round(top.score, 3), match=top.match))
    return VisionAnalysis(items=items, confidence=items[0].confidence, saw_image=False, method="text",
                          notes=[_NOTE])


def write_answer(ctx: RuleContext, *, image_attached: bool) -> str:
    """A deterministic Korean answer from the selected rules (the offline gpt4o stage).

    Args:
        ctx: The rag stage's output.
        image_attached: Whether the user attached a photo; when no vision model looked at it, the
            answer says so in one sentence.
    """
    photo = image_attached and not ctx.analysis.saw_image
    said = PHOTO_FALLBACK if ctx.provider.get("gpt5") == "offline (fallback)" else PHOTO_NOT_ANALYSED
    if ctx.analysis.needs_clarification or not ctx.guidance:
        clar = ctx.analysis.clarification
        parts = [clar.question if clar else ASK_NAME]
        return "\n".join([said, *parts] if photo else parts)
    return compose(ctx, photo_note=said if photo else None)
