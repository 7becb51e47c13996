"""Head nouns: in a Korean noun phrase the last noun is the thing; the nouns before it say what it held,
came with or belongs to.

"TV 포장 스티로폼" is styrofoam, "영양제 플라스틱 통" a plastic tub, "옥수수수염차 투명 페트병" a clear PET
bottle. So within one phrase (names with only nouns between them, no particle or verb) the rightmost
name wins over the names before it, with two exceptions:

- the knowledge base has a name for modifier + head ("삼다수 빈병" → 삼다수병, "알약 포장 껍데기" → 알약
  껍데기, "간장 투명 페트병" → 간장 페트병): a generic container word means what its content makes it;
- the head is too vague to stand for the thing: part of many names ("포장"), or a bare material word
  ("거울 유리" is the mirror's glass, not a 유리병). Only category words that name a *thing* head a
  phrase (:data:`streams.rules.vocab.HEAD_WORDS`).

"페트병에서 떼어낸 라벨" is the label: a name followed by "에서" and a removal verb is the source of the
item after the clause, which is tried as modifier + head too (페트병 라벨).
"""

from __future__ import annotations

import re

from streams.rules.context import Hit, TextContext
from streams.rules.index import Entry, NameIndex
from streams.rules.vocab import HEAD_WORDS

__all__ = ["containers", "is_thing", "phrase_heads", "remaining_contents"]

# "페트병에서 떼어낸 라벨": the name is where the item was taken from.
_SOURCE = re.compile(r"^\s*(?:에서|에서\s*부터)\s*"
                     r"(?:떼어|떼|뗀|뜯어|뜯은|벗겨|벗긴|분리|빼낸|빼|뺀|나온|꺼낸|꺼내|잘라|잘린|잘랐|오려|오린)")


_HELD_WORD = re.compile(r"(?<![가-힣])([가-힣]{2,6}?)(?:이|가)?\s*"
                        r"(?:들어\s*있(?:었던|던|는)?|들었던|담았던|담겨\s*있(?:었던|던|는)?|담긴|들어간|든(?=\s))")


def _vague(hit: Hit) -> bool:
    """A guess (part of a name, a typo) or a name of items in several categories ("세제"): too vague
    to overrule the exact names before it."""
    return bool(hit.partial or hit.fuzzy or len({e.category for e in hit.entries}) > 1)


def is_thing(ctx: TextContext, hit: Hit) -> bool:
    """A category word that names a thing ("플라스틱 통", "스티로폼"), not only a material."""
    return not hit.is_item and ctx.comp[hit.start:hit.end] in HEAD_WORDS


def _can_head(ctx: TextContext, hit: Hit) -> bool:
    if ctx.is_guess(hit) or ctx.is_offered(hit):  # "생수 라벨 비닐이에요?": 비닐 is the user's guess
        return False
    if not ctx.ends_noun(hit):  # "티슈곽 비닐창": the head is 창, which we do not know
        return False
    return hit.is_item or is_thing(ctx, hit)


def _parts(word: str) -> list[str]:
    """The modifier, then its tails and heads ("생수병" → 수병, 병, 생수): "생수병 라벨" is a 병 라벨."""
    tails = [word[i:] for i in range(1, len(word))]
    heads = [word[:i] for i in range(len(word) - 1, 1, -1)]
    return [word, *tails, *heads]


def _combined(index: NameIndex, ctx: TextContext, mods: list[Hit], head: Hit, *,
              derived: bool = False, whole: bool = False) -> Hit | None:
    """The item named by (part of) a modifier plus the head's last syllables ("삼다수" + "병"), nearest
    modifier first. ``derived`` also accepts keys derived from names ("컵라면 용기(종이)" → 컵라면용기);
    ``whole`` keeps parts of two letters or more (a content word that is not a name of ours)."""
    key = ctx.comp[head.start:head.end]
    for mod in reversed(mods):
        word = ctx.comp[mod.start:mod.end]
        for part in [p for p in _parts(word) if len(p) >= 2] if whole else _parts(word):
            for k in range(len(key), 0, -1):
                if len(part) + k < 3:
                    continue
                entries = index.keys.get(part + key[-k:])
                if entries and entries[0].item_id and (derived or entries[0].kind != "derived"):
                    return Hit(head.start, head.end, entries)
    return None


