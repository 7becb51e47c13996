"""District overrides: ``rules/regions/{code}.json``, one document per 시·군·구 whose own rules we know.

An override names what it applies to (official ``categories`` and/or ``items``), says the district's rule
in one sentence that names the district ("강남구 단독주택은 목요일에 …"), and lists the national rules it
contradicts by rule id (``replaces``: ``{slug}:common:{n}``, ``{item_id}:step:{n}``); those go, the district's
sentence comes in their place. It may send the item to another bin (``official_category``, ``channel``),
or be the district's schedule for the stream (``schedule``: the answer's district line). ``housing``
limits it to 단독주택 (``detached``) or 공동주택 (``apartment``): when the question does not say, a schedule
override is still shown (its sentence says whom it is for) but the national step stays.

The catalogue reads the folder through :func:`load_folder` (its loader hook for ``rules/regions/``), so
``bunri rules check`` validates these documents with everything else: schema, file name = code = a
district of the table, items and rule ids that exist, source keys in ``docs/sources.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from streams.contracts import OfficialCategory
from streams.regions.table import district_table
from streams.rules.model import CategoryDoc, ItemDoc, Slug, Source, Text, describe_errors

__all__ = ["RegionDoc", "RegionOverride", "load_folder"]


class _Doc(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


class RegionOverride(_Doc):
    """One rule of one district (see the module docstring)."""

    id: Slug
    categories: tuple[OfficialCategory, ...] = ()
    items: tuple[Slug, ...] = ()
    housing: Literal["detached", "apartment"] | None = None
    schedule: bool = False
    text: Text
    replaces: tuple[str, ...] = ()
    official_category: OfficialCategory | None = None
    channel: Text | None = None
    sources: tuple[Source, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> RegionOverride:
        problems = []
        if not self.categories and not self.items:
            problems.append("names neither categories nor items")
        if self.official_category and self.schedule:
            problems.append("a schedule cannot also send the item to another bin")
        if self.official_category and self.housing:
            problems.append("an override that changes the bin cannot depend on housing (the question may not say)")
        if self.channel and not self.official_category:
            problems.append("channel is for an override that changes the bin (official_category)")
        if problems:
            raise ValueError(f"override {self.id!r}: " + "; ".join(problems))
        return self

    def applies_to(self, item_id: str | None, category: str | None) -> bool:
        return (item_id is not None and item_id in self.items) or (category is not None and category in self.categories)


class RegionDoc(_Doc):
    """``rules/regions/{code}.json``."""

    schema_version: Literal[1]
    code: str = Field(pattern=r"^\d{5}$")
    sido: str
    sigungu: str
    overrides: tuple[RegionOverride, ...] = Field(min_length=1)


def _step_exists(rule_id: str, items: Mapping[str, ItemDoc], categories: Mapping[str, CategoryDoc]) -> str | None:
    """None when ``rule_id`` names an existing national step; else what is wrong with it."""
    owner, _, rest = rule_id.partition(":")
    kind, _, number = rest.partition(":")
    if not number.isdigit() or kind not in ("common", "step"):
        return "is not {slug}:common:{n} or {item_id}:step:{n}"
    n = int(number)
    if kind == "common":
        cat = categories.get(owner)
        if cat is None:
            return f"names no category document {owner!r}"
        return None if 1 <= n <= len(cat.common_steps) else f"is beyond the {len(cat.common_steps)} common steps"
    doc = items.get(owner)
    if doc is None:
        return f"names no item {owner!r}"
    return None if 1 <= n <= len(doc.steps) else f"is beyond the {len(doc.steps)} steps of {owner}.json"


def _reachable(rule_id: str, o: RegionOverride, items: Mapping[str, ItemDoc],
               categories: Mapping[str, CategoryDoc]) -> bool:
    """The replaced step can be in the guidance the override applies to."""
    owner, kind = rule_id.split(":")[:2]
    if kind == "step":
        return owner in o.items or items[owner].official_category in o.categories
    cat = categories[owner]
    return cat.official_category in o.categories or any(items[i].category_doc == owner for i in o.items if i in items)


def _check(doc: RegionDoc, stem: str, items: Mapping[str, ItemDoc], categories: Mapping[str, CategoryDoc],
           source_keys: frozenset[str] | None) -> list[str]:
    where = f"regions/{stem}.json"
    problems: list[str] = []
    district = district_table().get(doc.code)
    if doc.code != stem:
        problems.append(f"{where}: code {doc.code!r} must equal the file name")
    if district is None:
        problems.append(f"{where}: {doc.code} is not a 시·군·구 code of streams/regions/data/sigungu.tsv")
    elif (district.sido, district.sigungu) != (doc.sido, doc.sigungu):
        problems.append(f"{where}: {doc.code} is {district.name}, not {doc.sido} {doc.sigungu}")
    short = (doc.sigungu.split() or [doc.sido])[-1]
    ids = [o.id for o in doc.overrides]
    if len(ids) != len(set(ids)):
        problems.append(f"{where}: duplicate override ids")
    for o in doc.overrides:
        at = f"{where}: override {o.id!r}"
        if short not in o.text:
            problems.append(f"{at}: the text must name the district ({short}) so the answer says whose rule it is")
        problems += [f"{at}: item {i!r} is not a document" for i in o.items if i not in items]
        for rule_id in o.replaces:
            wrong = _step_exists(rule_id, items, categories)
            if wrong:
                problems.append(f"{at}: replaces {rule_id!r}, which {wrong}")
            elif not _reachable(rule_id, o, items, categories):
                problems.append(f"{at}: replaces {rule_id!r}, which no item it applies to has")
        if source_keys is not None:
            problems += [f"{at}: source key {s.key!r} is not in docs/sources.md" for s in o.sources
                         if s.key not in source_keys]
    return problems


def load_folder(folder: Path, *, items: Mapping[str, ItemDoc], categories: Mapping[str, CategoryDoc],
                source_keys: frozenset[str] | None) -> tuple[dict[str, Any], list[Path], list[str]]:
    """The catalogue's loader hook for ``rules/regions/``: (documents by code, files read, problems)."""
    docs: dict[str, Any] = {}
    problems: list[str] = []
    files = sorted(folder.glob("*.json")) if folder.is_dir() else []
    for file in files:
        try:
            doc = RegionDoc.model_validate_json(file.read_bytes())
        except ValidationError as exc:
            problems += [f"regions/{file.name}: {line}" for line in describe_errors(exc.errors())]
            continue
        problems += _check(doc, file.stem, items, categories, source_keys)
        docs[doc.code] = doc
    return docs, files, problems
