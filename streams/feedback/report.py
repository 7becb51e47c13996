"""The feedback report: what users corrected, and which questions ended in a clarification or no item.

Pure: it takes the decoded ``q.feedback`` and ``q.reply`` values (one feedback and one reply per query
count; later copies are dropped) and ranks what the content team should add or fix next.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from streams import contracts as c
from streams.cache import normalise_question

__all__ = ["Correction", "FeedbackReport", "Unresolved", "build_report", "render_text"]


@dataclass(frozen=True)
class Correction:
    """Users said the answer about ``answered`` was wrong; what they said it is, and how often."""

    answered: str  # "생수병 (무색페트병)" or "(항목 없음)"
    correct_category: str | None
    correct_item: str | None
    count: int
    examples: list[str]  # up to three questions


@dataclass(frozen=True)
class Unresolved:
    """A question (normalised) that the pipeline could not tie to one item."""

    question: str
    outcome: str  # "clarification" or "no_item"
    count: int
    candidates: list[str] = field(default_factory=list)  # the clarification's candidate items


@dataclass(frozen=True)
class FeedbackReport:
    feedback: int
    helpful: int
    not_helpful: int
    corrected: int
    comments: list[str]
    corrections: list[Correction]
    unresolved: list[Unresolved]
    replies: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def build_report(feedback: Iterable[c.Feedback], replies: Iterable[c.Answer | c.Failure], *,
                 top: int = 20) -> FeedbackReport:
    """Rank corrections (most frequent first) and unresolved questions from the two topics."""
    firsts = _first_per_query(feedback)
    helpful = sum(f.helpful for f in firsts)
    groups: dict[tuple[str, str | None, str | None], list[c.Feedback]] = defaultdict(list)
    for f in firsts:
        if f.correct_category or f.correct_item:
            groups[(_answered(f), f.correct_category, (f.correct_item or "").strip() or None)].append(f)
    corrections = [Correction(answered=k[0], correct_category=k[1], correct_item=k[2], count=len(v),
                              examples=_examples(x.question for x in v)) for k, v in groups.items()]
    corrections.sort(key=lambda x: (-x.count, x.answered))
    answers = [r for r in _first_per_query(replies) if isinstance(r, c.Answer)]
    return FeedbackReport(
        feedback=len(firsts), helpful=helpful, not_helpful=len(firsts) - helpful,
        corrected=sum(len(v) for v in groups.values()),
        comments=[f.comment for f in firsts if f.comment][:top],
        corrections=corrections[:top], unresolved=_unresolved(answers)[:top], replies=len(answers),
    )


def _first_per_query(values: Iterable[Any]) -> list[Any]:
    seen: set[Any] = set()
    out = []
    for value in values:
        if value.query_id not in seen:
            seen.add(value.query_id)
            out.append(value)
    return out


def _answered(f: c.Feedback) -> str:
    if f.answered_item is None:
        return "(항목 없음)"
    category = f" ({f.answered_item.official_category})" if f.answered_item.official_category else ""
    return f"{f.answered_item.name}{category}"


def _examples(questions: Iterable[str | None]) -> list[str]:
    return list(dict.fromkeys(q for q in questions if q))[:3]


def _unresolved(answers: list[c.Answer]) -> list[Unresolved]:
    counts: Counter[tuple[str, str]] = Counter()
    candidates: dict[tuple[str, str], list[str]] = {}
    for a in answers:
        outcome = "clarification" if a.needs_clarification else "no_item" if a.item is None else None
        if outcome is None:
            continue
        key = (normalise_question(a.question), outcome)
        counts[key] += 1
        if a.clarification and key not in candidates:
            candidates[key] = [x.name for x in a.clarification.candidates][:5]
    return [Unresolved(question=q, outcome=o, count=n, candidates=candidates.get((q, o), []))
            for (q, o), n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def render_text(report: FeedbackReport) -> str:
    """The report for a terminal (Korean content, English headings)."""
    lines = [f"feedback: {report.feedback} (helpful {report.helpful}, not helpful {report.not_helpful}, "
             f"with a correction {report.corrected}); answers read: {report.replies}", ""]
    lines.append("Corrections, most frequent first (answered -> what users say it is):")
    for x in report.corrections or []:
        said = " / ".join(p for p in (x.correct_category, x.correct_item and f"'{x.correct_item}'") if p)
        lines.append(f"  {x.count:>4}  {x.answered} -> {said}" + (f"   e.g. {x.examples[0]}" if x.examples else ""))
    if not report.corrections:
        lines.append("  (none)")
    lines += ["", "Questions that ended in a clarification or with no item (q.reply), most frequent first:"]
    for u in report.unresolved:
        extra = f"   candidates: {', '.join(u.candidates)}" if u.candidates else ""
        lines.append(f"  {u.count:>4}  [{u.outcome}] {u.question}{extra}")
    if not report.unresolved:
        lines.append("  (none)")
    if report.comments:
        lines += ["", "Comments:"] + [f"  - {comment}" for comment in report.comments]
    return "\n".join(lines)
