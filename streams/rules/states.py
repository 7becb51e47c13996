"""Condition words in a question → :class:`~streams.contracts.ItemState`.

"뚜껑 닫힌 생수병" → ``lid="closed"``; "기름 묻은 피자 박스" → ``contaminated=True``; "깨끗이 씻은" →
``residue="absent", cleaned=True``. Rules are tried in order and a later rule never matches text an
earlier one already used, so each negated form ("안 깨진", "라벨 안 뗀") is listed before the plain form
it contains. The matched spans are returned too: item names inside them ("기름" in "기름 묻은") are
condition words, not items.

What a stain means depends on the material, which is known only once the item is resolved: oil on the
surface of a can, a glass or plastic bottle rinses off (residue: a rinse step, same bin), while oil on
paper soaks in for good (contaminated: 종량제봉투). So "기름 묻은" is read as contamination and marked
*washable*; :func:`settle` turns it back into residue for the materials that rinse clean.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from streams.contracts import ItemState

__all__ = ["RINSABLE", "StateReading", "StateSpan", "extract_state", "read_state", "settle"]


def _alt(phrases: str) -> str:
    """A regex alternation of "|"-separated phrases; a space means any spacing or none ("뚜껑닫힌")."""
    return "(?:" + "|".join(p.strip().replace(" ", r"\s*") for p in phrases.split("|")) + ")"


def _seq(*parts: str) -> str:
    return "|".join(parts)


_P = r"\s*(?:이|가|은|는|을|를|도|만|까지|에|이랑|랑)?\s*"  # particle after the noun
_WORD_START = r"(?<![가-힣])"

_LID = _alt("뚜껑|마개|캡")
_LABEL = _alt("라벨지|라벨|상표|띠지")
_TAPE = _alt("테이프|운송장|송장|이름표")
_STICKER = _alt("스티커")
_GAS = _WORD_START + _alt("부탄 가스|가스")
_BATTERY = _WORD_START + _alt("배터리|밧데리|밧테리|건전지|충전지|전지")
_STAIN = _alt("기름기|기름|식용유|오일|페인트|잉크|본드|진흙|흙|녹")
_OIL = _alt("기름기|기름|식용유|오일")  # rinses off a hard surface, soaks into paper
# "기름 잔뜩 밴": an adverb of degree may stand between the stain and its verb.
_DEGREE = r"(?:\s*(?:잔뜩|많이|엄청|너무|흠뻑|듬뿍|좀|조금|약간|살짝|꽤|다|완전|쫙|쭉|푹)\s*)?"
_FOOD = _WORD_START + _alt(
    "내용물|음식물|음식|음료수|음료|국물|양념|소스|찌꺼기|잔여물|잔여|액체|세제|샴푸|린스|식용유|기름|우유"
    "|커피|술|간장|마요네즈|케첩|케찹|잼|꿀|크림|화장품|로션|치약|가루|밥풀|밥알|건더기|김치|반찬|과자"
    "|부스러기|잔반|알약|잉크|페인트|물|약|액")
_KEEP = _alt("안 뗀|안 떼|안 뗐|못 뗀|못 떼|안 벗긴|안 벗겨|안 제거|제거 안|안 뺀|안 빼|못 뺀|못 빼|안 분리"
             "|분리 안|그대로|채로|째")
_ON = _alt("붙은|붙어|붙었|있는|있어|있고|있음|있으면|달린|달려|감긴|감겨|둘러진|포함")
_OFF = _alt("떼어낸|떼어 낸|떼낸|뗀|뗐|떼고|떼어|떼서|벗긴|벗겼|벗기고|벗겨낸|벗겨|제거한|제거했|제거하고"
            "|제거해|분리한|분리했|분리하고|분리해|뜯은|뜯어낸|뜯고|빼고|뺀|뺐|빼서|빼낸|떨어진|떨어져|떨어졌")
_NONE = _alt("없는|없어|없고|없음|없이")


@dataclass(frozen=True)
class _Rule:
    pattern: re.Pattern[str]
    updates: dict[str, Any]
    soft: bool = False  # "페인트 남은 거": the noun may still be the item when nothing else is named
    washable: bool = False  # contamination that rinses off metal, glass and plastic ("기름 묻은")


def _r(pattern: str, *, soft: bool = False, washable: bool = False, **updates: Any) -> _Rule:
    return _Rule(re.compile(pattern), updates, soft, washable)


_RULES: tuple[_Rule, ...] = (
    # lid
    _r(_LID + _P + _alt("안 닫|닫지 않|열린|열려|열어|열었|연|딴|땄|따서|따고"), lid="open"),
    _r(_LID + _P + _KEEP, lid="closed"),
    _r(_seq(_LID + _P + _alt("닫힌|닫혀|닫은|닫았|닫아|닫고|잠긴|잠겨|잠근|끼워진|끼워|덮인|덮여"),
            _LID + _P + _ON), lid="closed"),
    _r(_seq(_LID + _P + _OFF, _LID + _P + _alt("잃어버린|잃어버려"), _LID + _P + _NONE), lid="none"),
    # stickers count as labels (bottles) and as tape (boxes, styrofoam)
    _r(_seq(_STICKER + _P + _KEEP, _STICKER + _P + _ON), label="attached", tape="attached"),
    _r(_STICKER + _P + _OFF, label="removed", tape="removed"),
    # label
    _r(_seq(_LABEL + _P + _KEEP, _LABEL + _P + _ON), label="attached"),
    _r(_LABEL + _P + _OFF, label="removed"),
    _r(_LABEL + _P + _NONE, label="none"),
    # tape and shipping labels
    _r(_seq(_TAPE + _P + _KEEP, _TAPE + _P + _ON, _TAPE + _P + "덕지덕지"), tape="attached"),
    _r(_TAPE + _P + _OFF, tape="removed"),
    _r(_TAPE + _P + _NONE, tape="none"),
    # gas (before residue: "가스 남은" is about gas)
    _r(_GAS + _P + _alt("안 빠진|안 뺀|덜 뺀|덜 빠진|남은|남아|남았|들어 있|차 있|있는|있어|그대로"),
       gas_remaining=True, soft=True),
    _r(_seq(_GAS + _P + _alt("다 뺀|다 빼|다 쓴|다 썼|다 빠진|빠진|다 나온|날린|날려|배출한"),
            _GAS + _P + _OFF, _GAS + _P + _NONE), gas_remaining=False, soft=True),
    # battery
    _r(_seq(_BATTERY + _P + _alt("들어 있|들어간|든|내장|박힌|장착|끼워진|끼워져|일체형"),
            _BATTERY + _P + _KEEP, _BATTERY + _P + _ON), battery_inside=True),
    _r(_BATTERY + _P + _alt("다 된|다 됐|다 닳은|다 닳았|나간|나갔|방전된|방전됐|방전|수명 다한|죽은|약한|약해"),
       battery_inside=True, soft=True),
    _r(_seq(_BATTERY + _P + _OFF, _BATTERY + _P + _NONE), battery_inside=False),
    _r(_alt("내장 배터리|내장형 배터리|일체형 배터리|충전식"), battery_inside=True),
    # contamination (before residue: "기름 묻은" is contamination, "음식물 묻은" is residue)
    _r(_alt("오염 안 된|오염되지 않|오염 없는|안 더러운|더럽지 않|깨끗한|깨끗해|깨끗함"),
       contaminated=False, residue="absent"),
    # "기름 하나도 안 묻은": the stain named, then denied
    _r(_WORD_START + _alt("기름기|기름|식용유|오일|음식물|음식|국물|양념|소스|찌꺼기|내용물|커피|김치|얼룩") + _P
       + r"(?:\s*(?:하나도|전혀|조금도|별로|거의))?\s*" + _alt("안 묻은|안 묻었|안 묻어|묻지 않|안 밴|없는|없어"),
       contaminated=False, residue="absent"),
    _r(_OIL + _P + _DEGREE + _alt("묻은|묻어|묻었"), contaminated=True, washable=True),
    _r(_STAIN + _P + _DEGREE + _alt("묻은|묻어|묻었|범벅|투성이|절은|절어|찌든|밴|배인|배어|뱄|배었|스며"),
       contaminated=True),
    _r(_FOOD + _P + _alt("자국 있|자국이|자국 남|자국 난|얼룩 있|얼룩이|얼룩진"), contaminated=True),
    _r(_FOOD + _P + _alt("밴|배인|배어|배었|스며든|스며|물든|물들|절은|절어|쩐|찌든|얼룩|착색|눌어붙은"
                         "|눌러붙은|말라붙은|굳은|굳어"), contaminated=True),
    _r(_alt("오염된|오염되어|오염돼|오염됐|오염이 심|오염 심|더러운|더러워|더럽|지저분|찌든|찌들|곰팡이|곰팡"
            "|얼룩진|얼룩이|기름기|기름진|기름때|기름 범벅|안 지워|안 닦|안 씻겨|안 씻기|씻어도 안|씻어도 남"
            "|헹궈도 안|헹궈도 남|닦아도 안|닦아도 남|착색|빨갛게|색이 밴|냄새가 밴|벌레|안 빠지|빠지지 않"
            "|안 비워지|안 비워져|비워지지 않|비워지지가 않|안 긁어지|긁어도 안"), contaminated=True),
    # "코팅 안 된 종이": the words describe the paper, they do not name coated paper
    _r(_alt("코팅 안 된|코팅 안된|코팅 안 됐|코팅이 안 된|코팅되지 않|코팅 안 되어|코팅 없는|비코팅|무코팅"),
       coated=False),
    # cleaning and residue
    _r(_alt("안 씻은|안 씻고|안 씻었|안 씻어|씻지 않|씻진 않|안 헹군|안 헹구고|안 헹궜|안 헹궈|헹구지 않"
            "|덜 씻은|덜 씻었|덜 헹군|덜 헹궜|세척 안|세척하지 않|세척은 안"), cleaned=False),
    # Amounts: "하나도 안 남았어요" is empty; "반도 안 썼어요", "거의 새 거" are mostly full.
    _r(_alt("하나도 안 남|전혀 안 남|하나도 없|안 남았|안 남은|남은 거 없|남은 게 없|남은 건 없|다 비었|싹 비웠"),
       residue="absent", amount_left="none"),
    _r(_alt("반도 안 쓴|반도 안 썼|반도 안 먹|반도 안 마신|거의 안 쓴|거의 안 썼|거의 새|새 거|새거|새 제품"
            "|한 번도 안 쓴|한번도 안 쓴|한 번밖에 안 쓴|몇 번 안 쓴|많이 남|꽤 남|반 정도 남|절반 남|반쯤 남"
            "|반 이상 남|반 남|반통 남|반 통 남|가득 남|가득 찬|거의 그대로|뜯지도 않|미개봉"),
       residue="present", amount_left="much"),
    _r(_alt("조금 남|약간 남|살짝 남|좀 남|쪼금 남|찔끔 남|바닥에 남"), residue="present", amount_left="little"),
    _r(_seq(_alt("안 비운|안 비우고|비우지 않|덜 비운|다 안 먹은|다 안 마신|다 안 쓴|덜 쓴|덜 먹은|덜 마신"
                 "|먹다 남은|먹다가 남은|마시다 남은|마시다가 남은|쓰다 남은|쓰다가 남은|남은 채|남긴 채"
                 "|가득 찬|가득 남은|안 뜯은|뜯지 않은|개봉 안|미개봉|안 비워지|안 비워져|비워지지 않"
                 "|덜 비워|못 비운|안 나오|안 나와|나오지 않"),
            _alt("반|반쯤|절반|조금|많이|아직|꽤|잔뜩|가득") + r"\s*(?:이나\s*|정도\s*)?남"),
       residue="present"),
    _r(_alt("깨끗이 |깨끗하게 |물로 |싹 |잘 ") + "?"
       + _alt("씻은|씻었|씻어서|씻어|씻고|헹군|헹궜|헹궈서|헹궈|헹구고|세척한|세척했|세척해서|세척 한|세척된"
              "|설거지 한|닦은|닦았|닦아서"), residue="absent", cleaned=True),
    _r(_seq(_alt("비운|비웠|비워서|비워|비우고|다 먹은|다 마신|다 쓴|다 썼|다 사용한|텅 빈|비어 있|비었"),
            _WORD_START + r"빈(?=\s|병|캔|통|용기|깡통|봉지|곽|팩|박스|상자)"), residue="absent"),
    _r(_FOOD + _P + _alt("남은|남아|남았|남겨진|들어 있|들어간|든|차 있|고인|고여|있는|있어"),
       residue="present", soft=True),
    # Food smeared on it: rinses off a can, a bottle or a tub (residue, settled below), soaks into paper,
    # film and cloth for good (contamination) — like oil.
    _r(_FOOD + _P + _alt("묻은|묻어|묻었|범벅|투성이"), contaminated=True, washable=True),
    _r(_FOOD + _P + _alt("붙은|붙어"), residue="present"),
    # broken
    _r(_alt("안 깨진|안 깨졌|안 깨져|안 깨지|깨지지 않|깨지진 않|깨지지는 않|안 부서진|안 부서졌|부서지지 않"
            "|멀쩡한|멀쩡해|멀쩡하|온전한|금 안 간|금도 안 간|파손 안|파손되지 않|안 망가진|안 망가졌|고장 안 난"
            "|고장 안 났|안 찢어진|안 찢어졌"), broken=False),
    _r(_alt("깨진|깨졌|깨져|깨뜨린|깨뜨렸|깨트린|깨트렸|깨짐|깨트림|깨뜨림|부서진|부서졌|부서져|부숴진|부순|박살|금 간"
            "|금 갔|금가|파손|망가진|망가졌|망가져|고장 난|고장 났|찢어진|찢어졌|찢어져|해진|헤진|구멍 난"
            "|구멍나|조각난|조각|떨어진|떨어져|닳은|닳아|너덜|늘어난|보풀"
            # A swollen or leaking battery is a damaged one: the warning for it is the point.
            "|부풀|부푼|팽창|빵빵하게|배가 불러|배불러|누액|액이 샌|액이 새"), broken=True),
)


#: A character span of condition words; ``soft`` spans may still hold the item's name.
StateSpan = tuple[int, int, bool]


def _free(span: tuple[int, int], used: list[StateSpan]) -> bool:
    return all(span[1] <= a or span[0] >= b for a, b, _ in used)


#: Categories whose containers a rinse cleans of oil: there a washable stain is residue, not contamination.
RINSABLE = frozenset({"금속류", "유리병", "플라스틱류", "무색페트병"})


@dataclass(frozen=True)
class StateReading:
    """The state read from a question, its condition-word spans, and whether every contamination word
    was a washable one (see the module docstring)."""

    state: ItemState
    spans: list[StateSpan]
    washable: bool = False


def settle(state: ItemState, category: str | None, *, washable: bool) -> ItemState:
    """The state as it applies to an item of ``category``: a washable stain on a rinsable material
    is residue to rinse off ("기름 묻은 참치캔" → residue present), not contamination."""
    if not washable or state.contaminated is not True or category not in RINSABLE:
        return state
    residue = "present" if state.residue == "unknown" else state.residue
    return state.model_copy(update={"contaminated": None, "residue": residue})


def extract_state(text: str) -> tuple[ItemState, list[StateSpan]]:
    """Read the item state from condition words in a normalised question.

    Args:
        text: The question after :func:`streams.rules.text.normalize`.

    Returns:
        The state (fields without condition words stay unknown) and the spans of condition words.

    Example::

        state, _ = extract_state("뚜껑 닫힌 생수병이에요")
        assert state.lid == "closed"
    """
    reading = read_state(text)
    return reading.state, reading.spans


def read_state(text: str) -> StateReading:
    """:func:`extract_state` plus whether the contamination read is only a washable stain."""
    values: dict[str, Any] = {}
    used: list[StateSpan] = []
    stains: set[bool] = set()  # washable flags of the rules that said "contaminated"
    for rule in _RULES:
        for m in rule.pattern.finditer(text):
            span = m.span()
            if span[0] == span[1] or not _free(span, used):
                continue
            used.append((span[0], span[1], rule.soft))
            if rule.updates.get("contaminated") is True:
                stains.add(rule.washable)
            for key, value in rule.updates.items():
                values.setdefault(key, value)
    return StateReading(ItemState(**values), sorted(used), stains == {True})
