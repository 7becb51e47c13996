"""Finding names in a question: exact substrings, parts of names, typos.

Three passes over the compact text, each only where the previous left words unexplained:

1. :func:`exact_hits` + :func:`select`: every indexed key as a substring, longest first;
2. :func:`gap_hits`: a leftover word that is part of known names ("쭈쭈바", "장갑") or a typo of one
   ("패트병"), fuzzy on letters (jamo) with the same number of syllables — a missing syllable is a
   different word, not a typo ("아이스" is not "아이코스");
3. :func:`extend_heads`: a leftover modifier before a found name may make a more specific name
   ("초록색 페트병" → "초록 페트병", not "페트병").
"""

from __future__ import annotations

from rapidfuzz import fuzz, process

from streams.rules.context import Hit, TextContext
from streams.rules.index import Entry, NameIndex
from streams.rules.text import jamo
from streams.rules.vocab import STOPWORDS

__all__ = ["FuzzyIndex", "exact_hits", "extend_heads", "gap_hits", "select"]

FUZZY_CUTOFF = 84.0  # jamo ratio; one wrong letter in a three-syllable word scores ~86
FUZZY_SHORT_CUTOFF = 90.0  # two-syllable keys: only a missing or extra letter
STRICT_BONUS = 3.0  # another item is already named exactly: only near-certain extra guesses

_TAILS = tuple(sorted((
    "은 는 이 가 을 를 도 에 에서 에다 으로 로 랑 이랑 하고 와 과 의 만 요 이요 인가요 인가 이에요 예요 에요 "
    "이죠 죠 이나 나 인데 은요 는요 도요 같은데 이야 야 이냐 냐 인지 어디 어디에 어디다 어떻게 버려 버려요 "
    "버리기 버리는 버리나요 처리 분리수거 배출").split(), key=len, reverse=True))


def strip_tail(word: str) -> str:
    """Trim particles and question words off the end of a compact word ("생수병은요" → "생수병")."""
    changed = True
    while changed and word:
        changed = False
        for tail in _TAILS:
            if word.endswith(tail) and len(word) > len(tail):
                word, changed = word[: -len(tail)], True
                break
    return word


class FuzzyIndex:
    """Keys grouped by syllable count, in jamo, for rapidfuzz."""

    def __init__(self, index: NameIndex) -> None:
        self.index = index
        self.by_len: dict[int, tuple[list[str], list[str]]] = {}
        for key in index.keys:
            if len(key) >= 2:
                keys, jamos = self.by_len.setdefault(len(key), ([], []))
                keys.append(key)
                jamos.append(jamo(key))

    def best(self, queries: set[str], *, strict: bool,
             head: str | None = None) -> tuple[float, str] | None:
        """The best (ratio, key) over all queries, or None below the cutoffs."""
        found: tuple[float, str] | None = None
        for query in queries:
            n = len(query)
            lengths = [n] + ([n - 1, n + 1] if n >= 5 else [])
            for length in lengths:
                if length not in self.by_len:
                    continue
                keys, jamos = self.by_len[length]
                for _, ratio, idx in process.extract(jamo(query), jamos, scorer=fuzz.ratio,
                                                     score_cutoff=FUZZY_CUTOFF, limit=3):
                    key = keys[idx]
                    cutoff = FUZZY_SHORT_CUTOFF if min(len(key), n) <= 2 else FUZZY_CUTOFF
                    cutoff += STRICT_BONUS if strict else 0.0
                    if ratio < cutoff or query in key or key in query:
                        continue
                    if head is not None and not key.endswith(head):
                        continue
                    if found is None or ratio > found[0]:
                        found = (ratio, key)
        return found


def exact_hits(index: NameIndex, ctx: TextContext) -> tuple[list[Hit], list[Hit]]:
    """All keys found as substrings: (usable hits, hits inside soft condition words)."""
    keys, comp, n = index.keys, ctx.comp, len(ctx.comp)
    hits: list[Hit] = []
    soft: list[Hit] = []
    for i in range(n):
        for length in range(min(index.max_len, n - i), 0, -1):
            entries = keys.get(comp[i:i + length])
            if entries is None or (length <= 2 and not ctx.aligned(i, i + length)):
                continue
            where = ctx.state_at(i, i + length)
            if where is None:
                hits.append(Hit(i, i + length, entries))
            elif where == "soft":
                soft.append(Hit(i, i + length, entries))
    return hits, soft


def _word_end(ctx: TextContext, end: int) -> bool:
    i = ctx.cmap[end - 1] + 1
    return i >= len(ctx.norm) or not ctx.norm[i].isalnum()


