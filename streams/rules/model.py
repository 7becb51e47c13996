"""Pydantic models of the rules documents (the contract in ``docs/rules-format.md``).

Two document kinds live under ``rules/``:

- :class:`ItemDoc`, one per item, in ``rules/{item_id}.json``;
- :class:`CategoryDoc`, one per shared category, in ``rules/categories/{slug}.json``.

Both are strict (no type coercion, unknown keys refused) and frozen. Cross-document checks
(unique names, references between documents, source keys) belong to :mod:`streams.rules.catalog`.

Example::

    doc = ItemDoc.model_validate_json(path.read_text(encoding="utf-8"))
    doc.conditions[0].matches(ItemState(label="attached"))
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from streams.contracts import ItemState, OfficialCategory, Route, SourceRef

__all__ = [
    "CASE_KEYS",
    "CATEGORY_SLUGS",
    "DEFAULT_ROUTE",
    "NON_RECYCLABLE_CATEGORIES",
    "STATE_VALUES",
    "CategoryDoc",
    "Condition",
    "ItemDoc",
    "NotThis",
    "Source",
    "describe_errors",
]

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=400)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=80)]

#: The category code -> default category-document slug table of docs/rules-format.md.
CATEGORY_SLUGS: dict[str, str] = {
    "종이": "paper",
    "종이팩": "paper_pack",
    "무색페트병": "clear_pet",
    "플라스틱류": "plastic",
    "비닐류": "vinyl",
    "발포합성수지": "styrofoam",
    "유리병": "glass_bottle",
    "금속류": "metal",
    "의류및원단": "clothing",
    "전지": "battery",
    "조명제품": "lighting",
    "전기전자제품": "electronics",
    "음식물류폐기물": "food_waste",
    "일반종량제폐기물": "general_waste",
    "불연성종량제폐기물": "nonburnable_waste",
    "대형폐기물": "bulky_waste",
    "공사장생활폐기물": "construction_waste",
    "생활계유해폐기물": "hazardous_waste",
}

#: Anything ending in these bags is never called recyclable (docs/rules-format.md, `route`).
NON_RECYCLABLE_CATEGORIES: frozenset[str] = frozenset({"일반종량제폐기물", "불연성종량제폐기물"})

#: Where a category's items end when the document says nothing else. Bulky, hazardous and construction
#: waste are collected separately and treated — "not recyclable" would be wrong for them.
DEFAULT_ROUTE: dict[str, Route] = {
    **{code: "recycle" for code in CATEGORY_SLUGS},
    "일반종량제폐기물": "dispose",
    "불연성종량제폐기물": "dispose",
    "대형폐기물": "special",
    "공사장생활폐기물": "special",
    "생활계유해폐기물": "special",
}

#: State keys that pick one of several official cases (material, size, amount, coating). A condition keyed only on
#: these is a "case": when the question does not settle it, the answer states the case in one line.
CASE_KEYS: frozenset[str] = frozenset({"material", "size", "quantity", "coated"})


def _state_values() -> dict[str, frozenset[str | bool]]:
    # Derived from the wire contract so a new ItemState field or value is picked up without edits here.
    table: dict[str, frozenset[str | bool]] = {}
    for key, field in ItemState.model_fields.items():
        args = get_args(field.annotation)
        if all(isinstance(a, str) for a in args):
            table[key] = frozenset(a for a in args if a != "unknown")
        else:
            table[key] = frozenset({True, False})
    return table


#: Allowed `when` keys and values: ItemState's fields minus the "unknown"/None placeholders.
STATE_VALUES: dict[str, frozenset[str | bool]] = _state_values()


class _Doc(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


class Source(_Doc):
    """A source key from ``docs/sources.md`` and the date it was checked."""

    key: str = Field(pattern=r"^[A-Z][A-Z0-9-]*$")
    checked: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}$")
    url: str | None = None
    via: Text | None = None  # the fact was read second-hand, through this (e.g. a processed copy)

    def ref(self) -> SourceRef:
        """The wire form used in :class:`~streams.contracts.RuleUsed` (the catalogue fills url and title)."""
        return SourceRef(key=self.key, checked=self.checked, url=self.url, via=self.via)


class Condition(_Doc):
    """A state-dependent rule: applies when every key in ``when`` equals the analysed state."""

    id: Slug
    when: dict[str, str | bool] = Field(min_length=1)
    add_steps: tuple[Text, ...] = ()
    note: Text | None = None
    official_category: OfficialCategory | None = None
    channel: Text | None = None
    route: Route | None = None
    case: Text | None = None  # one short line stating this case, for answers that cannot tell which applies
    warning: Text | None = None  # a safety warning this state calls for; answers put it second
    drop_steps: tuple[Annotated[int, Field(ge=1)], ...] = ()  # item steps (1-based) this condition replaces
    # A condition that sends the item to another category drops the item's own steps (they prepare it
    # for the old bin: "반환해 보증금을 받습니다" for a bottle that is now broken) unless this is set.
    keep_steps: bool = False
    # When it sends the item to another category: that category's common steps that do not apply to this
    # item (a metal grater is not rinsed like a can).
    skip_common: tuple[Annotated[int, Field(ge=1)], ...] = ()

    @field_validator("when")
    @classmethod
    def _known_state(cls, when: dict[str, str | bool]) -> dict[str, str | bool]:
        for key, value in when.items():
            if key not in STATE_VALUES:
                raise ValueError(f"unknown state key {key!r} (allowed: {', '.join(STATE_VALUES)})")
            allowed = STATE_VALUES[key]
            # bool is an int subclass and "true" is a str: compare types as well as values.
            expect_bool = True in allowed
            if isinstance(value, bool) != expect_bool or value not in allowed:
                shown = ", ".join(sorted(str(a).lower() for a in allowed))
                raise ValueError(f"{key}={value!r} is not a valid value (allowed: {shown})")
        return when

    @model_validator(mode="after")
    def _has_effect(self) -> Condition:
        if not (self.add_steps or self.note or self.official_category or self.channel or self.route
                or self.warning or self.drop_steps):
            raise ValueError(f"condition {self.id!r} changes nothing (no add_steps, note or override)")
        if self.official_category in NON_RECYCLABLE_CATEGORIES and self.route not in (None, "dispose"):
            raise ValueError(f"condition {self.id!r}: {self.official_category} ends in a bag (route dispose)")
        if self.skip_common and not self.official_category:
            raise ValueError(f"condition {self.id!r}: skip_common is for the category it moves the item to")
        if self.is_case and self.official_category and not self.case:
            raise ValueError(f"condition {self.id!r} picks a category by {', '.join(self.when)}: it needs `case`, "
                             "the one line the answer shows when the question does not say")
        return self

    @property
    def is_case(self) -> bool:
        """Keyed only on material, size or amount: one of several official cases."""
        return set(self.when) <= CASE_KEYS

    def matches(self, state: ItemState) -> bool:
        """True when every ``when`` key equals the state's value (unknown never matches)."""
        return all(getattr(state, key) == value for key, value in self.when.items())


