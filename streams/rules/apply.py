"""Rules + item state → :class:`~streams.contracts.ItemGuidance`, with a rule id for every sentence.

Order of the steps, for an item:

1. the common steps of the category document: the item's ``category_doc``, or, when a condition sends the
   item to another category (a greasy pizza box → 일반종량제폐기물), that category's default document,
   because the old category's steps ("끈으로 묶어 종이류로") would now be wrong;
2. the item's own steps;
3. the ``add_steps`` of every condition whose ``when`` matches the state, in document order (a later
   condition's category/channel/recyclable override wins).

Rule ids: ``{slug}:common:{n}``, ``{item_id}:step:{n}``, ``{item_id}:cond:{id}`` (its ``note`` is
``{item_id}:cond:{id}:note``), ``{item_id}:category``, ``{item_id}:not:{n}``, ``{item_id}:region``,
``{item_id}:conflict``; for category-level guidance ``{slug}:not:{n}`` and ``{slug}:region``.

Two rules live in code rather than in a document. A recyclable item whose state says it is contaminated
(dirt that rinsing does not remove, docs/rules-format.md) goes to the 종량제봉투 when its document has
no condition of its own on ``contaminated`` — the "rinse; if still dirty, general waste" principle that
every national and municipal guide repeats (rule id ``principle:contaminated``). Likewise a paper item said
to be coated (film, foil, laminate) goes to the 종량제봉투 unless its document has its own ``coated`` case
(``principle:coated``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from streams.contracts import ItemGuidance, ItemState, MatchKind, Route, RuleUsed, SourceRef
from streams.errors import RuleNotFound
from streams.rules.model import DEFAULT_ROUTE, NON_RECYCLABLE_CATEGORIES, CategoryDoc, Condition, ItemDoc
from streams.rules.render import EVERYDAY_BIN
from streams.rules.text import josa

if TYPE_CHECKING:
    from streams.rules.catalog import RulesCatalog

__all__ = ["PRINCIPLE_COATED", "PRINCIPLE_CONTAMINATED", "apply_category", "apply_item", "category_recyclable"]

#: Categories that the contamination principle sends to the 종량제봉투.
_CLEAN_ONLY = frozenset({"종이", "종이팩", "무색페트병", "플라스틱류", "비닐류", "발포합성수지", "유리병",
                         "금속류", "의류및원단"})
_RECYCLED = _CLEAN_ONLY | {"전지", "조명제품", "전기전자제품"}
PRINCIPLE_CONTAMINATED = ("헹구거나 닦아도 지워지지 않는 오염이 남았다면 재활용되지 않으므로 "
                          "종량제봉투에 버립니다.")
# Paper under a plastic film or foil does not pulp: the mill cannot separate the layers.
PRINCIPLE_COATED = "비닐이나 은박으로 코팅된 종이는 종이로 재활용되지 않아 종량제봉투에 버립니다."
_PRINCIPLE_SOURCES = ("MOE-GUIDE", "APP")
_GENERAL = "일반종량제폐기물"
_OWN_PLACE = frozenset({"생활계유해폐기물", "전지", "조명제품"})


def category_recyclable(code: str) -> bool | None:
    """Whether a category as such is recycled (None when it depends on the item)."""
    if code in NON_RECYCLABLE_CATEGORIES:
        return False
    return True if code in _RECYCLED else None


def route_recyclable(route: Route) -> bool | None:
    """The wire's ``recyclable``: only a disposal route is "not recyclable"; reuse and special are neither."""
    return {"recycle": True, "dispose": False}.get(route)


class _Builder:
    """Collects steps and the RuleUsed behind each sentence."""

    def __init__(self, owner: str, catalog: RulesCatalog) -> None:
        self.owner = owner
        self.catalog = catalog
        self.steps: list[str] = []
        self.not_this: list[str] = []
        self.rules: list[RuleUsed] = []

    def rule(self, rule_id: str, kind: str, text: str, sources: list[SourceRef]) -> None:
        self.rules.append(RuleUsed(item_id=self.owner, rule_id=rule_id, kind=kind,  # type: ignore[arg-type]
                                   text=text, sources=sources))

    def principle(self, which: str) -> None:
        text = PRINCIPLE_COATED if which == "coated" else PRINCIPLE_CONTAMINATED
        self.steps.append(text)
        self.rule(f"principle:{which}", "condition", f"{text} → {_GENERAL}", self.catalog.refs(_PRINCIPLE_SOURCES))

    def common(self, cat: CategoryDoc | None, skip: tuple[int, ...] = ()) -> None:
        if cat is None:
            return
        for n, text in enumerate(cat.common_steps, 1):
            if n in skip:
                continue
            self.steps.append(text)
            self.rule(f"{cat.slug}:common:{n}", "category", text, self.catalog.refs(cat))


