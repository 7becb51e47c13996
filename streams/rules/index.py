"""The name index the resolver matches against, built once per catalogue.

Keys are compacted names (:func:`streams.rules.text.compact`): every item name and alias, plus
*derived* keys so people need not type our exact spelling:

- the name without its parenthetical qualifier ("컵라면 용기(종이)" → "컵라면용기", qualifier "종이");
  several items may share such a key, which is how "컵라면 용기" becomes an ambiguous mention;
- each part of a "·"-joined name ("냄비·프라이팬" → "냄비", "프라이팬");
- category words (:data:`streams.rules.vocab.CATEGORY_WORDS`, category codes and category-doc names),
  unless an item name or alias already owns the key.

Real names and aliases win over category words, and category words over derived keys (a derived "비닐"
from "PVC 랩·비닐" must not hide the category word "비닐").

A *partial* index maps every proper prefix and suffix (two letters or more) of a key to what the key
names, for words that are only part of a name: "쭈쭈바" (of "쭈쭈바 용기"), "장갑" (of "고무장갑",
"비닐장갑"…).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from streams.rules.model import CategoryDoc, ItemDoc
from streams.rules.text import compact, jamo
from streams.rules.vocab import CATEGORY_WORDS, SPELLINGS

__all__ = ["Entry", "NameIndex"]

EntryKind = Literal["name", "alias", "derived", "category"]

_PAREN = re.compile(r"[\(\[]([^\)\]]*)[\)\]]")
_SPLIT = re.compile(r"[·・/,]")


@dataclass(frozen=True)
class Entry:
    """What one key points to: an item (name, alias, derived) or a whole category."""

    item_id: str | None
    category: str
    kind: EntryKind
    label: str
    qualifier: str = ""


def _derived(name: str) -> list[tuple[str, str]]:
    """(key, qualifier) pairs derived from one name; the qualifier is the parenthetical text."""
    out: list[tuple[str, str]] = []
    qualifier = compact(" ".join(_PAREN.findall(name)))
    base = _PAREN.sub(" ", name)
    if qualifier and len(compact(base)) >= 2:
        out.append((compact(base), qualifier))
    parts = [p for p in _SPLIT.split(base) if p.strip()]
    if len(parts) > 1:
        out.extend((compact(p), qualifier) for p in parts if compact(p))
    return out


class NameIndex:
    """Exact keys → entries, and the jamo forms of the keys for fuzzy matching."""

    def __init__(self, items: Mapping[str, ItemDoc], categories: Mapping[str, CategoryDoc]) -> None:
        keys: dict[str, list[Entry]] = {}
        self.names_of: dict[str, tuple[str, ...]] = {
            doc.item_id: tuple(dict.fromkeys(compact(n) for n in doc.names())) for doc in items.values()}
        for doc in items.values():
            for i, name in enumerate(doc.names()):
                entry = Entry(doc.item_id, doc.official_category, "name" if i == 0 else "alias", doc.name)
                bucket = keys.setdefault(compact(name), [])
                if not any(e.item_id == doc.item_id for e in bucket):
                    bucket.append(entry)
        derived: dict[str, list[Entry]] = {}
        for doc in items.values():
            for name in doc.names():
                for key, qualifier in _derived(name):
                    if key in keys:
                        continue
                    bucket = derived.setdefault(key, [])
                    if not any(e.item_id == doc.item_id for e in bucket):
                        entry = Entry(doc.item_id, doc.official_category, "derived", doc.name, qualifier)
                        bucket.append(entry)
        for code, words in CATEGORY_WORDS.items():
            names = {*words, code, *(c.name for c in categories.values() if c.official_category == code)}
            for word in names:
                key = compact(word)
                if key and key not in keys:
                    keys[key] = [Entry(None, code, "category", code)]
        for key, entries in derived.items():
            keys.setdefault(key, entries)
        self.keys: dict[str, tuple[Entry, ...]] = {k: tuple(v) for k, v in keys.items() if k}
        self._add_spellings()
        self.partial = self._partial()
        # A derived key that is also the tail of other items' names ("장갑" of "목도리·장갑" and of
        # "고무장갑") names all of them: the match is then ambiguous instead of confidently one item.
        for key, entries in derived.items():
            if self.keys.get(key) is not None and self.keys[key][0].kind == "derived":
                mine = {e.item_id for e in entries}
                others = [e for e in self.partial.get(key, ()) if e.item_id and e.item_id not in mine]
                if others:
                    self.keys[key] = (*entries, *(Entry(e.item_id, e.category, "derived", e.label)
                                                  for e in others))
        self.max_len = max((len(k) for k in self.keys), default=1)
        # Fuzzy matching runs on letters (jamo), over keys of two syllables or more.
        self.fuzzy_keys: list[str] = [k for k in self.keys if len(k) >= 2]
        self.fuzzy_jamo: list[str] = [jamo(k) for k in self.fuzzy_keys]

    def _add_spellings(self) -> None:
        """Every key again with the everyday spelling of its loanword ("알미늄캔" → 알루미늄 캔's entries); a
        spelling that is already a key of its own keeps its own meaning."""
        added: dict[str, tuple[Entry, ...]] = {}
        for key, entries in self.keys.items():
            for canonical, variants in SPELLINGS.items():
                if canonical in key:
                    for variant in variants:
                        if len(spelled := key.replace(canonical, variant)) >= 2:
                            added.setdefault(spelled, entries)
        for key, entries in added.items():
            self.keys.setdefault(key, entries)

    def _partial(self) -> dict[str, tuple[Entry, ...]]:
        partial: dict[str, dict[tuple[str | None, str], Entry]] = {}
        for key, entries in self.keys.items():
            if len(key) < 3:
                continue
            for cut in range(2, len(key)):
                for part in (key[:cut], key[-cut:]):
                    owner = self.keys.get(part)
                    if owner is not None and owner[0].kind != "derived":
                        continue
                    bucket = partial.setdefault(part, {})
                    for e in entries:
                        bucket.setdefault((e.item_id, e.category), e)
        return {k: tuple(v.values()) for k, v in partial.items()}

    def __len__(self) -> int:
        return len(self.keys)
