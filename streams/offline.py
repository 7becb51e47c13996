"""The honest offline provider: answers from the question text and the rules, with no model at all.

Used when no API key is configured. It never claims to have seen a photo:

- :func:`analyse_text` stands in for the gpt5 stage: it resolves the item named in the question
  (``saw_image=False``, ``method="text"``) and asks for the item's name when it cannot tell;
- :func:`write_answer` stands in for the gpt4o stage: a deterministic Korean answer built only from
  the selected rules, saying plainly when an attached photo was not analysed.
"""

from __future__ import annotations

from streams.contracts import Clarification, DetectedItem, ItemGuidance, ItemRef, RuleContext, VisionAnalysis
from streams.rules import Resolution, RulesCatalog
from streams.rules.text import josa

__all__ = ["PHOTO_FALLBACK", "PHOTO_NOT_ANALYSED", "analyse_text", "write_answer"]

PHOTO_NOT_ANALYSED = "첨부하신 사진은 분석하지 않았고, 오프라인 모드라 질문 글만 보고 안내합니다."
# Online, but the vision model failed and the question named the item (gpt5 stage's fallback).
PHOTO_FALLBACK = "사진 분석이 이번에는 되지 않아, 질문 글만 보고 안내합니다."
ASK_NAME = ("어떤 물건인지 이름을 알려 주시겠어요? 예: '생수병', '우유팩', '택배 상자'처럼 물건 이름과 "
            "상태(뚜껑, 라벨, 오염 여부)를 적어 주시면 정확히 안내해 드릴게요.")
# Neutral wording: the text path also runs online (text-only questions, the vision fallback).
_NOTE = "사진을 보지 않고 질문 글에 적힌 물건 이름으로만 판단했습니다."
_MAX_CHOICES = 5


def _quoted(text: str) -> str:
    return f"'{text}'"


def _clarify(res: Resolution) -> Clarification:
    """The question to ask: which of the close candidates, or simply the item's name."""
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
    res = catalog.resolve(question)
    if res.needs_clarification:
        return VisionAnalysis(saw_image=False, method="text", needs_clarification=True,
                              clarification=_clarify(res), notes=[_NOTE])
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


def _heading(g: ItemGuidance) -> list[str]:
    category = g.official_category or "분류를 알 수 없는 물건"
    lines = []
    if g.match == "category":
        lines.append(f"말씀하신 내용으로는 {josa(g.name, '으로/로')} 보여 그 기준으로 안내합니다. "
                     "물건 이름을 알려 주시면 더 정확히 안내해 드릴게요.")
        if g.recyclable is False:  # e.g. contaminated: the category's bin is no longer the answer
            lines.append(f"재활용되지 않습니다. {josa(category, '으로/로')} 버립니다.")
        return lines
    if g.match == "fuzzy":
        lines.append(f"질문하신 물건을 {josa(_quoted(g.name), '으로/로')} 알아듣고 안내합니다.")
    if g.recyclable is False:
        lines.append(f"{josa(g.name, '은/는')} 재활용되지 않습니다. {josa(category, '으로/로')} 버립니다.")
    elif g.recyclable:
        lines.append(f"{josa(g.name, '은/는')} {josa(category, '으로/로')} 분리배출합니다.")
    else:
        lines.append(f"{josa(g.name, '은/는')} {josa(category, '으로/로')} 배출합니다.")
    return lines


def _section(g: ItemGuidance) -> list[str]:
    if g.official_category is None:
        return [f"'{g.name}'에 대한 규칙을 찾지 못했습니다. 물건 이름을 다시 알려 주시겠어요?"]
    lines = _heading(g)
    if g.channel:
        lines.append(f"배출 장소: {g.channel}")
    if g.steps:
        lines.append("버리는 방법:")
        lines.extend(f"{i}. {step}" for i, step in enumerate(g.steps, 1))
    notes = [r.text for r in g.rules if r.kind == "note" and r.rule_id.endswith(":note")]
    lines.extend(f"참고: {n}" for n in notes)
    if g.not_this:
        lines.append("헷갈리기 쉬운 것:")
        lines.extend(f"- {n}" for n in g.not_this)
    if g.region_note:
        lines.append(f"지역마다 다를 수 있어요: {g.region_note}")
    if g.conflict_note:
        lines.append(f"안내가 엇갈리는 부분: {g.conflict_note}")
    return lines


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
    lines: list[str] = [said] if photo else []
    if len(ctx.guidance) == 1:
        lines.extend(_section(ctx.guidance[0]))
    else:
        lines.append(f"질문에 나온 물건 {len(ctx.guidance)}가지를 차례로 안내합니다.")
        for i, g in enumerate(ctx.guidance, 1):
            lines.append("")
            lines.append(f"[{i}] {g.name}")
            lines.extend(_section(g))
    return "\n".join(lines)