def _principle(doc: ItemDoc, state: ItemState, category: str) -> str | None:
    """The general rule that sends an item to the 종량제 bag when its own document has no word on the state:
    "contaminated" (dirt that does not wash off) or "coated" (paper under film or foil)."""
    if category != doc.official_category:
        return None
    if (state.contaminated is True and category in _CLEAN_ONLY
            and not any("contaminated" in c.when for c in doc.conditions)):
        return "contaminated"
    if state.coated is True and category == "종이" and not any("coated" in c.when for c in doc.conditions):
        return "coated"
    return None


def _infer(doc: ItemDoc, state: ItemState) -> ItemState:
    """Fill gas_remaining from residue for gas cans: "내용물 남은 에프킬라" means gas is left — unless the
    document decides by how much is left ("반도 안 쓴 살충제" is hazardous waste, not a can to vent)."""
    keyed = any("gas_remaining" in c.when for c in doc.conditions)
    by_amount = state.amount_left == "much" and any("amount_left" in c.when for c in doc.conditions)
    if keyed and not by_amount and state.gas_remaining is None and state.residue != "unknown":
        return state.model_copy(update={"gas_remaining": state.residue == "present"})
    return state


def apply_item(catalog: RulesCatalog, item_id: str, state: ItemState, *, match: MatchKind) -> ItemGuidance:
    """Guidance for one catalogue item in one state.

    Raises:
        RuleNotFound: no document has this item_id.
    """
    doc = catalog.get(item_id)
    if doc is None:
        raise RuleNotFound(f"no rules document for item {item_id!r}", stage="rag")
    state = _infer(doc, state)
    applied: list[Condition] = [c for c in doc.conditions if c.matches(state)]
    category: str = doc.official_category
    channel, route = doc.channel, doc.default_route
    for cond in applied:
        if cond.official_category and cond.official_category != category:
            route = DEFAULT_ROUTE[cond.official_category]
        category = cond.official_category or category
        channel = cond.channel or channel
        route = cond.route or route
    principle = _principle(doc, state, category)
    if principle:
        category = _GENERAL
        general = catalog.category_doc(_GENERAL)
        channel = general.channel if general else "종량제봉투"
    if category in NON_RECYCLABLE_CATEGORIES:
        route = "dispose"
    cases = [c.case for c in doc.conditions
             if c.is_case and c.case and c not in applied and all(getattr(state, k) in ("unknown", None)
                                                                   for k in c.when)]

    b = _Builder(item_id, catalog)
    moved = category != doc.official_category
    cat = catalog.category_doc(category) if moved else (
        catalog.categories.get(doc.category_doc) if doc.category_doc else None)
    mover = next((c for c in reversed(applied) if c.official_category and c.official_category == category), None)
    b.common(cat, (mover.skip_common if mover else ()) if moved else doc.skip_common)
    sources = catalog.refs(doc)
    if not any(c.official_category for c in applied) and not principle:
        b.rule(f"{item_id}:category", "category", f"{doc.name}: {category} — {channel}", sources)
    # The item's own steps prepare it for its default bin: a condition that moves it elsewhere drops them
    # (unless it says keep_steps), and a condition may replace single steps (drop_steps).
    dropped = {n for c in applied for n in c.drop_steps}
    away = any(c.official_category and c.official_category != doc.official_category and not c.keep_steps
               for c in applied)
    if away:
        dropped = set(range(1, len(doc.steps) + 1))
    for n, text in enumerate(doc.steps, 1):
        if n in dropped:
            continue
        b.steps.append(text)
        b.rule(f"{item_id}:step:{n}", "step", text, sources)
    for cond in applied:
        # Once the item goes elsewhere, a state's preparation for the old bin goes too ("vent the gas and
        # put it in the can bin" next to "so much is left that it is hazardous waste").
        if not (away and not cond.official_category):
            b.steps.extend(cond.add_steps)
        effect = f" → {cond.official_category} ({cond.channel or channel})" if cond.official_category else ""
        text = " ".join(cond.add_steps) + effect
        b.rule(f"{item_id}:cond:{cond.id}", "condition", text.strip() or f"{cond.id}", sources)
        if cond.note:
            b.rule(f"{item_id}:cond:{cond.id}:note", "note", cond.note, sources)
    if principle:
        b.principle(principle)
    for n, other in enumerate(doc.not_this, 1):
        target = catalog.get(other.item_id) if other.item_id else None
        # Where the look-alike goes in words: its own channel for routes with their own places (폐의약품 수거함).
        place = (target.channel.split("(")[0].strip() if target is not None and target.official_category in _OWN_PLACE
                 else EVERYDAY_BIN[other.goes_to])
        text = f"{josa(other.name, '은/는')} {place}에 버려요." + (f" {other.why}" if other.why else "")
        b.not_this.append(text)
        b.rule(f"{item_id}:not:{n}", "not_this", text, sources)
    # Only the item's own region note: a category's ("배출 요일은 지역마다 달라요") is true of everything in it
    # and would be noise on every answer.
    region = doc.region_note if not moved else None  # a note about the old bin does not follow the item
    if region:
        b.rule(f"{item_id}:region", "note", region, sources)
    if doc.conflict_note:
        b.rule(f"{item_id}:conflict", "note", doc.conflict_note, sources)
    return ItemGuidance(
        item_id=item_id, name=doc.name, official_category=category, channel=channel,  # type: ignore[arg-type]
        recyclable=route_recyclable(route), route=route, match=match, steps=b.steps, cases=cases,
        low_confidence=doc.confidence == "low",
        # The state's own warning is the more specific one; the document's stands when none applies.
        safety=list(dict.fromkeys(w for w in (c.warning for c in applied) if w))
        or ([doc.warning] if doc.warning else []),
        applied_conditions=[c.id for c in applied] + ([f"principle:{principle}"] if principle else []),
        not_this=b.not_this, region_note=region, conflict_note=doc.conflict_note, rules=b.rules)


