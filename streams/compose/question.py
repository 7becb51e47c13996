"""What kind of answer a question wants: yes or no (and about what), or where and how.

"종이로 버려도 되나요?" asks yes/no about a bin (종이); "재활용 돼요?" about recycling; "라벨 떼야 해요?" about
a step; "어떻게 버려요?" and a bare name ask where and how. The verdict sentence answers exactly that
(:mod:`streams.compose.verdict`). Read from the question text alone, so the offline writer and the check
of a model's answer agree on what was asked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from streams.rules.text import compact, normalize
from streams.rules.vocab import CATEGORY_WORDS

__all__ = ["ACTIONS", "PLACE_WORDS", "Asked", "read_question", "same_bin"]

# Endings of a yes/no question: "되나요", "돼요?", "맞죠", "인가요", "해야 하나요", "가능?" …
_YES_NO = re.compile(
    r"(?:돼|되|됨|될까|되나|되는지|되죠|되냐|가능|맞|아니|아닌|인가|인지|일까|이에요\s*[?？]|예요\s*[?？]|이야\s*[?？]"
    r"|야\s*[?？]|나요|까요|죠|하나|해야|할까|해도|넣어도|버려도|내도|줘야|봐야|어도\s*[?？]|아도\s*[?？]"
    r"|(?<![은는])요\s*[?？])"  # "약국에 가져가요?" — but "라면봉지는요?" asks what about it
    r"[가-힣]{0,4}\s*[?？.!~]*\s*$")
_HOW = re.compile(r"어떻게|어케|어떡|어디|어느|뭘로|무엇으로|뭐로|방법|요령|버리는\s*법|처리|언제|몇\s*시|무슨\s*요일")
_RECYCLE = re.compile(r"재활용|분리수거|분리\s*배출")
# Actions a yes/no question may be about, and the words of a step that does (or forbids) them.
ACTIONS: dict[str, tuple[re.Pattern[str], re.Pattern[str]]] = {
    "rinse": (re.compile(r"씻|헹구|헹궈|세척|닦"), re.compile(r"씻|헹|세척|닦")),
    "label": (re.compile(r"라벨|상표|비닐\s*띠"), re.compile(r"라벨|상표")),
    "lid": (re.compile(r"뚜껑|마개|캡"), re.compile(r"뚜껑|마개|캡")),
    "puncture": (re.compile(r"구멍|뚫"), re.compile(r"구멍|뚫")),
    "flatten": (re.compile(r"펴|펼|접|납작|찌그러|눌러"), re.compile(r"펴|펼|접|납작|찌그러|눌러")),
    "tape": (re.compile(r"테이프|송장|스티커"), re.compile(r"테이프|송장|스티커")),
    "battery": (re.compile(r"건전지|배터리|전지"), re.compile(r"건전지|배터리|전지")),
    "deposit": (re.compile(r"반납|반환|보증금|환불|돌려"), re.compile(r"반납|반환|보증금|돌려받|회수기")),
    "data": (re.compile(r"초기화|개인\s*정보|데이터"), re.compile(r"초기화|개인정보")),
    "bag": (re.compile(r"봉투에\s*(?:담|넣)|묶어"), re.compile(r"봉투|묶")),
}
_BIN_PARTICLE = (r"\s*(?:류|쓰레기|통|함|수거함|봉투|마대)?\s*"
                 r"(?:으로|로|에|에다가?|인가|인지|이에요|예요|이야|야|맞|아니)")
_GENERAL_WORDS = ("일반쓰레기", "일반 쓰레기", "종량제", "쓰레기봉투", "그냥 쓰레기", "그냥 버려", "그냥 쓰레기통")
# Bins people name by what stands there rather than by a category word.
_PLACES: dict[str, str] = {"캔": "금속류", "고철": "금속류", "헌옷": "의류및원단", "옷수거함": "의류및원단",
                           "약국": "생활계유해폐기물", "폐의약품": "생활계유해폐기물", "건전지함": "전지",
                           "형광등": "조명제품", "음쓰": "음식물류폐기물", "스티로폼": "발포합성수지"}
# "안 떼고", "씻지 않고", "꽂힌 채로", "그대로": the question is whether NOT doing it is fine.
_NOT_DONE = re.compile(r"안\s*\S{0,2}(?:떼|뗀|빼|뺀|씻|헹|접|펴|펼|뚫|벗|분리|뜯)"
                       r"|(?:떼|빼|씻|헹구|접|펴|뚫|벗기|분리하)지\s*않|채로|째로|그대로|없이")
# The part kept on: "빨대 꽂힌 채로", "테이프 안 떼고", "송장 붙은 그대로".
_KEPT = re.compile(r"([가-힣]{1,6}?)(?:을|를|이|가|은|는|도)?\s*(?:안\s*(?:떼|빼|벗기|분리|뜯)"
                   r"|(?:꽂힌|붙은|달린|든|넣은|낀|감긴|씌운|꽂아|붙여|달아)\s*(?:채|그대로))")
# A place named that is not a category: "편의점에 반납해도", "우체통에 넣어도" — a bare 네 would be a guess.
_OTHER_PLACE = re.compile(r"[가-힣]+(?:에|에다가?|에서)\s+(?:[가-힣]+\s+){0,2}?(?:넣|버려|버리|내|가져|반납|보내)")
#: Proposed "bins" that are places: "약국 수거함에 가져가요?" is answered "약국 수거함에 내는 게 아니에요".
PLACE_WORDS = frozenset({"캔", "고철", "헌옷", "옷수거함", "약국", "건전지함"})


@dataclass(frozen=True)
class Asked:
    """What the question asks. ``kind`` is "yesno" or "how"; for yes/no, what it is about."""

    kind: str
    bin: str | None = None  # the category the user proposes ("종이로 버려도 되나요?" → 종이)
    recycle: bool = False  # "재활용 돼요?"
    action: str | None = None  # a key of ACTIONS ("라벨 떼야 해요?" → "label")
    as_is: bool = False  # "그냥 버려도 돼요?": without any preparation, in the general bag
    bin_word: str | None = None  # the user's own word for the proposed bin ("폐의약품")
    not_done: bool = False  # asks whether leaving it undone is fine ("테이프 안 떼고 내놔도 돼요?")
    kept: str | None = None  # the part the user wants to leave on ("빨대 꽂힌 채로" → "빨대")
    plain: bool = True  # nothing else in the question that a bare 네 might misread (an unknown place)


def _proposed_bin(text: str) -> tuple[str, str] | None:
    """The category named as where it might go ("종이로", "플라스틱인가요", "음쓰 맞죠"), and the word used."""
    flat = compact(text)  # "투명 페트병으로" and "투명페트병으로" alike
    found: list[tuple[int, str, str]] = []
    words_of = {code: {compact(w) for w in words} for code, words in CATEGORY_WORDS.items()}
    for word, code in _PLACES.items():
        words_of.setdefault(code, set()).add(word)
    for code, words in words_of.items():
        for word in sorted(words, key=len, reverse=True):
            for m in re.finditer(re.escape(word) + _BIN_PARTICLE, flat):
                found.append((m.start() + len(word), code, word))  # by where the word ends: "폐의약품" over "의약품"
    general = [(flat.find(compact(w)), w) for w in _GENERAL_WORDS if compact(w) in flat]
    if general:
        at, word = min(general)
        found.append((at, "일반종량제폐기물", word))
    if not found:
        return None
    _, code, word = max(found, key=lambda f: (f[0], len(f[2])))  # the last one named is the one asked about
    return code, word


def read_question(question: str) -> Asked:
    """Classify ``question`` (see the module docstring)."""
    text = normalize(question)
    tail = text[-24:]
    if not _YES_NO.search(tail) or (_HOW.search(text) and not re.search(r"(?:돼|되|가능|맞)", tail)):
        return Asked("how")
    not_done = bool(_NOT_DONE.search(text))
    kept = _KEPT.search(text)
    plain = not _OTHER_PLACE.search(text) and not not_done
    proposed = _proposed_bin(text)
    if proposed:
        return Asked("yesno", bin=proposed[0], bin_word=proposed[1], not_done=not_done, plain=plain)
    if kept:
        return Asked("yesno", kept=kept.group(1), not_done=True, plain=False)
    for name, (asks, _) in ACTIONS.items():
        if asks.search(text):
            return Asked("yesno", action=name, not_done=not_done, plain=plain)
    if _RECYCLE.search(text):
        return Asked("yesno", recycle=True, plain=plain)
    if re.search(r"그냥|바로|막", text):
        return Asked("yesno", as_is=True, plain=plain)
    return Asked("yesno", not_done=not_done, plain=plain)


def same_bin(asked: str, code: str) -> bool:
    """A proposed bin matches the rules' category ("플라스틱" for a clear PET bottle does not)."""
    return compact(asked) == compact(code)
