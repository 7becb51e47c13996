"""The national item dictionary (MOE-GUIDE open data) as a yardstick for the knowledge base.

``rules/reference/moe_dictionary.jsonl`` keeps only the dictionary's facts that we measure against: each
entry's name, the ministry's category paths and its similar items (no sentences of the ministry's text).
:func:`path_code` maps a ministry category path onto our 18 official codes (the table is documented in
``docs/rules-format.md``); :func:`coverage` runs every dictionary name through the resolver the way
``bunri ask "<name> 어떻게 버려요?"`` does and says whether it lands on a document of the right code.

Example::

    entries = load_dictionary(Path("rules/reference/moe_dictionary.jsonl"))
    report = coverage(catalog, entries)
    report.resolved, report.right, len(report.rows)
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from streams.rules.text import compact
from streams.rules.vocab import CATEGORY_WORDS

if TYPE_CHECKING:
    from streams.rules.catalog import RulesCatalog
    from streams.rules.resolution import Resolution

__all__ = ["DICTIONARY_FILE", "DictEntry", "CoverageReport", "CoverageRow", "coverage", "load_dictionary",
           "path_code"]

#: Where the dictionary lives, relative to the rules directory.
DICTIONARY_FILE = Path("reference") / "moe_dictionary.jsonl"

# The ministry's path (its most specific element wins) → our code. Order matters: first match.
_PATH_CODES: tuple[tuple[str, str], ...] = (
    ("무색페트병", "무색페트병"),
    ("종이팩", "종이팩"),
    ("발포합성수지", "발포합성수지"),
    ("합성수지 비닐류", "비닐류"),
    ("합성수지", "플라스틱류"),
    ("금속류", "금속류"),
    ("빈용기보증금", "유리병"),
    ("유리병", "유리병"),
    ("의류 및 원단", "의류및원단"),
    ("전지류", "전지"),
    ("조명제품", "조명제품"),
    ("전기전자", "전기전자제품"),
    ("종이", "종이"),
    ("생활계 유해폐기물", "생활계유해폐기물"),
    ("음식물류폐기물", "음식물류폐기물"),
    ("불연성종량제폐기물", "불연성종량제폐기물"),
    ("일반종량제폐기물", "일반종량제폐기물"),
    ("대형폐기물", "대형폐기물"),
    ("공사장 생활폐기물", "공사장생활폐기물"),
)


def path_code(path: list[str] | tuple[str, ...]) -> str | None:
    """Our official code for one ministry category path; None for the bare "재활용폐기물" (any recyclable)."""
    for element in reversed(path):
        for needle, code in _PATH_CODES:
            if needle in element:
                return code
    return None


@dataclass(frozen=True)
class DictEntry:
    """One dictionary entry: its name, the codes of its category paths (in the ministry's order)."""

    id: str
    name: str
    codes: tuple[str, ...]
    similar: tuple[str, ...] = ()

    @property
    def several(self) -> bool:
        """The ministry lists more than one category: it depends on material, size or amount."""
        return len(set(self.codes)) > 1


def load_dictionary(path: Path) -> list[DictEntry]:
    """Read the dictionary file (one JSON object per line)."""
    entries: list[DictEntry] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        codes = tuple(dict.fromkeys(c for p in row["categoryPaths"] if (c := path_code(p))))
        entries.append(DictEntry(row["id"], row["name"], codes, tuple(row.get("similarItems", ()))))
    return entries


@dataclass(frozen=True)
class CoverageRow:
    entry: DictEntry
    item_id: str | None  # None: the resolver asked back or found nothing
    code: str | None  # the document's own official_category
    case_codes: tuple[str, ...]  # codes reachable through the document's case conditions

    @property
    def resolved(self) -> bool:
        return self.item_id is not None

    @property
    def right(self) -> bool:
        """The document's default code is one of the ministry's codes for this name."""
        return self.code is not None and (self.code in self.entry.codes or not self.entry.codes)

    @property
    def cases_complete(self) -> bool:
        """Every code the ministry lists is the document's default or one of its stated cases."""
        reachable = {self.code, *self.case_codes}
        return all(c in reachable for c in self.entry.codes)


@dataclass
class CoverageReport:
    rows: list[CoverageRow] = field(default_factory=list)

    @property
    def resolved(self) -> int:
        return sum(r.resolved for r in self.rows)

    @property
    def right(self) -> int:
        return sum(r.right for r in self.rows)

    def wrong(self) -> list[CoverageRow]:
        return [r for r in self.rows if not r.right]


def _names_category(name: str, res: Resolution) -> bool:
    """The name is made only of words for one category ("조명제품", "의류, 원단")."""
    cats = {m.top.official_category for m in res.mentions}
    if len(cats) != 1 or any(m.top.item_id for m in res.mentions):
        return False
    words = {compact(w) for ws in CATEGORY_WORDS.values() for w in ws} | {compact(c) for c in CATEGORY_WORDS}
    return all(compact(part) in words for part in re.split(r"[\s,·/]+", name) if part)


def coverage(catalog: RulesCatalog, entries: list[DictEntry]) -> CoverageReport:
    """Resolve "<name> 어떻게 버려요?" for every entry, as the offline path reads a question."""
    report = CoverageReport()
    for entry in entries:
        res = catalog.resolve(f"{entry.name} 어떻게 버려요?")
        best = None if res.needs_clarification else res.best
        if best is not None and best.item_id is None and _names_category(entry.name, res):
            # The dictionary's name is itself a category word ("조명제품", "금속"): category guidance is
            # the answer. Any other name must reach an item document.
            report.rows.append(CoverageRow(entry, f"({best.official_category})", best.official_category, ()))
            continue
        doc = catalog.get(best.item_id) if best is not None and best.item_id else None
        if doc is None:
            report.rows.append(CoverageRow(entry, None, None, ()))
            continue
        cases = tuple(c.official_category for c in doc.conditions if c.official_category)
        report.rows.append(CoverageRow(entry, doc.item_id, doc.official_category, cases))
    return report
