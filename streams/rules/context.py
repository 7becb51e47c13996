"""Position bookkeeping for one question: normalised text, its compact form and the tokenizer's view.

The resolver matches on the compact text (no spaces or punctuation) but judges matches by what
surrounds them in the normalised text: particles after a name, morpheme edges, condition-word spans.
:class:`TextContext` keeps the maps between the two and answers those questions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from streams.rules.index import Entry
from streams.rules.states import StateSpan
from streams.rules.text import compact
from streams.rules.vocab import CATEGORY_WORDS, CONJUNCTIONS, MATERIAL_WORDS, PART_HEADS

__all__ = ["Hit", "TextContext"]

# "에" is a destination only before a disposal verb ("종량제봉투에 버려도"), not a place ("스티로폼에 붙은").
_DISPOSE = (r"(?:버리|버려|버릴|버린|넣|내놓|내놔|내도|배출|분리|가나|가요|가야|가는|들어가|담아|보내|처리"
            r"|되나|돼)")
_DEST = (rf"(?:(?:에다가?|에)(?=[^.?!]{{0,12}}?{_DISPOSE})"
         r"|(?:으로|로)(?!\s*(?:된|만든|만들|되어|돼|제작|이루어)))")
_ASK = r"\s*(?:인가|인지|이죠|죠|일까|이냐|냐|인거|인건|맞|아니|아닌|아님|되나|돼|가능|이라던데|라던데)"
# After a category word: where the user thinks it goes or what they ask ("플라스틱에", "비닐인가요").
# "투명페트병 수거함에 넣어요?": the bin may be written as a word of its own.
_BIN = r"(?:류|쓰레기|통|함|수거함|봉투|봉지|마대|\s+(?:수거함|수거통|분리수거함|전용\s*수거함|쓰레기통))?"
_GUESS_CATEGORY = re.compile(rf"^{_BIN}(?:{_DEST}|{_ASK})")
# "복숭아씨 음쓰?": a category word closing the question is the user's guess at the answer.
_GUESS_CLOSING = re.compile(r"^\s*[?？]")
# After an item name, also a plain statement ("음식물쓰레기예요?") offers it as the answer, not the item.
_GUESS_ITEM = re.compile(
    rf"^{_BIN}(?:{_DEST}|(?:이|가)?{_ASK}|이에요|예요|에요|이야|야|이요|이냐)")
# The name is part of, content of, or a companion to the thing asked about ("펌프 달린", "고기 담았던",
# "우유팩이랑 같이").
_DEPENDENT = re.compile(
    # "김치 국물 묻은 비닐": the food (and its broth) is the stain on the thing, not the thing.
    r"^\s*[가-힣]{1,4}\s*(?:이|가)?\s*(?:묻은|묻어|밴|배인|자국)"
    r"|^(?:이|가|을|를|은|는|도|에|에서|\s*(?:안|속|안쪽)에)?\s*(?:달린|달려|달렸|붙은|붙어|붙었|붙여|붙이|들어\s*있|들어간|들어갔|든|담긴|담겨|담았|담겼"
    r"|들었던|넣어|넣고|넣은|넣었|꽂힌|꽂혀|씌운|씌워|감싼|싸인|묻은|묻어)"
    r"|^(?:이랑|랑|하고|와|과)\s*(?:같이|함께|섞|한꺼번에|한번에|묶어|같은|똑같)")
# The part the user says is already off is not what they are throwing away: "빨대 뺐는데 팩은?",
# "뽁뽁이랑 테이프 다 뺐어요, 상자는요?" (a listed noun may stand between the name and the verb).
_REMOVAL = (r"(?:(?:다|모두|전부|싹|이미|벌써|먼저)\s*)?(?:뺐|뗐|떼었|떼어\s*냈|빼\s*냈|제거했|제거하고|제거한|분리했"
            r"|분리하고|분리한|벗겼|벗기고|뜯었|뜯고|떼고|빼고|뺀|뗀|떼어\s*낸|빼\s*낸|벗긴|뜯어\s*낸|뜯어\s*냈"
            r"|버렸|버리고|따로\s*버|먹었|마셨|다\s*먹|다\s*마신|다\s*쓴|다\s*썼|다\s*쓰고|꺼냈|꺼내고|꺼낸"
            r"|꺼내\s*놓|뗏|뗌|떼야|뜯어야|빼야|제거해야|벗겨야|분리해야)")
_PARTICLE = r"(?:이|가|을|를|은|는|도|만|까지|랑|이랑)?"
_REMOVED = re.compile(
    rf"^{_PARTICLE}\s*{_REMOVAL}"
    rf"|^(?:이랑|랑|하고|와|과|,)\s*[가-힣a-z]{{1,8}}\s*{_PARTICLE}\s*{_REMOVAL}")
# What the thing held, came in or came with: "참기름 다 먹은 유리병", "세탁기 포장재로 온 스티로폼".
_ORIGIN = re.compile(
    r"^\s*(?:포장재|포장|포장용|박스|상자|택배)?\s*(?:로|으로|에|에서|랑|이랑|하고)?\s*"
    r"(?:온|딸려\s*온|같이\s*온|들어\s*온|싸여\s*온|배송\s*온|사면서|살\s*때|나온(?!\s*(?:쓰레기|폐기물|거|것|잔해))"
    r"|남은\s*\S+$)"
    # The tool a thing was cut or crushed with: "파쇄기로 자른 종이".
    r"|^\s*(?:으로|로)\s*(?:자른|잘라|썬|썰어|갈아|간|부순|부숴|찢은|찢어|파쇄한|파쇄된)")
_EXCLUDED = re.compile(r"^(?:은|는|이|가)?\s*(?:말고|아니고|대신|빼고)")  # "생수병 말고 유리병은?"
_MODIFIER = re.compile(r"^(?:용|\s*전용)(?:\s|[가-힣])")  # "전자레인지용 용기": a use, not the item
_CONNECTIVE = frozenset({"고", "어서", "아서", "서", "어", "아", "며", "면서"})
# "유리병 씻어서 버리는": preparing the thing itself, not removing something from it ("흙 털고").
_SELF_VERBS = frozenset({"씻", "헹구", "닦", "비우", "말리", "접", "펴", "누르", "찌그러뜨리", "묶", "구기"})
_LIST_PUNCT = frozenset(",/&+·、")
_BOTH = re.compile(r"^\s*(?:을|를|은|는|이|가)?\s*(?:둘\s*다|세\s*개\s*다|셋\s*다|모두|각각|전부\s*다|다\s*같이)")
_CATEGORY_KEYS = frozenset(compact(w) for words in CATEGORY_WORDS.values() for w in words)
_NOUNISH = ("NN", "SL", "SN", "SH", "XSN", "XPN", "XR")
_HAS_PARTS = frozenset({"전기전자제품", "대형폐기물", "조명제품", "전지", "의류및원단", "일반종량제폐기물"})
_MATERIAL_LINK = frozenset({"", "로된", "으로된", "재질", "재질의", "의", "로만든", "으로만든"})


@dataclass(eq=False)
class Hit:
    """A key found in the compact text: ``[start, end)`` and what it names."""

    start: int
    end: int
    entries: tuple[Entry, ...]
    fuzzy: float = 0.0  # jamo ratio for a fuzzy hit; 0 for an exact one
    partial: bool = False  # the word is only part of the names in ``entries``

    @property
    def is_item(self) -> bool:
        return self.entries[0].item_id is not None


class TextContext:
    """One question in three coordinates: normalised text, compact text, tokens."""

    def __init__(self, norm: str, comp: str, cmap: list[int], state_spans: list[StateSpan],
                 tokens: list[Any]) -> None:
        self.norm, self.comp, self.cmap = norm, comp, cmap
        kept = frozenset(cmap)
        self.o2c = [0] * (len(norm) + 1)  # normalised index -> compact index
        for i in range(len(norm)):
            self.o2c[i + 1] = self.o2c[i] + (i in kept)
        self.state_spans = state_spans
        self.state_compact = [(self.o2c[a], self.o2c[b], soft) for a, b, soft in state_spans]
        self.tokens = tokens
        self.starts = {self.o2c[t.start] for t in tokens}
        self.ends = {self.o2c[min(t.start + t.len, len(norm))] for t in tokens} | {len(comp)}
        # A bound noun ("남은 게": 것) names nothing; a word after an adnominal ending is a noun whatever the
        # tagger says ("다 뺀 못": the nail, not the adverb "cannot").
        self.noun_starts = {self.o2c[t.start] for t in tokens
                            if t.tag.startswith(("NN", "SL")) and not (t.tag == "NNB" and t.form == "것")}
        self.noun_starts |= {self.o2c[b.start] for a, b in zip(tokens, tokens[1:], strict=False)
                             if a.tag == "ETM" and b.start > a.start + a.len - 1 and b.form != "것"}
        self.word_starts = {self.o2c[i] for i, ch in enumerate(norm)
                            if ch.isalnum() and (i == 0 or not norm[i - 1].isalnum())}

    # ------------------------------------------------------------- positions

    def state_at(self, a: int, b: int) -> str | None:
        """"hard"/"soft" when ``[a, b)`` is inside condition words; "straddle" when it crosses an edge."""
        for s, e, soft in self.state_compact:
            if a >= s and b <= e:
                return "soft" if soft else "hard"
            if a < e and b > s and not (a <= s and b >= e):
                return "straddle"
        return None

    def aligned(self, a: int, b: int) -> bool:
        """Short keys must sit on morpheme edges; a one-letter key must be a word of its own."""
        if b - a == 1:
            # "못 어떻게 버려요?": a one-letter name opening the question is the thing, whatever the tagger
            # says (it reads a bare 못 as the adverb "cannot").
            opening = a == 0 and (b == len(self.comp) or not self.norm[self.cmap[b - 1] + 1:][:1].isalnum())
            return a in self.word_starts and (a in self.noun_starts or opening) and b in self.ends
        return a in self.starts and b in self.ends

    def span_text(self, hit: Hit) -> str:
        return self.norm[self.cmap[hit.start]:self.cmap[hit.end - 1] + 1]

    def after(self, hit: Hit) -> str:
        return self.norm[self.cmap[hit.end - 1] + 1:]

    def comp_outside(self, hit: Hit) -> str:
        return self.comp[:hit.start] + "|" + self.comp[hit.end:]

    # ------------------------------------------------------------- judgements

    def is_guess(self, hit: Hit) -> bool:
        """The name is where the user thinks it goes, or what they ask it is ("…음식물쓰레기예요?")."""
        pattern = _GUESS_ITEM if hit.is_item else _GUESS_CATEGORY
        after = self.after(hit)
        if pattern.match(after):
            return True
        # Only a category word closing the question: "복숭아씨 음쓰?" asks about the 복숭아씨.
        closing = bool(_GUESS_CLOSING.match(after)) and hit.start > 0
        return closing and self.comp[hit.start:hit.end] in _CATEGORY_KEYS

    def is_offered(self, hit: Hit) -> bool:
        """The name is offered as the answer ("…비닐이에요?"), whatever kind of name it is."""
        return bool(_GUESS_ITEM.match(self.after(hit)))

    def is_modifier(self, hit: Hit) -> bool:
        """What the thing is for ("전자레인지용"), or what the user rules out ("생수병 말고")."""
        after = self.after(hit)
        return bool(_MODIFIER.match(after) or _EXCLUDED.match(after))

    def is_dependent(self, hit: Hit) -> bool:
        """The name is a part, content or companion of the thing asked about, or a side clause's object."""
        after = self.after(hit)
        if _DEPENDENT.match(after) or _REMOVED.match(after) or _ORIGIN.match(after):
            return True
        end = self.cmap[hit.end - 1] + 1
        rest = [t for t in self.tokens if t.start >= end and not t.tag.startswith("J")]
        # "흙 털고 어디에": the name is what a preceding action is done to.
        return (len(rest) >= 2 and rest[0].start - end <= 2 and rest[0].tag.startswith(("VV", "VX"))
                and rest[0].form not in _SELF_VERBS and rest[1].tag == "EC" and rest[1].form in _CONNECTIVE)

    def joined(self, prev: Hit, nxt: Hit) -> bool:
        """Two names are separate items when only a list connective stands between them."""
        a, b = self.cmap[prev.end - 1] + 1, self.cmap[nxt.start]
        between = "".join(ch for i, ch in enumerate(self.norm[a:b], start=a)
                          if not any(s <= i < e for s, e, _ in self.state_spans)).strip()
        if not between:
            # "스티로폼 뽁뽁이 둘 다": a count after the names lists them, even with nothing between.
            return bool(_BOTH.match(self.after(nxt)))
        if any(ch in _LIST_PUNCT for ch in between):
            return True
        return compact(between) in CONJUNCTIONS

    def same_phrase(self, prev: Hit, nxt: Hit) -> bool:
        """Only nouns (or nothing) stand between two names: one noun phrase ("TV 포장 스티로폼")."""
        if _BOTH.match(self.after(nxt)):
            return False
        a, b = self.cmap[prev.end - 1] + 1, self.cmap[nxt.start]
        if a >= b:
            return True
        if any(ch in _LIST_PUNCT for ch in self.norm[a:b]):
            return False
        if any(s < b and e > a for s, e, _ in self.state_spans):
            return False
        return all(t.tag.startswith(_NOUNISH) for t in self.tokens if t.start < b and t.start + t.len > a)

    def ends_noun(self, hit: Hit) -> bool:
        """No noun is glued to the end of the name ("비닐창": the 비닐 is what the 창 is made of)."""
        end = self.cmap[hit.end - 1] + 1
        return not any(t.start == end and t.tag.startswith(_NOUNISH) for t in self.tokens)

    def unknown_head(self, hit: Hit, hits: list[Hit]) -> str | None:
        """The part or accessory right after the name that is the real thing ("노트북 파우치" → "파우치").

        Only a noun of :data:`~streams.rules.vocab.PART_HEADS`, glued to the name or one space after it, that
        no exact name covers ("생수병 라벨" is a name: the label). "구멍", "유통기한" after a name are not things.
        """
        end = self.cmap[hit.end - 1] + 1
        nxt = next((t for t in self.tokens if t.start >= end), None)
        if nxt is None or nxt.start - end > 1 or not nxt.tag.startswith(("NNG", "NNP")) or len(nxt.form) < 2:
            return None
        if self.norm[end:nxt.start].strip():
            return None
        a, b = self.o2c[nxt.start], self.o2c[nxt.start + nxt.len]
        # A vague guess at the head ("파우치" is part of 리필 파우치, 한약 파우치 …) does not make it known.
        if any(h is not hit and h.start < b and h.end > a and not (h.partial or h.fuzzy) for h in hits):
            return None
        if any(s < b and e > a for s, e, _ in self.state_compact):
            return None
        # Only devices and furniture have parts sold or thrown away on their own; "세탁소 비닐 커버" is the bag.
        if not any(e.category in _HAS_PARTS for e in hit.entries):
            return None
        return nxt.form if compact(nxt.form) in PART_HEADS else None

    def material_before(self, hit: Hit, cat_hits: list[Hit]) -> str | None:
        """The category of a material word right before the name ("유리 반찬통" → 유리병), if any."""
        if _BOTH.match(self.after(hit)):
            return None  # "스티로폼 뽁뽁이 둘 다": two things listed, not a material and its item
        for h in cat_hits:
            if h.end <= hit.start and self.comp[h.end:hit.start] in _MATERIAL_LINK:
                if self.comp[h.start:h.end] in MATERIAL_WORDS:
                    return h.entries[0].category
        return None

    # ------------------------------------------------------------- leftovers

    def gaps(self, covered: list[bool]) -> list[tuple[int, int, bool]]:
        """Uncovered runs inside words: (compact start, end, run ends its word)."""
        out: list[tuple[int, int, bool]] = []
        for m in re.finditer(r"\S+", self.norm):
            a, b = self.o2c[m.start()], self.o2c[m.end()]
            k = a
            while k < b:
                if covered[k]:
                    k += 1
                    continue
                j = k
                while j < b and not covered[j]:
                    j += 1
                out.append((k, j, j == b))
                k = j
        return out

    def noun_runs(self, a: int, b: int) -> set[str]:
        """Runs of one to three noun-like tokens lying inside the compact span ``[a, b)``."""
        runs: list[list[str]] = [[]]
        for t in self.tokens:
            ts, te = self.o2c[t.start], self.o2c[min(t.start + t.len, len(self.norm))]
            if a <= ts and te <= b and t.tag.startswith(("NN", "SL", "SN", "SH", "XR", "XSN", "XPN", "UN")):
                runs[-1].append(compact(t.form))
            elif runs[-1]:
                runs.append([])
        out: set[str] = set()
        for run in runs:
            for i in range(len(run)):
                for j in range(i + 1, min(len(run), i + 3) + 1):
                    out.add("".join(run[i:j]))
        return out

    def trimmed_end(self, a: int, b: int) -> int:
        """End of ``[a, b)`` without its trailing particles, endings and predicates (by the tokenizer)."""
        end = a
        for t in self.tokens:
            ts, te = self.o2c[t.start], self.o2c[min(t.start + t.len, len(self.norm))]
            if a <= ts < b and not t.tag.startswith(("J", "E", "VC", "VV", "VX", "VA", "SF", "SP", "MAG")):
                end = max(end, min(te, b))
        return end

    def has_noun(self, a: int, b: int) -> bool:
        # NNB ("거", "것") is a noun only in grammar: "남은거" names nothing.
        return any(a <= self.o2c[t.start] < b and t.tag.startswith(("NNG", "NNP", "SL", "XR", "UN"))
                   for t in self.tokens)