def containers(index: NameIndex, ctx: TextContext, hits: list[Hit], dependent: set[int]) -> list[Hit]:
    """A content name plus its container's name: "식용유 담았던 투명 페트병" → 식용유 페트병, "두부 담겨
    있던 플라스틱 용기" → 두부 용기. ``dependent`` holds the hits named as a part or content."""
    out = list(hits)
    for i, (content, box) in enumerate(zip(hits, hits[1:], strict=False)):
        if id(content) in dependent and (box.is_item or is_thing(ctx, box)):
            out[i + 1] = _combined(index, ctx, [content], box, derived=True) or box
    return out


def _chains(ctx: TextContext, hits: list[Hit]) -> list[list[Hit]]:
    chains: list[list[Hit]] = []
    for h in hits:
        if chains and ctx.same_phrase(chains[-1][-1], h):
            chains[-1].append(h)
        else:
            chains.append([h])
    return chains


def phrase_heads(index: NameIndex, ctx: TextContext, hits: list[Hit], skip: set[int]) -> list[Hit]:
    """``hits`` with each phrase's modifiers dropped in favour of its head (see the module docstring).

    Hits in ``skip`` (parts and contents already handled) and names ruled out or offered as the answer
    take no part.
    """
    dropped: set[int] = set()
    replaced: dict[int, Hit] = {}
    usable = [h for h in hits if id(h) not in skip and not ctx.is_modifier(h)]
    for source, item in zip(usable, usable[1:], strict=False):
        # "택배 상자에서 뜯은 테이프": whatever the tape is, it is not the box.
        if source.is_item and _SOURCE.match(ctx.after(source)) and not ctx.is_guess(item):
            replaced[id(item)] = _combined(index, ctx, [source], item) or item
            dropped.add(id(source))
    for chain in _chains(ctx, [replaced.get(id(h), h) for h in usable if id(h) not in dropped]):
        head, mods = chain[-1], [h for h in chain[:-1] if h.is_item]
        if not mods or not _can_head(ctx, head):
            continue
        better = _combined(index, ctx, mods, head)
        if better is not None:
            replaced[id(head)] = better
        elif _vague(head):
            continue
        dropped.update(id(h) for h in mods)
        dropped.update(id(h) for h in chain[:-1] if not h.is_item and h.start > mods[0].start)
    return [replaced.get(id(h), h) for h in hits if id(h) not in dropped]


def _span_nouns(ctx: TextContext, soft: list[Hit]) -> list[Hit]:
    """Words that say what a container held ("맛술 들어 있던", "간장 담았던") and that no name covers, as bare
    modifiers: a content we have no document for may still name its container ("맛술 페트병")."""
    out = []
    for m in _HELD_WORD.finditer(ctx.norm):
        a, end = ctx.o2c[m.start(1)], ctx.o2c[m.end(1)]
        if not any(h.start == a for h in soft):
            out.append(Hit(a, end, (Entry(None, "", "derived", ""),)))
    return out


def _held_verb(ctx: TextContext, content: Hit) -> str:
    """The compact words between a held-content word and what follows its verb ("들어있던")."""
    m = _HELD_WORD.match(ctx.norm, ctx.cmap[content.start])
    return "".join(ch for ch in ctx.norm[m.end(1):m.end()] if ch.isalnum()) if m else ""


def remaining_contents(index: NameIndex, ctx: TextContext, hits: list[Hit], soft: list[Hit]) -> list[Hit]:
    """"간장 조금 남은 페트병": the content named inside the condition words says which container it is (a
    soy-sauce PET bottle is 플라스틱류, not a water bottle). A content hit hidden in a soft condition span,
    followed by a container name, becomes modifier + head when the knowledge base has that name."""
    out = list(hits)
    held = _span_nouns(ctx, soft)
    for content in [*soft, *held, *hits]:
        box = next((h for h in out if h.is_item and h.start >= content.end and h is not content), None)
        if box is None or ctx.comp[content.end:box.start] == "":
            continue
        # Only condition words between them ("조금 남은"), or the verb that says it held it ("들어 있던").
        loose = [i for i in range(content.end, box.start) if not any(a <= i < b for a, b, _ in ctx.state_compact)]
        if content in held:
            loose = loose[len(_held_verb(ctx, content)):]
        if len(loose) > 2 or len(loose) == box.start - content.end:  # an ending ("은") may trail the words
            continue
        # a content word no name covers gives no one-letter tails: "색연필" + 케이스 is not 필 + 케이스
        combined = _combined(index, ctx, [content], box, derived=True, whole=content in held)
        if combined is not None and combined.entries != box.entries:
            out = [combined if h is box else h for h in out]
    return out
