"""A later container word that points back: "…송장 뗐어요, 박스는요?", "샴푸 펌프 빼고 통만".

People name the thing, say what they did to its parts, then come back to it with a bare container word
as the topic ("상자는요?", "통만", "용기는", "팩은"). That word is the thing being thrown away:

- when an earlier name already ends in it ("스티로폼 박스 … 박스는") it is the same thing again, and
  must not become a second item (here: a paper box through the alias "박스");
- otherwise it is the container *of* the earlier name ("샴푸 … 통만" is a 샴푸통, "컵라면 … 용기는" a 컵라면
  용기), when the knowledge base has such a name; the earlier name (a content, a food) then gives way.
"""

from __future__ import annotations

from streams.rules.context import Hit, TextContext
from streams.rules.index import NameIndex
from streams.rules.text import compact
from streams.rules.vocab import GENERIC_CONTAINERS

__all__ = ["CONTAINER_WORDS", "back_references"]

#: Container words that can stand for a thing already named.
CONTAINER_WORDS: frozenset[str] = frozenset({*GENERIC_CONTAINERS, "팩", "캔", "케이스", "봉투", "포장", "포장재"}
                                            - {"뚜껑"})  # a lid is a part of the thing, not what holds it
_TOPIC = ("은", "는", "만", "도", "을", "를", "이", "가")  # not "랑": "호일 캔이랑 같이" names a companion
# Containers whose contents people name first ("고추장 자국 안 지워지는 통"): the food is not the thing.
_HOLDERS = frozenset({"통", "용기", "병", "그릇", "컵", "캔", "팩", "곽"})
_FOOD = "음식물류폐기물"


def _topic_words(ctx: TextContext) -> list[tuple[int, int, str]]:
    """Container words used as a topic or closing the question: (compact start, end, word)."""
    found = []
    tokens = ctx.tokens
    for i, t in enumerate(tokens):
        # Kiwi tags a bare 통 as the adverb "통" (= at all); as a container word it is still the noun.
        if not (t.tag.startswith("NN") or (t.form == "통" and t.tag == "MAG")) or t.form not in CONTAINER_WORDS:
            continue
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        topic = (nxt is None or nxt.tag in ("SF", "SP") or (nxt.tag.startswith("J") and nxt.form in _TOPIC)
                 or nxt.tag.startswith(("VV", "VX")))  # "통 버리려면": the object, with no particle
        if topic and ctx.state_at(ctx.o2c[t.start], ctx.o2c[t.start] + 1) is None:  # not "뚜껑은 닫혀 있어요"
            a = ctx.o2c[t.start]
            found.append((a, a + len(compact(t.form)), t.form))
    return found


def _forms(ctx: TextContext, hit: Hit) -> list[str]:
    """The whole written word around the name ("컵라면" around "라면"), the name, its tails and heads."""
    a, b = ctx.cmap[hit.start], ctx.cmap[hit.end - 1] + 1
    while a > 0 and ctx.norm[a - 1].isalnum():
        a -= 1
    while b < len(ctx.norm) and ctx.norm[b].isalnum() and ctx.norm[b] not in "은는이가을를도만":
        b += 1
    name = ctx.comp[hit.start:hit.end]
    tails = [name[i:] for i in range(1, len(name) - 1)]
    heads = [name[:i] for i in range(len(name) - 1, 1, -1)]
    return list(dict.fromkeys([compact(ctx.norm[a:b]), name, *tails, *heads]))


def _container_of(index: NameIndex, forms: list[str], word: str) -> Hit | None:
    """The item named "<form><word>" for one of the name's forms, if the knowledge base has one."""
    for form in forms:
        entries = index.keys.get(form + word)
        if entries and entries[0].item_id:
            return Hit(0, 0, entries)
    return None


def back_references(index: NameIndex, ctx: TextContext, hits: list[Hit]) -> list[Hit]:
    """``hits`` with later container words resolved against the names before them (module docstring)."""
    out = list(hits)
    for a, b, word in _topic_words(ctx):
        earlier = [h for h in out if h.is_item and h.end <= a]
        if not earlier:
            continue
        at_word = [h for h in out if h.start < b and h.end > a]
        if any(h.start < a for h in at_word):
            continue  # the word ends a longer name ("스티로폼 컵", "플라스틱 통"): that name says what it is
        for prev in reversed(earlier):
            if ctx.comp[prev.end:a] == "":
                break  # "컵라면 용기": a compound, which the phrase rules read (with any material before it)
            name = ctx.comp[prev.start:prev.end]
            same = [e for e in prev.entries if name.endswith(word) or any(
                n.endswith(word) for n in index.names_of.get(e.item_id or "", ()))]
            if same:
                # The same thing again (only the readings that are that kind of thing): it is named here,
                # where the question comes back to it.
                # "선물세트 … 상자만": the container word settles which of the earlier name's readings it was.
                settled = len(same) == 1
                again = Hit(a, b, tuple(same), 0.0 if settled else prev.fuzzy, prev.partial and not settled)
                out = sorted([h for h in out if h not in at_word] + [again], key=lambda h: h.start)
                break
            combined = _container_of(index, _forms(ctx, prev), word)
            if combined is not None:  # the container of what was named: the name was its content
                box = Hit(a, b, combined.entries)
                out = sorted([h for h in out if h not in at_word and h is not prev] + [box], key=lambda h: h.start)
                break
            if word in _HOLDERS and all(e.category == _FOOD for e in prev.entries):
                out = [h for h in out if h is not prev]  # a food named as what the container held
                break
    return out
