"""The whole answer: verdict, safety, cases, at most five steps, the notes that earn their place, sources.

One item::

    생수병은 투명 페트병 수거함에 내요.          ← verdict (네/아니요 first for a yes/no question)
    ⚠ …                                          ← a safety warning, when the state calls for one
    강남구 단독주택은 목요일에 …                 ← with a region: the district's line (:func:`_district`)
    1. 내용물을 비우고 물로 헹궈요.              ← only the steps that apply, each action once
    참고: …                                      ← region / conflict / look-alike, only when relevant
    출처: 생활폐기물 분리배출 누리집(기후에너지환경부)

Steps the user says are done ("라벨 뗐어요") are left out; steps that say the same thing twice are said once
(the similarity check of ``bunri rules check``); more than five keep the item's own and its state's steps
first. Everything else stays in the structured ``rules`` of the result for clients that want detail.
"""

from __future__ import annotations

import re

from streams.compose.question import Asked, read_question
from streams.compose.verdict import bin_name, verdict
from streams.contracts import ItemGuidance, ItemState, RuleContext
from streams.rules.lint import near_duplicates
from streams.rules.text import compact, josa
from streams.rules.vocab import CATEGORY_WORDS

__all__ = ["MAX_STEPS", "compose", "select_steps"]

MAX_STEPS = 5
_SHORT_STEPS = 3  # per item when the answer covers several: one short block each
LOW_CONFIDENCE = "이 물건은 공식 안내에 따로 나오지 않아 같은 재질·분류의 기준으로 안내했어요."
_ALIKE_NAME = re.compile(r"^(.+?)(?:은|는) ")  # the look-alike's name in "유색 페트병은 플라스틱 수거함에 …"
_DONE: dict[str, tuple[str, ...]] = {
    # state field = value that means "already done" → words of a step that asks to do it
    "label": ("라벨", "상표"),
    "lid": ("뚜껑", "마개"),
    "tape": ("테이프", "송장", "스티커"),
    "battery_inside": ("건전지", "배터리"),
    "cleaned": ("헹구", "헹궈", "헹굽", "씻"),
    "gas_remaining": ("가스를",),
}


def _done_words(state: ItemState | None) -> tuple[str, ...]:
    if state is None:
        return ()
    done: list[str] = []
    if state.label in ("removed", "none"):
        done += _DONE["label"]
    if state.lid == "none":
        done += _DONE["lid"]
    if state.tape in ("removed", "none"):
        done += _DONE["tape"]
    if state.battery_inside is False:
        done += _DONE["battery_inside"]
    if state.cleaned is True or state.residue == "absent":
        done += _DONE["cleaned"]
    if state.gas_remaining is False:
        done += _DONE["gas_remaining"]
    return tuple(done)


def select_steps(g: ItemGuidance, state: ItemState | None) -> list[str]:
    """The steps to show: not already done, each action once, at most :data:`MAX_STEPS`."""
    done = _done_words(state)
    kinds = {r.text: r.kind for r in g.rules}
    steps = [s for s in g.steps if not (done and any(w in s for w in done) and "않" not in s)]
    repeats = {b.split(": ", 1)[1] for _, b in near_duplicates((str(i), s) for i, s in enumerate(steps))}
    steps = [s for s in dict.fromkeys(steps) if s not in repeats]
    if len(steps) <= MAX_STEPS:
        return steps
    # The item's own and its state's steps say the most; common category steps give way first.
    keep = sorted(range(len(steps)), key=lambda i: (kinds.get(steps[i]) == "category", i))[:MAX_STEPS]
    return [steps[i] for i in sorted(keep)]


