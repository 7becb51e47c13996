"""Free Korean text → ranked catalogue candidates, item state and category hint.

How a question is read:

1. normalise (NFKC, lower case) and read condition words into an :class:`ItemState`
   (:mod:`streams.rules.states`);
2. find names (:mod:`streams.rules.matching`): exact substrings of the space-stripped text, longest
   first, so "피자 박스" beats "박스" and "생수병어디버려" still finds "생수병"; then parts of names and
   typos in the words left over;
3. decide which names are the item(s) asked about:

   - a name offered as the destination or the answer ("…음식물쓰레기예요?", "…캔이랑 같이 버려요?")
     or named as a part or content ("펌프 달린", "고기 담았던") gives way to another named item;
   - within one noun phrase the last noun is the thing and the names before it say what it held
     ("TV 포장 스티로폼" → 스티로폼), unless modifier + head is a name of its own ("삼다수 빈병" →
     삼다수병); see :mod:`streams.rules.phrases`;
   - names joined by "랑/하고/와/," are several items; otherwise the strongest match wins, and on a tie
     the last one, which in Korean is the head ("택배 상자에 붙은 송장" → 송장);
   - a story told before the question is context ("세탁기 새로 사고 나온 포장 스티로폼" → 스티로폼), as is a
     place something is put ("싱크대에 부으면"), a measure ("한 봉지"), a food before a bare container
     word ("고추장 통": the tub) and the whole a part came from when a material names the part
     ("우산에서 … 쇠 살대"); see :mod:`streams.rules.clauses`.

The state is settled against the resolved item's material: "기름 묻은" is residue on a can and
contamination on a pizza box (:func:`streams.rules.states.settle`). The result types are in
:mod:`streams.rules.resolution`.

Never a confident wrong item: a key shared by items of different categories, or a material word that
contradicts the item ("유리 반찬통"), makes the resolution ambiguous; an unknown item yields a
category-level result only when a category word names it, otherwise ``needs_clarification``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from streams.contracts import ItemState
from streams.rules.anaphora import back_references
from streams.rules.clauses import held_by_generic, not_things, source_of_material, story_context
from streams.rules.context import Hit, TextContext
from streams.rules.dimensions import MATERIAL_OF_CATEGORY, read_dimensions
from streams.rules.index import NameIndex
from streams.rules.matching import FuzzyIndex, exact_hits, extend_heads, gap_hits, select
from streams.rules.model import CategoryDoc, ItemDoc
from streams.rules.morphemes import analyser
from streams.rules.phrases import containers, is_thing, phrase_heads, remaining_contents
from streams.rules.resolution import Candidate, CandidateMatch, Mention, Resolution
from streams.rules.states import read_state, settle
from streams.rules.text import compact, compact_with_map, normalize
from streams.rules.vocab import CATEGORY_WORDS, GENERIC_CONTAINERS, MATERIAL_WORDS

__all__ = ["Resolver"]  # the result types are in streams.rules.resolution

MAX_TEXT = 500
SCORE = {"name": 1.0, "alias": 0.95, "derived": 0.9, "partial": 0.8, "several": 0.75, "category": 0.6}
QUALIFIED = 0.96  # a derived key whose qualifier the text also names ("스티로폼 컵라면 용기")
_GENERAL = "일반종량제폐기물"
_COMPATIBLE = {frozenset({"플라스틱류", "무색페트병"})}  # a PET bottle is plastic too
_MATERIALS = frozenset({"종이", "종이팩", "무색페트병", "플라스틱류", "비닐류", "발포합성수지", "유리병",
                        "금속류"})
_CATEGORY_KEYS = frozenset(compact(w) for words in CATEGORY_WORDS.values() for w in words)


class Resolver:
    """Resolves text against one catalogue's names; build once, call :meth:`resolve` many times."""

    def __init__(self, items: Mapping[str, ItemDoc], categories: Mapping[str, CategoryDoc]) -> None:
        self._items = items
        self.index = NameIndex(items, categories)
        self.fuzzy = FuzzyIndex(self.index)

    def warm_up(self) -> None:
        """Load the tokenizer and run it once (its first call initialises lazily)."""
        self.resolve("뚜껑 닫힌 생수병은 어떻게 버려요?")

    def resolve(self, text: str) -> Resolution:
        """Read ``text``; see the module docstring for the steps."""
        norm = normalize(text)[:MAX_TEXT]
        reading = read_state(norm)
        reading = replace(reading, state=reading.state.model_copy(update=read_dimensions(norm)))
        comp, cmap = compact_with_map(norm)
        ctx = TextContext(norm, comp, cmap, reading.spans, analyser().tokenize(norm))
        found, soft = exact_hits(self.index, ctx)
        hits = select(found, ctx)
        hits = gap_hits(self.index, self.fuzzy, ctx, hits)
        hits = not_things(ctx, extend_heads(self.index, self.fuzzy, ctx, hits))
        if not any(h.is_item for h in hits):
            hits = sorted(hits + [h for h in select(soft) if h.is_item], key=lambda h: h.start)
        else:
            hits = remaining_contents(self.index, ctx, hits, [h for h in select(soft) if h.is_item])
        hits = back_references(self.index, ctx, hits)
        res = self._decide(ctx, norm, reading.state, hits)
        if _generic_only(res):
            held = next((w for h in hits if (w := held_by_generic(ctx, h))), None)  # "고추장 통": that 통
            generic = held or next((t.form for t in ctx.tokens if t.tag.startswith("NN")
                                    and t.form in GENERIC_CONTAINERS), None)
            if generic is not None and reading.state.contaminated is True:
                # Whatever it is made of, dirt that does not wash off sends it to the 종량제 bag.
                cand = Candidate(None, _GENERAL, _GENERAL, SCORE["category"], "category")
                mention = Mention(generic, 0, 0, (cand,))
                return replace(res, candidates=(cand,), mentions=(mention,), needs_clarification=False,
                               ambiguous=False, category_hint=_GENERAL)
            if generic is not None:  # "이 컵은 플라스틱인가요?": which kind of 컵 only a photo could tell
                content = next((h.entries[0].category for h in hits if held_by_generic(ctx, h)), None)
                return replace(res, candidates=(), mentions=(), needs_clarification=True, generic=generic,
                               content=content)
        if not reading.washable:
            return res
        best = res.candidates[0].official_category if res.candidates else None
        return replace(res, state=settle(res.state, best, washable=True), washable=True)

    def _decide(self, ctx: TextContext, norm: str, state: ItemState, hits: list[Hit]) -> Resolution:
        # "노트북 파우치": the pouch is the thing; never answer for the laptop it belongs to.
        heads = {id(h): head for h in hits if h.is_item and (head := ctx.unknown_head(h, hits))}
        if heads:
            hits = [h for h in hits if id(h) not in heads]
            if not any(h.is_item for h in hits):
                res = self._decide(ctx, norm, state, hits)
                return res if res.candidates else replace(res, unknown=next(iter(heads.values())))
        held = {id(h) for h in hits if held_by_generic(ctx, h)} | source_of_material(ctx, hits)
        dependent = held | {id(h) for h in hits if ctx.is_dependent(h)}
        hits = containers(self.index, ctx, hits, dependent)
        hits = phrase_heads(self.index, ctx, hits, dependent)
        # "세탁기 새로 사고 나온 포장 스티로폼": the washing machine is the story, the foam the question
        dependent |= story_context(ctx, [h for h in hits if id(h) not in dependent],
                                   lambda h: (h.is_item and not ctx.is_modifier(h)) or is_thing(ctx, h))
        items = [h for h in hits if h.is_item and not ctx.is_modifier(h)]
        cat_hits = [h for h in hits if not h.is_item and not ctx.is_guess(h) and id(h) not in dependent]
        guess = {id(h) for h in items if ctx.is_guess(h)}
        free = [h for h in items if id(h) not in guess | dependent]
        unguessed = [h for h in items if id(h) not in guess]
        # A part or companion yields to the item, unless only a vaguer (fuzzy) guess would be left.
        strongest = max((_tier(ctx, h) for h in unguessed), default=0)
        if free and max(_tier(ctx, h) for h in free) >= min(2, strongest):
            items = free
        elif not free and any(is_thing(ctx, h) for h in cat_hits):
            items = []  # "두부 담았던 플라스틱 통", "세정제 투명 통 페트병 맞나요?": the thing word names it
        elif all(id(h) in held for h in items):
            items = []  # "고추장 통", "우산에서 … 쇠 살대": a container word or a material names the thing
        else:  # a guess at the part beats the whole it came from or the food it held
            items = ([h for h in unguessed if id(h) not in held] or [h for h in items if id(h) not in held]
                     or unguessed or items[-1:])
        mentions = [self._mention(ctx, h, cat_hits) for h in self._heads(ctx, items)]
        if mentions:
            ambiguous = any(m.ambiguous for m in mentions)
            return Resolution(norm, _rank(mentions), state, None, ambiguous, ambiguous, tuple(mentions))
        first: dict[str, Hit] = {}
        for h in cat_hits:
            first.setdefault(h.entries[0].category, h)
        if not first:
            return Resolution(norm, (), state, None, False, True)
        cat_mentions = tuple(
            Mention(ctx.span_text(h), h.start, h.end,
                    (Candidate(None, code, code, SCORE["category"] * (0.9 if h.fuzzy or h.partial else 1.0),
                               "category"),))
            for code, h in first.items())
        ambiguous = len(first) > 1  # "유리인지 플라스틱인지": ask rather than pick one
        return Resolution(norm, tuple(m.top for m in cat_mentions), state, next(iter(first)), ambiguous,
                          ambiguous, cat_mentions)

    def _heads(self, ctx: TextContext, hits: list[Hit]) -> list[Hit]:
        """One hit per named item: listed items stay apart; in a compound the stronger (then last) wins."""
        groups: list[Hit] = []
        for h in hits:
            if groups and not ctx.joined(groups[-1], h):
                if _tier(ctx, h) >= _tier(ctx, groups[-1]):
                    groups[-1] = h
            else:
                groups.append(h)
        if len(groups) > 1:  # names of many items at once ("장갑") are too vague next to a real name
            groups = [h for h in groups if _tier(ctx, h) > 0] or groups
        return groups

    def _mention(self, ctx: TextContext, hit: Hit, cat_hits: list[Hit]) -> Mention:
        text_cats = {h.entries[0].category for h in cat_hits}
        several = hit.partial and len(hit.entries) > 1
        cands: list[Candidate] = []
        for e in hit.entries:
            if e.item_id is None:
                continue
            match: CandidateMatch = "exact" if e.kind == "name" else "alias"
            if hit.fuzzy:
                score, match = round(0.9 * hit.fuzzy / 100, 3), "fuzzy"
            elif hit.partial:
                score, match = SCORE["several" if several else "partial"], "fuzzy"
                if several and self._completed(ctx, hit, e.item_id):
                    score = SCORE["partial"]  # "아이스 아메리카노 컵": 아이스…컵 is 아이스컵
            else:
                score = SCORE[e.kind]
                if e.kind == "derived" and e.qualifier and e.qualifier in ctx.comp_outside(hit):
                    score = QUALIFIED
            if len(hit.entries) > 1 and e.category in text_cats:
                score = min(QUALIFIED, score + 0.06)  # "컵라면 용기 ... 스티로폼" settles the tie
            cands.append(Candidate(e.item_id, e.label, e.category, score, match))
        cands.sort(key=lambda c: -c.score)
        material = ctx.material_before(hit, cat_hits)
        if material is None and (hit.fuzzy or hit.partial):
            # A guessed name must not contradict a material named anywhere ("옷걸이 플라스틱").
            material = next((h.entries[0].category for h in cat_hits
                             if ctx.comp[h.start:h.end] in MATERIAL_WORDS), None)
        if material and _contradicts(material, cands[0].official_category):
            # An item of that material ("플라스틱 계란판") beats a case of the named one; a case ("금속 행거")
            # beats a contradiction.
            better = self._with_material(ctx.comp[hit.start:hit.end], material)
            if better is None and self._has_case(cands[0].item_id, material):
                return Mention(ctx.span_text(hit), hit.start, hit.end, tuple(cands[:8]))
            if better is None:
                cands.append(Candidate(None, material, material, SCORE["category"], "category"))
                return Mention(ctx.span_text(hit), hit.start, hit.end, tuple(cands), conflict=True)
            cands = [better]
        return Mention(ctx.span_text(hit), hit.start, hit.end, tuple(cands[:8]))

    def _has_case(self, item_id: str | None, material_category: str) -> bool:
        """The item's document has a case for this material ("금속 행거" is a case, not a contradiction)."""
        doc = self._items.get(item_id) if item_id else None
        value = MATERIAL_OF_CATEGORY.get(material_category)
        return doc is not None and any(c.when.get("material") == value for c in doc.conditions)

    def _completed(self, ctx: TextContext, hit: Hit, item_id: str) -> bool:
        """The rest of one of the item's names appears later in the text."""
        part, later = ctx.comp[hit.start:hit.end], ctx.comp[hit.end:]
        return any(name.startswith(part) and len(name) > len(part) and name[len(part):] in later
                   for name in self.index.names_of.get(item_id, ()))

    def _with_material(self, key: str, material: str) -> Candidate | None:
        """The one item named like ``key`` in the material's category ("플라스틱 계란판")."""
        found = {e.item_id: e for k, entries in self.index.keys.items() if key in k
                 for e in entries if e.item_id and e.category == material}
        if len(found) != 1:
            return None
        e = next(iter(found.values()))
        return Candidate(e.item_id, e.label, e.category, SCORE["derived"], "alias")