def select(hits: list[Hit], ctx: TextContext | None = None) -> list[Hit]:
    """Longest first, then leftmost; drop anything overlapping a chosen hit.

    With ``ctx``, a name that starts inside a word the user wrote and runs past its end loses to a name
    that is that whole word: "택배박스 테이프" is a box and a tape, not 택배 + "박스 테이프" (packing tape)."""
    if ctx is not None:
        words = [g for g in hits if g.start in ctx.word_starts and _word_end(ctx, g.end)]
        hits = [h for h in hits if h.start in ctx.word_starts
                or not any(g.start < h.start < g.end < h.end for g in words)]
    chosen: list[Hit] = []
    for h in sorted(hits, key=lambda h: (-(h.end - h.start), h.start)):
        if all(h.end <= c.start or h.start >= c.end for c in chosen):
            chosen.append(h)
    return sorted(chosen, key=lambda h: h.start)


def _covered(ctx: TextContext, hits: list[Hit]) -> list[bool]:
    covered = [False] * len(ctx.comp)
    for a, b in [(h.start, h.end) for h in hits] + [(s, e) for s, e, _ in ctx.state_compact]:
        for k in range(a, b):
            covered[k] = True
    return covered


def _partial_hit(index: NameIndex, start: int, end: int, word: str) -> Hit | None:
    entries = index.partial.get(word)
    if not entries:
        return None
    if len({e.category for e in entries}) == 1 and len({e.item_id for e in entries}) > 1:
        # Many items, one category ("봉지" → 비닐류): the category is what we know.
        entries = (Entry(None, entries[0].category, "category", entries[0].category),)
    return Hit(start, end, entries, partial=True)


def gap_hits(index: NameIndex, fuzzy: FuzzyIndex, ctx: TextContext, hits: list[Hit]) -> list[Hit]:
    """Add partial-name and typo hits for words the exact pass left unexplained."""
    gaps = ctx.gaps(_covered(ctx, hits))
    strict = any(h.is_item for h in hits)
    spans = [(a, b) for a, b, _ in gaps]
    # "패트 병": a short leftover next to another one may be half of a split word.
    spans += [(a1, b2) for (a1, b1, end1), (a2, b2, _) in zip(gaps, gaps[1:], strict=False)
              if end1 and b1 == a2 and min(b1 - a1, b2 - a2) <= 2]
    found: list[Hit] = []
    for a, b in spans:
        # The tokenizer knows "옷걸이" ends in a noun, not the particle 이; the tail list is the fallback.
        words = [w for w in dict.fromkeys((ctx.comp[a:ctx.trimmed_end(a, b)], strip_tail(ctx.comp[a:b])))
                 if len(w) >= 2 and w not in STOPWORDS and not w.isdigit()]
        if not words or not ctx.has_noun(a, b) or any(w in index.keys for w in words):
            continue  # nothing to guess, or a real name the exact pass rejected on purpose
        hit = next((h for w in words if (h := _partial_hit(index, a, a + len(w), w))), None)
        if hit is None or not hit.is_item or len(hit.entries) > 1:
            # A typo of one name beats "part of several names" ("패트병" is 페트병, not 투명패트병's tail).
            queries = {q for q in {*words, *ctx.noun_runs(a, b)} if len(q) >= 2 and q not in STOPWORDS}
            best = fuzzy.best(queries, strict=strict)
            if best is not None and index.keys[best[1]][0].item_id:
                hit = Hit(a, a + len(words[0]), index.keys[best[1]], fuzzy=best[0])
            elif best is not None and hit is None:
                hit = Hit(a, a + len(words[0]), index.keys[best[1]], fuzzy=best[0])
        if hit is not None and all(hit.end <= f.start or hit.start >= f.end for f in found + hits):
            found.append(hit)
    return sorted(hits + found, key=lambda h: h.start)


def extend_heads(index: NameIndex, fuzzy: FuzzyIndex, ctx: TextContext, hits: list[Hit]) -> list[Hit]:
    """Replace a found name by a more specific one that its leftover modifier points to."""
    covered = _covered(ctx, hits)
    gaps = {b: a for a, b, _ in ctx.gaps(covered)}
    out: list[Hit] = []
    for h in hits:
        a = gaps.get(h.start)  # compact positions: "초록색페트병" and "초록색 페트병" alike
        if h.is_item and not h.fuzzy and a is not None and h.start - a >= 1:
            modifier = ctx.comp[a:h.start]
            if modifier not in STOPWORDS and not modifier.isdigit():
                head = ctx.comp[h.end - 1]
                best = fuzzy.best({modifier + ctx.comp[h.start:h.end]}, strict=False, head=head)
                entries = index.keys[best[1]] if best else ()
                if best and {e.item_id for e in entries} != {e.item_id for e in h.entries}:
                    h = Hit(a, h.end, entries, fuzzy=best[0])
        out.append(h)
    return out
