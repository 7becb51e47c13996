"""Reading where the user lives from the question ("강남구 사는데…") and what kind of housing it is.

Only a word that names a district *with* its 시/군/구 suffix ("강남구", "수원시", "인천 남구") starts a place,
with the 시·도 or city words right before it ("서울 강남구", "경기 수원시 영통구"); a bare stem ("강남") or a
시·도 alone ("서울 사는데") is not enough in free text, so item words never turn into places. 세종 is the
exception: the 시·도 is its only district. Particles and "사는데"-style endings glued to the word are
dropped first ("강남구에", "영통구인데", "강남구사는데").

Example::

    read_region("서울 강남구 사는데 페트병 언제 버려요?").settled.code   # "11680"
    read_housing("단독주택인데 투명 페트병 언제 내요?")                  # "detached"
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

from streams.contracts import RegionRef
from streams.errors import InvalidInput
from streams.regions.table import DistrictTable, Located, district_table

__all__ = ["MAX_REGION_CHARS", "Housing", "read_housing", "read_region", "read_region_field"]

MAX_REGION_CHARS = 60
_FIELD_HELP = "give a 시·군·구 code (e.g. 11680) or a name such as '강남구', '서울 강남구' or '수원시 영통구'"

Housing = Literal["detached", "apartment"]

# Longest first: "에서는" before "에서" before "에".
_ENDINGS = sorted({
    "에서는", "에서도", "에서", "에는", "에도", "에", "은", "는", "이", "가", "의", "도", "이고", "이며", "이라",
    "이라서", "인데", "인데요", "이에요", "예요", "이요", "요", "쪽", "쪽인데", "쪽이에요", "사는데", "살아요", "살고",
    "살아서", "거주", "거주자", "주민", "주민인데", "주민이에요", "기준", "기준으로",
}, key=len, reverse=True)
_WORD = re.compile(r"[가-힣A-Za-z0-9]+")
_SEJONG = frozenset({"세종", "세종시", "세종특별자치시"})
_DETACHED = re.compile(r"단독\s*주택|단독|다가구|다세대|빌라|원룸|주택가|상가\s*주택")
_APARTMENT = re.compile(r"아파트|공동\s*주택|오피스텔")


def _stripped(word: str, table: DistrictTable) -> str:
    if table.is_district_word(word) or table.is_sido_word(word):
        return word
    for ending in _ENDINGS:
        if word.endswith(ending) and len(word) > len(ending) + 1:
            head = word[: -len(ending)]
            if table.is_district_word(head) or table.is_sido_word(head):
                return head
    return word


def read_region(question: str, table: DistrictTable | None = None) -> Located | None:
    """The district the question says the user lives in, or None when it names none (see module docstring).

    The first place named wins ("강남구에서 송파구로 이사" is read as 강남구); a place that is ambiguous
    ("중구 사는데") comes back with every candidate, so the answer can ask which.
    """
    table = table or district_table()
    words = [_stripped(w, table) for w in _WORD.findall(unicodedata.normalize("NFC", question))]
    i = 0
    while i < len(words):
        j = i
        while j < len(words) and _is_place(words[j], table):
            j += 1
        run = words[i:j]
        if any(table.is_district_word(w) for w in run):
            found = table.resolve(" ".join(run))
            if found.districts:
                return found
        elif any(w in _SEJONG for w in run):
            return table.resolve("세종")
        i = max(j, i + 1)
    return None


def _is_place(word: str, table: DistrictTable) -> bool:
    return table.is_sido_word(word) or table.is_district_word(word) or _is_city_stem(word, table)


def _is_city_stem(word: str, table: DistrictTable) -> bool:
    """"수원" in "수원 영통구": a city named without its 시, right before the district."""
    return len(word) >= 2 and table.is_district_word(word + "시")


def read_region_field(value: object) -> tuple[RegionRef | None, list[RegionRef]]:
    """A request's ``region`` field: (the district, []) or (None, the districts to ask about); (None, []) when
    empty. Words finer than a 시·군·구 ("역삼동 123") are dropped, never kept.

    Raises:
        InvalidInput: not text, too long, or naming no 시·군·구. The message never repeats the value: it may
            be an address.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, []
    if isinstance(value, int) and not isinstance(value, bool):  # {"region": 11680}
        value = str(value)
    if not isinstance(value, str) or len(value) > MAX_REGION_CHARS:
        raise InvalidInput(f"region must be text of at most {MAX_REGION_CHARS} characters: {_FIELD_HELP}")
    found = district_table().resolve(value)
    if not found.districts:
        raise InvalidInput(f"region names no 시·군·구 we know: {_FIELD_HELP}")
    if found.settled is not None:
        return found.settled.ref(), []
    return None, [d.ref() for d in found.districts]


def read_housing(question: str) -> Housing | None:
    """"detached" (단독주택, 다가구, 빌라 …), "apartment" (아파트, 공동주택), or None when unsaid or both."""
    detached, apartment = bool(_DETACHED.search(question)), bool(_APARTMENT.search(question))
    if detached == apartment:
        return None
    return "detached" if detached else "apartment"