def _notes(g: ItemGuidance, question: str) -> list[str]:
    """At most one note: what the stated state's condition says, else a look-alike the question itself names,
    else what sources dispute, else the district difference. The rest stays in the structured rules."""
    q = compact(question)
    alike = [n for n in g.not_this if (m := _ALIKE_NAME.match(n)) and any(
        len(w) >= 2 and compact(w) in q for w in re.split(r"[\s·,()]+", m.group(1)))]
    said = [r.text for r in g.rules if r.kind == "note" and r.rule_id.endswith(":note")]
    if said:  # a note of a condition the stated state matched: about this very case
        return ["참고: " + _first_sentence(said[0])]
    if alike:
        return [f"헷갈리기 쉬운 것: {_first_sentence(alike[0])}"]
    if g.conflict_note:
        return ["참고: " + _first_sentence(g.conflict_note)]
    if g.region_note and g.match != "category":
        return ["지역마다 달라요: " + _first_sentence(g.region_note)]
    return []


def _first_sentence(text: str, *, room: int = 90) -> str:
    """The text if it is short, else its first sentence: a note is one line."""
    end = text.find(". ")
    return text if end < 0 or len(text) <= room else text[: end + 1]


def _district(g: ItemGuidance) -> list[str]:
    """The district hook: with a region, one line — the district's schedule or rule, or where to look it up
    (written by :mod:`streams.regions.localise`; the item's generic region note is then gone)."""
    return [g.district] if g.district else []


def _sources(guidance: list[ItemGuidance]) -> str:
    """One short line naming the sources in words: the national guide first, then the district's, then the
    item's own."""
    refs = [s for g in guidance for r in g.rules
            if g.item_id is None or r.rule_id.startswith((f"{g.item_id}:", "region:"))
            for s in r.sources if s.title and s.key != "SECONDARY"]
    district = {s.key for g in guidance for r in g.rules if r.rule_id.startswith("region:") for s in r.sources}
    # Stable: otherwise in the order the rules cite them.
    refs.sort(key=lambda s: (s.key != "MOE-GUIDE", s.key not in district))
    titles: list[str] = []
    for ref in refs:
        title, _, publisher = (ref.title or "").partition(" — ")
        label = f"{publisher} {title}" if publisher and publisher not in title else title
        if label not in titles:
            titles.append(label)
    return "출처: " + ", ".join(titles[:2]) if titles else ""


_CATEGORY_NAMES = frozenset(compact(w) for words in CATEGORY_WORDS.values() for w in words)
# The state that sent an item to its bin, as words before its name (first that applies).
_QUALIFIERS: tuple[tuple[str, object, str], ...] = (
    ("contaminated", True, "오염된"), ("broken", True, "깨진"), ("gas_remaining", True, "가스가 남은"),
    ("amount_left", "much", "내용물이 많이 남은"), ("size", "oversized", "큰"), ("quantity", "bulk", "많은 양의"),
    ("coated", True, "코팅된"), ("colour", "coloured", "색이 있는"), ("battery_inside", True, "배터리가 든"),
)
_MATERIAL_WORDS = {"paper": "종이", "plastic": "플라스틱", "vinyl": "비닐", "styrofoam": "스티로폼", "glass": "유리",
                   "metal": "금속", "wood": "나무", "fabric": "천", "rubber": "고무", "ceramic": "도자기",
                   "stone": "돌",
                   "leather": "가죽"}
_PUT = re.compile(r"(?:넣|내|버리|버립|냅)(?:습니다|니다|어요|요)?\.?$|(?:넣|내|버리)지\s*않습니다\.?$")


def _qualifier(g: ItemGuidance, state: ItemState | None) -> str | None:
    if state is None or not g.applied_conditions:
        return None
    for key, value, words in _QUALIFIERS:
        if getattr(state, key) == value:
            return words
    return _MATERIAL_WORDS.get(state.material)


def _bin_words(g: ItemGuidance, asked: Asked) -> list[str]:
    """Words naming the answer's bin and the one the user proposed: a short step that only says to put it
    there (or not to) repeats the first sentence."""
    words = [w for w in (bin_name(g.official_category).split("(")[0], asked.bin_word) if w]
    if g.official_category in ("일반종량제폐기물",):
        words.append("종량제")
    return words


