"""Content checks that a schema cannot express: repeated steps and look-alikes that point at themselves.

A step repeats another when, after dropping punctuation and spaces, the two are near-identical
(:data:`SIMILAR` on rapidfuzz's ratio) or one contains the other whole. Compared within one document: the
category document's common steps, the item's steps and every condition's ``add_steps`` — a reader gets
them in one answer, so saying the same action twice is noise (and, worse, often a contradiction once
one copy is edited). Two conditions' steps are not compared with each other: only one of two exclusive
conditions ever applies.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from rapidfuzz import fuzz

from streams.rules.model import CATEGORY_SLUGS, CategoryDoc, ItemDoc

__all__ = ["SIMILAR", "lint_category", "lint_item", "near_duplicates"]

#: rapidfuzz ratio (0–100) at or above which two steps say the same thing.
SIMILAR = 85
_MIN_CONTAINED = 12  # a contained step shorter than this ("헹굽니다") is too generic to call a repeat
_NOISE = re.compile(r"[\s.,·!?'\"()\[\]~…-]+")
# Sentence endings carry politeness, not the action: "헹굽니다" and "헹궈요" are one step.
_ENDING = re.compile(r"(?:습니다|니다|세요|어요|아요|해요|요|다)$")


def _key(text: str) -> str:
    return _ENDING.sub("", _NOISE.sub("", text))


def near_duplicates(steps: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Pairs of (where, text) labels whose texts repeat each other, as ``"where: text"`` strings."""
    seen: list[tuple[str, str, str]] = []
    found: list[tuple[str, str]] = []
    for where, text in steps:
        key = _key(text)
        for other_where, other_text, other_key in seen:
            if where.split(":")[0] == other_where.split(":")[0] == "cond" and where != other_where:
                continue  # different conditions: only one applies at a time
            short, long_ = sorted((key, other_key), key=len)
            same = fuzz.ratio(key, other_key) >= SIMILAR or (len(short) >= _MIN_CONTAINED and short in long_)
            if same:
                found.append((f"{other_where}: {other_text}", f"{where}: {text}"))
        seen.append((where, text, key))
    return found


def lint_item(doc: ItemDoc, categories: Mapping[str, CategoryDoc]) -> list[str]:
    """Problems in one item document: repeated steps, self-pointing look-alikes."""
    problems: list[str] = []
    where = f"{doc.item_id}.json"
    steps: list[tuple[str, str]] = []
    cat = categories.get(doc.category_doc) if doc.category_doc else None
    if cat is not None:
        steps += [(f"category:{cat.slug}", s) for s in cat.common_steps]
    steps += [("steps", s) for s in doc.steps]
    for cond in doc.conditions:
        steps += [(f"cond:{cond.id}", s) for s in cond.add_steps]
    for cond in doc.conditions:  # a condition that moves the item: its steps against the new category's
        dest = categories.get(CATEGORY_SLUGS.get(cond.official_category or "", ""))
        if dest is not None and cond.official_category != doc.official_category and cond.add_steps:
            moved = [(f"category:{dest.slug}", s) for i, s in enumerate(dest.common_steps, 1)
                     if i not in cond.skip_common]
            moved += [(f"cond:{cond.id}", s) for s in cond.add_steps]
            problems += [f"{where}: step repeats another — [{a}] ~ [{b}]" for a, b in near_duplicates(moved)
                         if not (a.startswith("category:") and b.startswith("category:"))]
        if dest is not None and any(n > len(dest.common_steps) for n in cond.skip_common):
            problems.append(f"{where}: condition {cond.id!r} skip_common beyond the {len(dest.common_steps)} "
                            f"common steps of categories/{dest.slug}.json")
    for first, second in near_duplicates(steps):
        if first.startswith("category:") and second.startswith("category:"):
            continue  # the category document's own problem, reported once by lint_category
        problems.append(f"{where}: step repeats another — [{first}] ~ [{second}]")
    own = {_key(n) for n in doc.names()}
    for i, other in enumerate(doc.not_this):
        if other.item_id == doc.item_id or _key(other.name) in own:
            problems.append(f"{where}: not_this[{i}] {other.name!r} is the item itself")
    return problems


def lint_category(cat: CategoryDoc) -> list[str]:
    """Repeated common steps within one category document."""
    pairs = near_duplicates([("common", s) for s in cat.common_steps])
    return [f"categories/{cat.slug}.json: step repeats another — [{a}] ~ [{b}]" for a, b in pairs]