def apply_category(catalog: RulesCatalog, category: str, state: ItemState) -> ItemGuidance:
    """Category-level guidance when only the category is known (``item_id=None``, ``match="category"``)."""
    principle = state.contaminated is True and category in _CLEAN_ONLY
    coated = state.coated is True and category == "종이" and not principle
    target = _GENERAL if principle or coated else category
    if category == "유리병" and state.broken is True and not principle:
        target = "불연성종량제폐기물"  # a broken glass bottle is not a bottle any more: the non-burnable sack
    cat = catalog.category_doc(target)
    b = _Builder(cat.slug if cat else target, catalog)
    b.common(cat)
    if principle or coated:
        b.principle("contaminated" if principle else "coated")
    region = None
    if cat is not None:
        summary = f"{cat.name}: {cat.official_category} — {cat.channel}"
        b.rule(f"{cat.slug}:category", "category", summary, catalog.refs(cat))
        source = catalog.category_doc(category) or cat
        for n, text in enumerate(source.not_accepted, 1):
            b.not_this.append(text)
            b.rule(f"{source.slug}:not:{n}", "not_this", text, catalog.refs(source))
        if cat.region_note:
            region = cat.region_note
            b.rule(f"{cat.slug}:region", "note", region, catalog.refs(cat))
    original = catalog.category_doc(category)
    return ItemGuidance(
        item_id=None, name=original.name if original else category,
        official_category=target, channel=cat.channel if cat else None,  # type: ignore[arg-type]
        recyclable=category_recyclable(target), route=DEFAULT_ROUTE.get(target), match="category",
        steps=b.steps,
        applied_conditions=[f"principle:{'contaminated' if principle else 'coated'}"] if principle or coated else [],
        not_this=b.not_this, region_note=region, rules=b.rules,
        includes=list(original.includes) if original and not (principle or coated) else [])