def _restates(step: str, words: list[str]) -> bool:
    return len(step) < 40 and bool(_PUT.search(step)) and any(compact(w) in compact(step) for w in words)


def _item(g: ItemGuidance, state: ItemState | None, asked: Asked, question: str, *, short: bool,
          shown: set[str], said: str | None = None) -> list[str]:
    if g.official_category is None:
        return [f"'{g.name}'에 대한 안내를 찾지 못했어요. 물건 이름을 다시 알려 주시겠어요?"]
    # Call it what the user called it when they used another of its names ("참치캔", not "통조림캔") — unless
    # that word only names a category ("투명 페트병" for a non-drink PET bottle would mislead).
    named = g
    if g.match == "alias" and said and len(said) <= 12 and compact(said) not in _CATEGORY_NAMES:
        named = g.model_copy(update={"name": said})
    qualifier = _qualifier(g, state)
    if qualifier and qualifier not in named.name:  # "기름 밴 치킨 박스": the state that decided the bin
        named = named.model_copy(update={"name": f"{qualifier} {named.name}"})
    first = verdict(named, asked)
    lines = [first]
    lines += [f"⚠ {w}" for w in g.safety]
    lines += _district(g)
    if g.cases:
        lines.append("경우에 따라 달라요: " + " ".join(g.cases))
    if g.includes:
        lines.append("해당하는 것: " + ", ".join(g.includes))
    said_first = {st for st in g.steps if st.rstrip(".") in first}  # quoted in the verdict already
    restating = _bin_words(g, asked)
    steps = [st for st in select_steps(g, state) if st not in shown and st not in said_first
             and not _restates(st, restating)][: _SHORT_STEPS if short else MAX_STEPS]
    shown.update(steps)  # a step said for an earlier item of the answer is not said again
    lines += [f"{i}. {s}" for i, s in enumerate(steps, 1)]
    if g.match == "category" and g.not_this:
        lines.append("넣지 않는 것: " + " ".join(g.not_this[:2]))
    elif not short:
        lines += _notes(g, question)
    if g.match == "fuzzy" and said and compact(said) != compact(g.name):
        lines.append(f"'{said}'{josa(said, '을/를')[len(said):]} '{g.name}'(으)로 읽고 안내했어요."
                     .replace("(으)로", josa(g.name, "으로/로")[len(g.name):]))
    if g.low_confidence:
        lines.append(LOW_CONFIDENCE)
    return lines


def compose(ctx: RuleContext, *, photo_note: str | None = None) -> str:
    """The Korean answer for ``ctx`` (see the module docstring).

    Args:
        ctx: The rag stage's output.
        photo_note: One sentence saying a photo was attached but not looked at, when that is so.
    """
    asked = read_question(ctx.question)
    if len(ctx.guidance) > 1:
        asked = Asked("how")  # several items: each gets its bin; a yes/no about "it" names none of them
    seen: set[str] = set()
    shown: set[str] = set()
    blocks: list[list[str]] = []
    for n, g in enumerate(ctx.guidance):
        key = g.item_id or f"{g.official_category}:{g.name}"
        if key in seen:
            continue  # the same item named twice is answered once
        seen.add(key)
        item = ctx.analysis.items[n] if n < len(ctx.analysis.items) else None
        said = item.description.partition("'")[2].rstrip("'") if item and item.description else None
        blocks.append(_item(g, item.state if item else None, asked, ctx.question, short=len(ctx.guidance) > 1,
                            shown=shown, said=said))
    lines: list[str] = []
    if len(blocks) == 1:
        lines = blocks[0]
    else:
        lines.append(f"물건 {len(blocks)}가지를 차례로 안내할게요.")
        for block in blocks:
            lines.append("")
            lines += block
    if photo_note:
        lines.append(photo_note)
    source = _sources(ctx.guidance)
    if source:
        lines.append(source)
    return "\n".join(lines)