class NotThis(_Doc):
    """A look-alike that does NOT go with this item, and where it goes instead."""

    name: Name
    item_id: Slug | None = None
    goes_to: OfficialCategory
    why: Text | None = None


class ItemDoc(_Doc):
    """One item document, ``rules/{item_id}.json``."""

    schema_version: Literal[1]
    item_id: Slug
    name: Name
    aliases: tuple[Name, ...] = ()
    official_category: OfficialCategory
    category_doc: Slug | None = None
    channel: Text
    route: Route | None = None  # default: DEFAULT_ROUTE of the category
    # 1-based indexes of the category document's common steps that do not apply to this item
    # ("상자는 펼쳐서" is not for a paper cup; "물로 헹굽니다" not for a butane can).
    skip_common: tuple[Annotated[int, Field(ge=1)], ...] = ()
    warning: Text | None = None  # a safety warning for the item whatever its state (needles, lithium cells)
    steps: tuple[Text, ...] = ()
    conditions: tuple[Condition, ...] = ()
    not_this: tuple[NotThis, ...] = ()
    region_dependent: bool = False
    region_note: Text | None = None
    conflict_note: Text | None = None
    sources: tuple[Source, ...] = Field(min_length=1)
    confidence: Literal["high", "low"] = "high"

    @model_validator(mode="after")
    def _consistent(self) -> ItemDoc:
        problems: list[str] = []
        if self.official_category in NON_RECYCLABLE_CATEGORIES and self.route not in (None, "dispose"):
            problems.append(f"{self.official_category} items end in a bag: route must be dispose")
        if self.region_dependent and not self.region_note:
            problems.append("region_dependent=true needs a region_note")
        if not self.steps and not self.category_doc:
            problems.append("no steps and no category_doc: the item would have no instructions")
        for cond in self.conditions:
            if any(n > len(self.steps) for n in cond.drop_steps):
                problems.append(f"condition {cond.id!r}: drop_steps {list(cond.drop_steps)} beyond the "
                                f"{len(self.steps)} item steps")
        ids = [c.id for c in self.conditions]
        if len(ids) != len(set(ids)):
            problems.append(f"duplicate condition ids: {sorted({i for i in ids if ids.count(i) > 1})}")
        if self.name in self.aliases:
            problems.append(f"alias repeats the name {self.name!r}")
        if len(self.aliases) != len(set(self.aliases)):
            problems.append("duplicate aliases")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def names(self) -> tuple[str, ...]:
        """The canonical name followed by the aliases."""
        return (self.name, *self.aliases)

    @property
    def default_route(self) -> Route:
        """Where the item ends in its default case."""
        return self.route or DEFAULT_ROUTE[self.official_category]


class CategoryDoc(_Doc):
    """One shared category document, ``rules/categories/{slug}.json``."""

    schema_version: Literal[1]
    slug: Slug
    official_category: OfficialCategory
    name: Name
    channel: Text
    includes: tuple[Text, ...] = ()  # what belongs, in everyday words: the answer to "종이 어떻게 버려요?"
    common_steps: tuple[Text, ...] = ()
    not_accepted: tuple[Text, ...] = ()
    region_dependent: bool = False
    region_note: Text | None = None
    sources: tuple[Source, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> CategoryDoc:
        if self.region_dependent and not self.region_note:
            raise ValueError("region_dependent=true needs a region_note")
        return self


def describe_errors(errors: list[Any]) -> list[str]:
    """Flatten pydantic error dicts into ``field.path: message`` lines."""
    lines = []
    for err in errors:
        loc = ".".join(str(p) for p in err.get("loc", ())) or "(document)"
        msg = str(err.get("msg", "")).removeprefix("Value error, ")
        lines.append(f"{loc}: {msg}")
    return lines