def _generic_only(res: Resolution) -> bool:
    """Only a container word of no material ("이 컵", "통") was named, or nothing at all."""
    for m in res.mentions:
        if m.top.item_id and m.top.score > SCORE["several"]:
            return False  # a real item
        if m.top.item_id is None and compact(m.text).removeprefix("이").removeprefix("그") not in GENERIC_CONTAINERS:
            return False  # a category or material word ("플라스틱")
    return True


def _tier(ctx: TextContext, hit: Hit) -> int:
    """How strongly a hit names one item.

    0: part of many items' names; 1: fuzzy or part of one name; 2: derived key or category word; 3: name.
    """
    if hit.partial and len(hit.entries) > 1:
        return 0
    if hit.fuzzy or hit.partial:
        return 1
    if ctx.comp[hit.start:hit.end] in _CATEGORY_KEYS or all(e.kind == "derived" for e in hit.entries):
        return 2
    return 3


def _contradicts(material: str, category: str) -> bool:
    if material == category or category not in _MATERIALS or material not in _MATERIALS:
        return False
    return frozenset({material, category}) not in _COMPATIBLE


def _rank(mentions: list[Mention]) -> tuple[Candidate, ...]:
    """All mentions' candidates, best score first, each item once (ties keep text order)."""
    best: dict[str | None, Candidate] = {}
    for m in mentions:
        for c in m.candidates:
            if c.item_id not in best or c.score > best[c.item_id].score:
                best[c.item_id] = c
    order = list(best)
    return tuple(sorted(best.values(), key=lambda c: (-c.score, order.index(c.item_id))))
