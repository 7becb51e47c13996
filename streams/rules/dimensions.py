"""Words that settle which official case applies: material, size, amount, colour, coating.

"금속 행거" → ``material="metal"``; "봉투에 안 들어가는 이불" → ``size="oversized"``; "인테리어 공사하고
나온 타일 한 트럭" → ``quantity="bulk"``; "초록색 페트병" → ``colour="coloured"``; "코팅된 종이" →
``coated=True``. These are the keys of case conditions (docs/rules-format.md, "It depends" items); a
document without such a condition is not affected by them.

Kept apart from :mod:`streams.rules.states` (lid, label, residue …) because these words describe what a
thing *is* rather than what was done to it, and a material word is also a category word: the resolver
reads "유리 반찬통" as a contradiction unless the item has a case for that material.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["MATERIAL_OF_CATEGORY", "read_dimensions"]

_HANGUL = r"(?<![가-힣])"

#: Material words → ``ItemState.material``. Longest alternatives first inside each pattern.
_MATERIALS: tuple[tuple[str, str], ...] = (
    ("metal", r"스테인리스|스테인레스|알루미늄|양은|금속|철제|무쇠|스텐|쇠|철(?![거수])|구리|황동|놋"),
    ("plastic", r"플라스틱|플라|합성수지|pvc|아크릴|pp|pe(?!t)|ps"),
    ("vinyl", r"비닐"),
    ("styrofoam", r"스티로폼|스티로폴|스치로폼"),
    ("glass", r"유리(?!병)"),
    ("wood", r"원목|나무|목재|합판|mdf|대나무"),
    ("fabric", r"패브릭|천(?!장)|면직|섬유|솜"),
    ("leather", r"인조가죽|가죽"),
    ("rubber", r"고무|실리콘"),
    ("ceramic", r"도자기|사기|세라믹|옹기"),
    ("stone", r"대리석|돌(?!아)|석재"),
    ("paper", r"종이|골판지|판지"),
)
_MATERIAL_RES = tuple((value, re.compile(_HANGUL + f"(?:{alts})")) for value, alts in _MATERIALS)

_OVERSIZED = re.compile(
    r"봉투에?\s*(?:안|못)\s*들어|봉투에\s*들어가지\s*않|봉투보다\s*큰|봉투에\s*안\s*맞|안\s*들어가|"
    r"대형|커다란|엄청\s*큰|아주\s*큰|큰\s*사이즈|퀸\s*사이즈|킹\s*사이즈|슈퍼\s*싱글|퀸|킹|"
    r"\d+(?:\.\d+)?\s*(?:m|미터)(?![a-z])|[1-9]\d{2,}\s*(?:cm|센티)")
_FITS = re.compile(r"봉투에\s*(?:쏙\s*|다\s*)?들어가(?:요|는|네|고|면)|작은|조그만|미니|소형|손바닥|자투리")
_BULK = re.compile(
    r"리모델링|인테리어|공사|철거|집수리|시공|한\s*트럭|트럭|대량|다량|잔뜩|수십|수백|마대\s*(?:몇|여러|\d)|"
    r"여러\s*(?:자루|포대|마대|박스)|이사하면서|이삿짐|도배|장판\s*(?:교체|뜯)|엄청\s*많|산더미|양이\s*(?:꽤|많|엄청|상당)|꽤\s*많")
# Not 조금: "조금 남았어요" is how much is left, not how much there is.
_HOUSEHOLD = re.compile(r"한\s*두\s*(?:개|장)|한\s*개|한\s*장|몇\s*(?:개|장)|소량|조금(?:인데|이에요|이요|뿐|밖에|만)")
_COLOURED = re.compile(
    r"(?:초록|녹색|연두|갈색|밤색|파란|파랑|하늘색|남색|빨간|빨강|노란|노랑|검은|검정|회색|은색|금색|분홍|핑크|보라|"
    r"주황|민트|베이지|카키|유색|색깔\s*있|색\s*있|컬러|칼라|색깔|투명하지\s*않|안\s*투명|"
    r"색이\s*있|불투명)")
_CLEAR = re.compile(r"투명|무색")
_COATED = re.compile(r"코팅|라미네이팅|비닐\s*입힌|은박\s*입힌")
_NOT_COATED = re.compile(r"코팅\s*(?:안|없|되지\s*않)|비코팅|무코팅")

#: The category a material word would name on its own, for the resolver's contradiction check.
MATERIAL_OF_CATEGORY: dict[str, str] = {
    "종이": "paper", "플라스틱류": "plastic", "무색페트병": "plastic", "비닐류": "vinyl",
    "발포합성수지": "styrofoam", "유리병": "glass", "금속류": "metal",
}


# Key → (pattern, value) tried in order: the more telling reading first ("안 들어가" before "들어가",
# "코팅 안 된" before "코팅").
_TWO_WAY: tuple[tuple[str, tuple[tuple[re.Pattern[str], Any], ...]], ...] = (
    ("size", ((_OVERSIZED, "oversized"), (_FITS, "fits_bag"))),
    # "도배하다 뜯은 벽지 조금": renovation is the story, the amount said is what counts
    ("quantity", ((_HOUSEHOLD, "household"), (_BULK, "bulk"))),
    ("colour", ((_COLOURED, "coloured"), (_CLEAR, "clear"))),
    ("coated", ((_NOT_COATED, False), (_COATED, True))),
)


def read_dimensions(text: str) -> dict[str, Any]:
    """The case dimensions named in a normalised question; only the keys the text settles.

    Example::

        read_dimensions("봉투에 안 들어가는 원목 행거")   # {"material": "wood", "size": "oversized"}
    """
    found: dict[str, Any] = {}
    materials = {value for value, rx in _MATERIAL_RES if rx.search(text)}
    if len(materials) == 1:  # "나무랑 쇠가 섞인": several materials settle nothing
        found["material"] = materials.pop()
    elif len(materials) > 1:
        found["material"] = "mixed"
    for key, readings in _TWO_WAY:
        value = next((v for rx, v in readings if rx.search(text)), None)  # the first reading wins
        if value is not None:
            found[key] = value
    return found
