"""Category accuracy of the offline path over the labelled questions (``tests/data/labelled/*.jsonl``).

Each line: ``{"id", "question", "accepted": [category codes], "item_id"}``. A question counts as right
when the offline path (:func:`streams.offline.analyse_text` → rules applied to the primary item) ends
in one of the accepted categories; a clarification counts as wrong. Shared by the unit test and
``bench/eval_labelled.py``.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from streams.rules.catalog import RulesCatalog

__all__ = ["BUCKETS", "Labelled", "Outcome", "Report", "evaluate", "labelled_files", "load_labelled", "reliability"]


@dataclass(frozen=True)
class Labelled:
    id: str
    question: str
    accepted: tuple[str, ...]
    item_id: str | None
    needs_clarification: bool = False  # a vague question: asking back is the right answer
    cls: str | None = None  # the class of question it tests ("negation", "removed_part", ...), if labelled


@dataclass(frozen=True)
class Outcome:
    case: Labelled
    category: str | None  # None: the offline path asked for clarification
    item_id: str | None
    match: str
    confidence: float = 0.0  # the analysis' confidence for the primary item

    @property
    def correct(self) -> bool:
        if self.case.needs_clarification:
            return self.category is None
        return self.category in self.case.accepted

    @property
    def needless_clarification(self) -> bool:
        return self.category is None and not self.case.needs_clarification


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return sum(o.correct for o in self.outcomes) / len(self.outcomes) if self.outcomes else 0.0

    def per_category(self) -> dict[str, tuple[int, int]]:
        """Expected category (first accepted) → (right, total)."""
        table: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for o in self.outcomes:
            row = table[o.case.accepted[0] if o.case.accepted else "(ask back)"]
            row[0] += o.correct
            row[1] += 1
        return {k: (v[0], v[1]) for k, v in sorted(table.items(), key=lambda kv: -kv[1][1])}

    def wrong(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.correct]

    @property
    def needless_rate(self) -> float:
        """Share of questions that name an item but got a clarification question."""
        named = [o for o in self.outcomes if not o.case.needs_clarification]
        return sum(o.needless_clarification for o in named) / len(named) if named else 0.0

    def per_class(self) -> dict[str, tuple[int, int]]:
        """Question class → (right, total), for sets that label classes."""
        table: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for o in self.outcomes:
            if o.case.cls:
                table[o.case.cls][0] += o.correct
                table[o.case.cls][1] += 1
        return {k: (v[0], v[1]) for k, v in sorted(table.items())}

    def table(self) -> str:
        """The per-category table and the overall line, as text."""
        lines = [f"{'category':<14}{'right':>7}{'total':>7}{'acc':>8}"]
        for code, (right, total) in self.per_category().items():
            lines.append(f"{code:<14}{right:>7}{total:>7}{right / total:>8.1%}")
        right = sum(o.correct for o in self.outcomes)
        lines.append(f"{'overall':<14}{right:>7}{len(self.outcomes):>7}{self.accuracy:>8.1%}")
        asked = sum(o.category is None for o in self.outcomes)
        vague = [o for o in self.outcomes if o.case.needs_clarification]
        share = asked / max(len(self.outcomes), 1)
        lines.append(f"clarifications asked: {asked} of {len(self.outcomes)} ({share:.1%}); "
                     f"needed: {sum(o.category is None for o in vague)} of {len(vague)} vague questions asked back")
        lines.append(f"needless clarifications: {self.needless_rate:.1%} of questions that name an item")
        for cls, (ok, total) in self.per_class().items():
            lines.append(f"  class {cls:<16}{ok:>4}/{total:<4}{ok / total:>7.1%}")
        return "\n".join(lines)


#: Confidence buckets of the reliability table (lower edges).
BUCKETS = (0.0, 0.5, 0.7, 0.8, 0.9, 0.95, 1.0)


def reliability(outcomes: list[Outcome]) -> list[tuple[str, int, float]]:
    """(bucket, answered questions in it, share right), answers only; clarifications have no confidence."""
    rows = []
    answered = [o for o in outcomes if o.category is not None]
    for lo, hi in zip(BUCKETS, (*BUCKETS[1:], 1.01), strict=True):
        inside = [o for o in answered if lo <= o.confidence < hi]
        label = f"{lo:.2f}" if lo == 1.0 else f"[{lo:.2f}, {hi:.2f})"
        rows.append((label, len(inside), sum(o.correct for o in inside) / len(inside) if inside else 0.0))
    high = [o for o in answered if o.confidence >= 0.9]
    rows.append(("≥ 0.90", len(high), sum(o.correct for o in high) / len(high) if high else 0.0))
    return rows


def labelled_files(where: Path | str) -> list[Path]:
    """The ``.jsonl`` files named by a directory (all its ``*.jsonl``), a file, or a glob pattern."""
    path = Path(where)
    if path.is_dir():
        return sorted(path.glob("*.jsonl"))
    if path.is_file():
        return [path]
    anchor = Path(path.anchor) if path.is_absolute() else Path()
    return sorted(anchor.glob(str(path.relative_to(anchor)))) if path.parts else []


def load_labelled(where: Path | str) -> list[Labelled]:
    """Every labelled question in a directory's ``*.jsonl``, one file, or a glob (blank lines skipped)."""
    cases: list[Labelled] = []
    for file in labelled_files(where):
        for line in file.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                cases.append(Labelled(row["id"], row["question"], tuple(row["accepted"]), row.get("item_id"),
                                      bool(row.get("needs_clarification", False)), row.get("class")))
    return cases


def evaluate(catalog: RulesCatalog, cases: list[Labelled]) -> Report:
    """Run the offline path on every case."""
    from streams.offline import analyse_text

    report = Report()
    for case in cases:
        analysis = analyse_text(case.question, catalog)
        if analysis.needs_clarification or not analysis.items:
            report.outcomes.append(Outcome(case, None, None, "clarification"))
            continue
        item = analysis.items[0]
        if item.item_id:
            guidance = catalog.apply(item.item_id, item.state, match=item.match)
        else:
            guidance = catalog.apply_category(item.official_category or "", item.state)
        report.outcomes.append(Outcome(case, guidance.official_category, item.item_id, item.match,
                                       analysis.confidence))
    return report
