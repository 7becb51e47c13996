"""Guidance → text: the rules block the answer model reads, and small Korean phrasing helpers.

:func:`render_context` is what the rag stage puts in ``RuleContext.context``: per item its category,
channel, numbered steps, warnings and notes, each line tagged with its ``[rule_id]`` so the answer
model can cite the rule it used and nothing else.
"""

from __future__ import annotations

from streams.contracts import ItemGuidance, ItemState

__all__ = ["EVERYDAY_BIN", "describe_state", "render_context", "step_rule_ids"]

_STATE_WORDS: dict[str, dict[object, str]] = {
    "lid": {"closed": "뚜껑 닫힘", "open": "뚜껑 열림", "none": "뚜껑 없음"},
    "label": {"attached": "라벨 붙음", "removed": "라벨 뗌", "none": "라벨 없음"},
    "residue": {"present": "내용물 남음", "absent": "내용물 비움"},
    "tape": {"attached": "테이프·송장 붙음", "removed": "테이프·송장 뗌", "none": "테이프 없음"},
    "cleaned": {True: "씻음", False: "씻지 않음"},
    "contaminated": {True: "씻어도 남는 오염 있음", False: "오염 없음"},
    "broken": {True: "깨짐·파손", False: "깨지지 않음"},
    "gas_remaining": {True: "가스 남음", False: "가스 뺌"},
    "battery_inside": {True: "배터리 들어 있음", False: "배터리 뺌"},
    "material": {"paper": "종이", "plastic": "플라스틱", "vinyl": "비닐", "styrofoam": "스티로폼", "glass": "유리",
                 "metal": "금속", "wood": "나무", "fabric": "천", "rubber": "고무", "ceramic": "도자기", "stone": "돌",
                 "leather": "가죽", "mixed": "여러 재질"},
    "size": {"fits_bag": "봉투에 들어감", "oversized": "봉투에 안 들어감"},
    "quantity": {"household": "가정 배출량", "bulk": "공사·이사 등 많은 양"},
    "colour": {"clear": "무색 투명", "coloured": "색 있음"},
    "coated": {True: "코팅됨", False: "코팅 안 됨"},
    "amount_left": {"none": "내용물 없음", "little": "내용물 조금 남음", "much": "내용물 많이 남음"},
}
#: Each official category by the bin or route people know it as; answers use these, never the codes.
EVERYDAY_BIN: dict[str, str] = {
    "종이": "종이류 수거함", "종이팩": "종이팩 수거함", "무색페트병": "투명 페트병 수거함",
    "플라스틱류": "플라스틱 수거함", "비닐류": "비닐류 수거함", "발포합성수지": "스티로폼 수거함",
    "유리병": "유리병 수거함", "금속류": "캔·고철 수거함", "의류및원단": "헌옷 수거함",
    "전지": "폐건전지 수거함", "조명제품": "폐형광등·전구 수거함", "전기전자제품": "폐가전 수거",
    "음식물류폐기물": "음식물 쓰레기", "일반종량제폐기물": "일반 종량제 봉투",
    "불연성종량제폐기물": "불연성 마대", "대형폐기물": "대형폐기물 신고(스티커)",
    "공사장생활폐기물": "공사장 생활폐기물 처리(구청 문의)", "생활계유해폐기물": "유해폐기물 수거함",
}
_MATCH_WORDS = {"exact": "이름 일치", "alias": "다른 이름으로 일치", "fuzzy": "비슷한 이름으로 추정",
                "category": "품목 미확인, 분류만 확인", "none": "규칙 없음"}


def describe_state(state: ItemState) -> str:
    """Korean words for the known state fields ("뚜껑 닫힘, 라벨 붙음"), or "" when nothing is known."""
    return ", ".join(_STATE_WORDS[k][v] for k, v in state.known().items() if k in _STATE_WORDS)


def step_rule_ids(g: ItemGuidance) -> list[str]:
    """The rule id behind each of ``g.steps`` (same order)."""
    ids: list[str] = []
    for step in g.steps:
        rule = next((r for r in g.rules if r.text == step and r.kind in ("step", "category")), None)
        if rule is None:
            rule = next((r for r in g.rules if r.kind == "condition" and step in r.text), None)
        ids.append(rule.rule_id if rule else "")
    return ids


def _tag(rule_id: str) -> str:
    return f" [{rule_id}]" if rule_id else ""


def _item_block(n: int, g: ItemGuidance, state: ItemState | None) -> list[str]:
    ident = f"item_id {g.item_id}" if g.item_id else "품목 문서 없음"
    lines = [f"## {n}. {g.name} ({ident}; {_MATCH_WORDS.get(g.match, g.match)})"]
    if g.official_category is None:
        lines.append("분류: 알 수 없음 — 이 물건에 대한 규칙이 없습니다. 물건 이름을 다시 물어보세요.")
        return lines
    category_rule = next((r.rule_id for r in g.rules if r.rule_id.endswith(":category")), "")
    cond_rule = next((r.rule_id for r in g.rules if r.kind == "condition" and "→" in r.text), "")
    lines.append(f"분류: {g.official_category}{_tag(cond_rule or category_rule)}")
    if g.channel:
        lines.append(f"배출 장소: {g.channel}")
    if g.recyclable is False:
        lines.append("재활용: 되지 않음 (재활용된다고 말하지 마세요)")
    elif g.recyclable:
        lines.append("재활용: 됨")
    if state is not None and describe_state(state):
        lines.append(f"상태: {describe_state(state)}")
    if g.applied_conditions:
        lines.append("적용된 조건: " + ", ".join(g.applied_conditions))
    if g.steps:
        lines.append("순서:")
        lines.extend(f"{i}. {s}{_tag(r)}" for i, (s, r) in enumerate(zip(g.steps, step_rule_ids(g),
                                                                             strict=True), 1))
    for r in g.rules:
        if r.kind == "note" and r.rule_id.endswith(":note"):
            lines.append(f"주의: {r.text}{_tag(r.rule_id)}")
    nots = [r for r in g.rules if r.kind == "not_this"]
    if nots:
        lines.append("헷갈리기 쉬운 것:")
        lines.extend(f"- {r.text}{_tag(r.rule_id)}" for r in nots)
    region = next((r for r in g.rules if r.rule_id.endswith(":region")), None)
    if region:
        lines.append(f"지역마다 다름: {region.text}{_tag(region.rule_id)}")
    conflict = next((r for r in g.rules if r.rule_id.endswith(":conflict")), None)
    if conflict:
        lines.append(f"출처 간 차이: {conflict.text}{_tag(conflict.rule_id)}")
    if g.district:  # with a region: the district's line (streams/regions/localise.py)
        rule = next((r.rule_id for r in g.rules if r.text == g.district), "")
        lines.append(f"사용자의 시·군·구: {g.district}{_tag(rule)}")
    return lines


def render_context(guidance: list[ItemGuidance], *, version: str,
                   states: list[ItemState] | None = None) -> str:
    """The rules block for the answer model: one section per item, every line tagged with its rule id."""
    if not guidance:
        return ""
    lines = [f"분리배출 규칙 (버전 {version}). 아래 규칙만 근거로 답하고, "
             "근거로 쓴 문장의 [규칙 id]를 밝히세요."]
    for n, g in enumerate(guidance, 1):
        lines.append("")
        lines.extend(_item_block(n, g, states[n - 1] if states and n - 1 < len(states) else None))
    return "\n".join(lines)
