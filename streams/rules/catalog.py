"""The rules catalogue: every document under ``rules/``, validated together, with lookup and resolution.

:meth:`RulesCatalog.load` reads and checks everything and collects *all* problems before failing, so a
content writer sees the whole list at once (``bunri rules check``). A loaded catalogue is immutable:
the resolver's indexes are built once at load and shared by every call.

Example::

    catalog = RulesCatalog.load(Path("rules"))
    res = catalog.resolve("뚜껑 닫힌 생수병은 어떻게 버려요?")
    guidance = catalog.apply(res.candidates[0].item_id, res.state, match=res.candidates[0].match)
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from pydantic import ValidationError

from streams.contracts import ItemGuidance, ItemState, MatchKind
from streams.rules import apply as _apply
from streams.rules.model import CATEGORY_SLUGS, CategoryDoc, ItemDoc, describe_errors
from streams.rules.resolver import Resolution, Resolver
from streams.rules.text import compact

__all__ = ["RulesCatalog", "RulesError", "CatalogStats"]

_SOURCE_ROW = re.compile(r"^\|\s*([A-Z][A-Z0-9-]+)\s*\|", re.MULTILINE)


class RulesError(ValueError):
    """The rules documents are invalid; ``problems`` lists every problem found, one per line."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        shown = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{len(self.problems)} problem(s) in the rules documents:\n{shown}")


@dataclass(frozen=True)
class CatalogStats:
    """Counts for ``bunri rules stats``."""

    items: int
    categories: int
    names: int
    aliases: int
    per_category: dict[str, int]
    low_confidence: int
    conditions: int
    region_dependent: int


def read_source_keys(path: Path) -> frozenset[str] | None:
    """Source keys declared in ``docs/sources.md`` (first column of its table), or None without it."""
    if not path.is_file():
        return None
    return frozenset(_SOURCE_ROW.findall(path.read_text(encoding="utf-8")))


def _read(path: Path, model: type[ItemDoc] | type[CategoryDoc], root: Path, problems: list[str]) -> Any:
    rel = path.relative_to(root.parent) if root.parent in path.parents else path
    try:
        doc = model.model_validate_json(path.read_bytes())
    except ValidationError as exc:
        problems.extend(f"{rel}: {line}" for line in describe_errors(exc.errors()))
        return None
    except OSError as exc:
        problems.append(f"{rel}: cannot read: {exc}")
        return None
    return doc


class RulesCatalog:
    """All item and category documents, validated, with the resolver built over their names."""

    def __init__(self, items: dict[str, ItemDoc], categories: dict[str, CategoryDoc], *, version: str,
                 path: Path | None = None) -> None:
        self._items = MappingProxyType(dict(sorted(items.items())))
        self._categories = MappingProxyType(dict(sorted(categories.items())))
        self._by_code: dict[str, CategoryDoc] = {}
        for code, slug in CATEGORY_SLUGS.items():
            doc = categories.get(slug) or next(
                (c for c in self._categories.values() if c.official_category == code), None)
            if doc is not None:
                self._by_code[code] = doc
        self.version = version
        self.path = path
        self._resolver = Resolver(self._items, self._categories)

    # ---------------------------------------------------------------- loading

    @classmethod
    def load(cls, path: Path | str, *, sources_file: Path | None = None, warm: bool = True) -> RulesCatalog:
        """Read and validate ``path/*.json`` and ``path/categories/*.json``.

        Args:
            path: The rules directory.
            sources_file: The source legend; defaults to ``docs/sources.md`` next to the rules directory.
                Source keys are checked only when the file exists.
            warm: Load the Korean tokenizer now, so the first question is not the slow one.

        Raises:
            RulesError: listing every problem found (schema, ids, duplicate names, references, sources).
        """
        root = Path(path)
        if not root.is_dir():
            raise RulesError([f"{root}: not a directory"])
        problems: list[str] = []
        item_files = sorted(root.glob("*.json"))
        category_files = sorted((root / "categories").glob("*.json"))
        items: dict[str, ItemDoc] = {}
        categories: dict[str, CategoryDoc] = {}
        for file in category_files:
            cat = _read(file, CategoryDoc, root, problems)
            if cat is not None:
                if cat.slug != file.stem:
                    problems.append(f"categories/{file.name}: slug {cat.slug!r} must equal the file name")
                categories[cat.slug] = cat
        seen: dict[str, str] = {}
        for file in item_files:
            doc = _read(file, ItemDoc, root, problems)
            if doc is None:
                continue
            if doc.item_id != file.stem:
                problems.append(f"{file.name}: item_id {doc.item_id!r} must equal the file name")
            if doc.item_id in seen:
                problems.append(f"{file.name}: item_id {doc.item_id!r} already used by {seen[doc.item_id]}")
                continue
            seen[doc.item_id] = file.name
            items[doc.item_id] = doc
        keys = read_source_keys(sources_file or root.parent / "docs" / "sources.md")
        problems.extend(_cross_check(items, categories, keys))
        if problems:
            raise RulesError(problems)
        catalog = cls(items, categories, version=_version(root, item_files + category_files), path=root)
        if warm:
            catalog._resolver.warm_up()
        return catalog

    # ---------------------------------------------------------------- lookup

    @property
    def items(self) -> Mapping[str, ItemDoc]:
        """Item documents by item_id, sorted."""
        return self._items

    @property
    def categories(self) -> Mapping[str, CategoryDoc]:
        """Category documents by slug, sorted."""
        return self._categories

    def get(self, item_id: str) -> ItemDoc | None:
        """The item document, or None when the id is not in the catalogue."""
        return self._items.get(item_id)

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._items

    def category_doc(self, code: str) -> CategoryDoc | None:
        """The default category document of an official category code (docs/rules-format.md table)."""
        return self._by_code.get(code)

    def resolve(self, text: str) -> Resolution:
        """Free Korean text → ranked candidates, state, category hint (see :mod:`streams.rules.resolver`)."""
        return self._resolver.resolve(text)

    def apply(self, item_id: str, state: ItemState, *, match: MatchKind = "exact") -> ItemGuidance:
        """The guidance for one item in one state (see :mod:`streams.rules.apply`).

        Raises:
            RuleNotFound: the item_id is not in the catalogue.
        """
        return _apply.apply_item(self, item_id, state, match=match)

    def apply_category(self, category: str, state: ItemState) -> ItemGuidance:
        """Category-level guidance (``item_id=None``, ``match="category"``)."""
        return _apply.apply_category(self, category, state)

    def stats(self) -> CatalogStats:
        """Document, name and per-category counts."""
        per: Counter[str] = Counter(d.official_category for d in self._items.values())
        return CatalogStats(
            items=len(self._items),
            categories=len(self._categories),
            names=sum(len(d.names()) for d in self._items.values()),
            aliases=sum(len(d.aliases) for d in self._items.values()),
            per_category={code: per.get(code, 0) for code in CATEGORY_SLUGS},
            low_confidence=sum(d.confidence == "low" for d in self._items.values()),
            conditions=sum(len(d.conditions) for d in self._items.values()),
            region_dependent=sum(d.region_dependent for d in self._items.values()),
        )


def _version(root: Path, files: list[Path]) -> str:
    digest = hashlib.sha256()
    for file in sorted(files, key=lambda f: f.relative_to(root).as_posix()):
        digest.update(file.relative_to(root).as_posix().encode())
        digest.update(b"\0")
        digest.update(file.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:12]


def _cross_check(items: Mapping[str, ItemDoc], categories: Mapping[str, CategoryDoc],
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
