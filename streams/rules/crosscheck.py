"""Checks that need more than one document: unique names, references between documents, known sources.

:func:`cross_check` runs after every document passed its own schema (:mod:`streams.rules.model`); it also
runs the content checks of :mod:`streams.rules.lint` so ``bunri rules check`` reports everything at once.
"""

from __future__ import annotations

from collections.abc import Mapping

from streams.rules.lint import lint_category, lint_item
from streams.rules.model import CategoryDoc, ItemDoc
from streams.rules.text import compact

__all__ = ["cross_check"]


def cross_check(items: Mapping[str, ItemDoc], categories: Mapping[str, CategoryDoc],
                 source_keys: frozenset[str] | None) -> list[str]:
    """Problems that need more than one document: names, references, sources."""
    problems: list[str] = []
    owners: dict[str, tuple[str, str]] = {}
    for doc in items.values():
        mine: set[str] = set()
        for name in doc.names():
            key = compact(name)
            if not key:
                problems.append(f"{doc.item_id}.json: name {name!r} has no letters or digits")
                continue
            if key in mine:
                continue  # spacing variants of one name are fine within a document
            mine.add(key)
            if key in owners:
                other, other_name = owners[key]
                problems.append(f"{doc.item_id}.json: name/alias {name!r} duplicates {other_name!r} of "
                                f"{other}.json (names must be unique after removing spaces)")
            else:
                owners[key] = (doc.item_id, name)
    for doc in items.values():
        problems.extend(_references(doc, items, categories))
        problems.extend(lint_item(doc, categories))
    for cat in categories.values():
        problems.extend(lint_category(cat))
    if source_keys is not None:
        problems.extend(_unknown_sources(items, categories, source_keys))
    return problems


def _unknown_sources(items: Mapping[str, ItemDoc], categories: Mapping[str, CategoryDoc],
                     keys: frozenset[str]) -> list[str]:
    documents: list[tuple[str, ItemDoc | CategoryDoc]] = [
        *((f"{d.item_id}.json", d) for d in items.values()),
        *((f"categories/{c.slug}.json", c) for c in categories.values())]
    return [f"{where}: source key {src.key!r} is not in docs/sources.md"
            for where, doc in documents for src in doc.sources if src.key not in keys]


def _references(doc: ItemDoc, items: Mapping[str, ItemDoc],
                categories: Mapping[str, CategoryDoc]) -> list[str]:
    problems: list[str] = []
    where = f"{doc.item_id}.json"
    if doc.category_doc is not None:
        cat = categories.get(doc.category_doc)
        if cat is None:
            problems.append(f"{where}: category_doc {doc.category_doc!r} has no "
                            f"categories/{doc.category_doc}.json")
        elif cat.official_category != doc.official_category:
            problems.append(f"{where}: category_doc {doc.category_doc!r} is for {cat.official_category}, "
                            f"but the item is {doc.official_category}")
        elif any(n > len(cat.common_steps) for n in doc.skip_common):
            problems.append(f"{where}: skip_common {list(doc.skip_common)} beyond the {len(cat.common_steps)} "
                            f"common steps of categories/{cat.slug}.json")
    elif doc.skip_common:
        problems.append(f"{where}: skip_common without a category_doc")
    for i, other in enumerate(doc.not_this):
        if other.item_id is None:
            continue
        target = items.get(other.item_id)
        if target is None:
            problems.append(f"{where}: not_this[{i}].item_id {other.item_id!r} is not a document")
        elif target.official_category != other.goes_to:
            problems.append(f"{where}: not_this[{i}] says {other.item_id} goes to {other.goes_to}, "
                            f"but {other.item_id}.json says {target.official_category}")
    return problems
