"""Which named thing a sentence is about, from its clauses: the others are context.

People tell a story before they ask: "세탁기 새로 사고 나온 포장 스티로폼", "커피 찌꺼기는 버렸고 원두 담겨 있던
은박 봉투는?", "식용유가 반 병 있어요. 싱크대에 부으면 안 되죠?". Two readings of the tokenizer's tags:

- a thing followed by a place particle and a verb ("싱크대에 부으면", "봉지에 담아") is where something goes,
  not what is thrown away, when another thing is named;
- of the things left, the last one is what the question asks about; an earlier one that a clause ending
  (a verb with a connective, adnominal or final ending, or a sentence end) separates from it belongs to
  the story.

Only names that stand on their own count; the removed parts, contents and stains
(:meth:`TextContext.is_dependent`) are settled before this.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from streams.rules.context import Hit, TextContext
from streams.rules.vocab import MATERIAL_WORDS

__all__ = ["held_by_generic", "not_things", "source_of_material", "story_context"]

# "폐건전지가 한 봉지", "반 통 넘게 남은": after a number these words measure, they name nothing.
_MEASURES = frozenset("봉지 봉투 상자 박스 자루 포대 마대 트럭 바구니 묶음 더미 통 병 봉다리".split())
_NUMBER_BEFORE = re.compile(r"(?:^|\s)(?:한|두|세|네|다섯|여섯|몇|여러|반|\d+)\s*$")
# "스티커 사야 돼요?": the fee sticker for bulky waste is bought, not thrown away.
_FEE_STICKER = frozenset({"스티커", "필증", "납부필증", "배출스티커"})
_BOUGHT = re.compile(r"^\s*(?:을|를|는|은|도|만)?\s*(?:사|구매|구입|붙|발급|신청|받)")
# "고추장 통", "밀가루 봉지": a content named right before a container word of no material.
_HELD_IN = re.compile(r"^\s*(통|용기|병|봉지|상자|박스)(?=$|[^가-힣]|은|는|이|가|을|를|도|만|요|인|에)")
_FOOD = "음식물류폐기물"
# "우산에서 천을 벗겨 내고 남은 쇠 살대": what is left is named by its material. Not 유리: glass that is
# not a bottle is not the glass-bottle bin, so the item's own rules stay a better guide.
_FROM = re.compile(r"^\s*에서(?:는|도|만|부터)?(?![가-힣])")
_SOURCE_MATERIALS = MATERIAL_WORDS - {"유리"}
# Names that are also spoken verb endings ("버릴라면" = 버리려면): glued to a verb they are the ending.
_ENDING_LIKE = frozenset({"라면"})
_PLACE = frozenset({"에", "에다", "에다가", "에서"})
_VERB = ("VV", "VA", "VX", "XSV", "XSA")
_CLAUSE_END = ("EC", "ETM", "EF", "SF")


def _tokens_between(ctx: TextContext, a: Hit, b: Hit) -> list:
    start, end = ctx.cmap[a.end - 1] + 1, ctx.cmap[b.start]
    return [t for t in ctx.tokens if start <= t.start < end]


def _is_place(ctx: TextContext, hit: Hit) -> bool:
    end = ctx.cmap[hit.end - 1] + 1
    after = [t for t in ctx.tokens if t.start >= end][:3]
    return (len(after) >= 2 and after[0].start == end and after[0].tag == "JKB" and after[0].form in _PLACE
            and any(t.tag.startswith(_VERB) for t in after[1:]))


def _clause_between(ctx: TextContext, a: Hit, b: Hit) -> bool:
    seen_verb = False
    for t in _tokens_between(ctx, a, b):
        if t.tag.startswith(_VERB):
            seen_verb = True
        elif t.tag == "SF" or (seen_verb and t.tag in _CLAUSE_END):
            return True
    return False


def story_context(ctx: TextContext, hits: list[Hit], counts: Callable[[Hit], bool]) -> set[int]:
    """``id()`` of the hits that are context of the story, not the thing asked about.

    Args:
        ctx: The question's text context.
        hits: The candidate names, in text order.
        counts: Whether a hit names a thing at all (an item, or a category word that names a thing).
    """
    things = [h for h in hits if counts(h)]
    if len(things) < 2:
        return set()
    places = {id(h) for h in things if _is_place(ctx, h)}
    rest = [h for h in things if id(h) not in places] or things
    last = rest[-1]
    story = {id(h) for h in rest[:-1] if _clause_between(ctx, h, last)}
    return (places if len(rest) < len(things) else set()) | story


def not_things(ctx: TextContext, hits: list[Hit]) -> list[Hit]:
    """``hits`` without measure words after a number and the bulky-waste fee sticker."""
    out = []
    for h in hits:
        word = ctx.comp[h.start:h.end]
        before = ctx.norm[:ctx.cmap[h.start]]
        if word in _MEASURES and _NUMBER_BEFORE.search(before):
            continue
        if word in _FEE_STICKER and _BOUGHT.match(ctx.after(h)):
            continue
        if word in _ENDING_LIKE and h.start not in ctx.word_starts and _ending_before(ctx, h):
            continue  # "버릴라면": a verb's ending, not 라면
        out.append(h)
    return out


def held_by_generic(ctx: TextContext, hit: Hit) -> str | None:
    """The container word right after a food's name when the two make no name of their own ("고추장 통":
    the tub is the thing, the 고추장 what it held); None otherwise. Only foods: "글라스락 통" and "이불
    봉투에" name no content."""
    if not hit.is_item or hit.entries[0].category != _FOOD:
        return None
    m = _HELD_IN.match(ctx.after(hit))
    return m.group(1) if m else None


def source_of_material(ctx: TextContext, hits: list[Hit]) -> set[int]:
    """``id()`` of the items named as where a part came from ("X에서") when a material word later names the
    part ("플라스틱 테두리", "쇠 살대"): the part, of that material, is the thing."""
    out: set[int] = set()
    for h in hits:
        if h.is_item and _FROM.match(ctx.after(h)) and any(
                not g.is_item and g.start >= h.end and ctx.comp[g.start:g.end] in _SOURCE_MATERIALS for g in hits):
            out.add(id(h))
    return out


def _ending_before(ctx: TextContext, hit: Hit) -> bool:
    """The token just before the hit, in the same word, is an ending (the hit is the rest of a verb)."""
    start = ctx.cmap[hit.start]
    before = [t for t in ctx.tokens if t.start < start]
    return bool(before) and before[-1].tag.startswith(("ETM", "EC", "EF", "EP"))

