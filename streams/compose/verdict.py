"""The first sentence: the answer to the question asked, before any step.

A yes/no question starts with 네 or 아니요 and the reason in a few words; a where/how question starts with the
bin, by its everyday name (일반 종량제 봉투, 헌옷 수거함 …), never the category code.
"""

from __future__ import annotations

import re

from streams.compose.question import ACTIONS, PLACE_WORDS, Asked, same_bin
from streams.contracts import ItemGuidance
from streams.rules.render import EVERYDAY_BIN
from streams.rules.text import josa

__all__ = ["bin_name", "verdict"]

_NEGATIVE = ("않", "말고", "마세요", "금지", "안 됩", "안됩", "하지 말")


def bin_name(code: str | None) -> str:
    """The everyday name of a category's bin or route."""
    return EVERYDAY_BIN.get(code or "", code or "알 수 없는 곳")


# Categories whose route has its own verb; the rest are "put it in the bin".
_ROUTES = {
    "대형폐기물": "{name} 대형폐기물로 신고하고 스티커를 붙여 내요.",
    "공사장생활폐기물": "{name} 공사장 생활폐기물이라 시·군·구에 문의해 처리해요.",
    "전기전자제품": "{name} 폐가전으로 내요.",
    "음식물류폐기물": "{name} 음식물 쓰레기로 버려요.",
}
# Here the item's own channel says where better than the category ("약국·보건소의 폐의약품 수거함").
_OWN_CHANNEL = frozenset({"생활계유해폐기물", "전지", "조명제품"})


def _place(g: ItemGuidance) -> str:
    if g.official_category in _OWN_CHANNEL and g.channel:
        return g.channel.split("(")[0].strip().rstrip(",.") or bin_name(g.official_category)
    return bin_name(g.official_category)


def _where(g: ItemGuidance) -> str:
    """"{name}은 {bin}에 버려요." in the words the route calls for."""
    name = josa(re.sub(r"\s*\([^)]*\)", "", g.name), "은/는")  # "스티로폼(발포합성수지)": the code stays out
    template = _ROUTES.get(g.official_category or "")
    if template:
        said = template.format(name=name)
    elif g.route == "dispose":
        said = f"{name} 재활용되지 않아 {_place(g)}에 버려요."
    else:
        said = f"{name} {_place(g)}에 내요."
    if g.route == "reuse":
        said += " 쓸 만하면 재활용센터나 나눔으로 다시 쓰일 수 있어요."
    return said


def _reason(g: ItemGuidance) -> str:
    if "principle:contaminated" in g.applied_conditions:
        return " 씻어도 지워지지 않는 오염이 있으면 재활용되지 않아요."
    if "principle:coated" in g.applied_conditions:
        return " 비닐이나 은박으로 코팅된 종이는 종이로 재활용되지 않아요."
    return ""


def _about_action(g: ItemGuidance, pattern: re.Pattern[str], not_done: bool) -> str | None:
    """네/아니요 from the step about the asked action ("라벨 떼야 해요?" → the label step). When the question asks
    whether leaving it undone is fine ("테이프 안 떼고 내놔도 돼요?"), the answer turns around."""
    texts = [*g.steps, g.channel or ""]
    step = next((s for s in texts if pattern.search(s)), None)
    if step is None:
        return None
    says_dont = any(n in step for n in _NEGATIVE)
    yes = says_dont if not_done else not says_dont
    return f"{'네' if yes else '아니요'}, {step.rstrip('.')}."


def verdict(g: ItemGuidance, asked: Asked) -> str:
    """The first sentence for one item (see the module docstring)."""
    where = _where(g)
    if asked.kind != "yesno" or g.official_category is None:
        return where
    if asked.bin:
        if same_bin(asked.bin, g.official_category):
            return f"네, {where}"
        word = asked.bin_word or bin_name(asked.bin)
        # "칫솔은 플라스틱이 아니에요" would be false — it is plastic, it just does not go there.
        wrong = f"{word} 수거함에 내지 않아요" if word in PLACE_WORDS else f"{josa(word, '으로/로')} 버리지 않아요"
        return f"아니요, {wrong}. {where}{_reason(g)}"
    if asked.kept:
        said = _about_action(g, re.compile(re.escape(asked.kept) + r".{0,60}(?:떼|빼|분리|벗|제거|뜯)"), True)
        if said:
            return f"{said} {where}"
    if asked.action:
        said = _about_action(g, ACTIONS[asked.action][1], asked.not_done)
        if said:
            return f"{said} {where}"
    if asked.recycle:
        if g.route == "recycle":
            return f"네, 재활용돼요. {where}"
        if g.route == "dispose":
            return f"아니요, {where}{_reason(g)}"
        return f"재활용품으로는 안 돼요. {where}"
    if asked.as_is:
        if g.route == "dispose":
            return f"네, {where}"
        return f"아니요, 그냥 버리면 안 돼요. {where}"
    # "버려도 돼요?" with nothing more specific: yes — and the sentence after the comma says how. With
    # something we did not understand in it (a place, a "without …"), no 네 that might be a wrong guess.
    return f"네, {where}" if asked.plain else where
