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
import importlib
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from pydantic import ValidationError

from streams.contracts import ItemGuidance, ItemState, MatchKind, SourceRef
from streams.rules import apply as _apply
from streams.rules.crosscheck import cross_check
from streams.rules.legend import read_legend
from streams.rules.model import CATEGORY_SLUGS, CategoryDoc, ItemDoc, describe_errors
from streams.rules.resolution import Resolution
from streams.rules.resolver import Resolver
from streams.rules.text import compact

__all__ = ["RulesCatalog", "RulesError", "CatalogStats"]


#: Loader hooks: subfolders of rules/ that hold other kinds of documents, each read by its own package once
#: the items and categories are in (``rules/*.json`` at the top level are items; ``categories/`` is read here).
#: A hook is ``load_folder(folder, *, items, categories, source_keys) -> (documents, files read, problems)``;
#: its documents are :meth:`RulesCatalog.documents` of the folder and its files count in the version.
SUBFOLDER_LOADERS: dict[str, str] = {"regions": "streams.regions.overrides:load_folder"}


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
    distinct_names: int  # after removing spaces: what the resolver can tell apart
    routes: dict[str, int]


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
                 path: Path | None = None, legend: Mapping[str, SourceRef] | None = None,
                 extras: Mapping[str, Mapping[str, Any]] | None = None) -> None:
        self._legend: Mapping[str, SourceRef] = MappingProxyType(dict(legend or {}))
        self._extras = MappingProxyType({k: MappingProxyType(dict(v)) for k, v in (extras or {}).items()})
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
        legend = read_legend(sources_file or root.parent / "docs" / "sources.md")
        keys = None if legend is None else frozenset(legend)
        problems.extend(cross_check(items, categories, keys))
        extras, extra_files = _load_subfolders(root, items, categories, keys, problems)
        if problems:
            raise RulesError(problems)
        catalog = cls(items, categories, version=_version(root, item_files + category_files + extra_files),
                      path=root, legend=legend, extras=extras)
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

    def documents(self, folder: str) -> Mapping[str, Any]:
        """The documents a loader hook read from ``rules/{folder}/`` (see :data:`SUBFOLDER_LOADERS`), by key."""
        return self._extras.get(folder, MappingProxyType({}))

    def get(self, item_id: str) -> ItemDoc | None:
        """The item document, or None when the id is not in the catalogue."""
        return self._items.get(item_id)

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._items

    def category_doc(self, code: str) -> CategoryDoc | None:
        """The default category document of an official category code (docs/rules-format.md table)."""
        return self._by_code.get(code)

    def refs(self, what: ItemDoc | CategoryDoc | tuple[str, ...]) -> list[SourceRef]:
        """A document's sources (or bare keys) on the wire, with title and URL from the legend."""
        own = [s.ref() for s in what.sources] if not isinstance(what, tuple) else [SourceRef(key=k) for k in what]
        out = []
        for ref in own:
            known = self._legend.get(ref.key)
            if known is not None:
                ref = ref.model_copy(update={"url": ref.url or known.url, "title": ref.title or known.title})
            out.append(ref)
        return out

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
            distinct_names=len({compact(n) for d in self._items.values() for n in d.names()}),
            routes=dict(Counter(d.default_route for d in self._items.values()).most_common()),
        )


def _load_subfolders(root: Path, items: Mapping[str, ItemDoc], categories: Mapping[str, CategoryDoc],
                     source_keys: frozenset[str] | None,
                     problems: list[str]) -> tuple[dict[str, Mapping[str, Any]], list[Path]]:
    extras: dict[str, Mapping[str, Any]] = {}
    files: list[Path] = []
    for folder, target in SUBFOLDER_LOADERS.items():
        module, _, function = target.partition(":")
        load = getattr(importlib.import_module(module), function)  # imported here: the hook's package reads rules
        docs, read, found = load(root / folder, items=items, categories=categories, source_keys=source_keys)
        extras[folder] = docs
        files += read
        problems += found
    return extras, files


def _version(root: Path, files: list[Path]) -> str:
    digest = hashlib.sha256()
    for file in sorted(files, key=lambda f: f.relative_to(root).as_posix()):
        digest.update(file.relative_to(root).as_posix().encode())
        digest.update(b"\0")
        digest.update(file.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:12]
