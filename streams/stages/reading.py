"""What the text resolver makes of a question and its analysed items, for the rag stage.

The gpt5 stage has the Korean analyser loaded anyway (it resolves text questions and falls back to the
question's words), so it reads the question once more here and hands the result on in
``AnalysedQuery.reading``: the rag stage then only looks documents up, and its worker never loads the
analyser (~300 MB). Where the analyser is at hand (a process running the gpt5 stage too, tests) the rag
stage reads a message without one (an older producer) itself, with this same function.

What is read (the rag stage's rules, unchanged):

- the question's condition words (``state``), for single-item analyses only: with several items nobody
  knows which item "깨진" was about;
- for each item the catalogue does not list (and that is not a category-level item): its name, then name
  + description, then (single item) the question → an item (``alias``/``fuzzy``), or a fuzzy guess that
  contradicts the analysis's category (``disagrees``: answered by category), or only a category hint.

Example::

    reading = read_question(msg.analysis, msg.question, catalog)
"""

from __future__ import annotations

from typing import Any

from streams.contracts import DetectedItem, ItemState, NameReading, QuestionReading, VisionAnalysis

__all__ = ["read_question"]


def read_question(analysis: VisionAnalysis, question: str, catalog: Any) -> QuestionReading:
    """Read ``question`` and every unlisted item of ``analysis`` with ``catalog``'s resolver."""
    if not analysis.items or analysis.needs_clarification:
        return QuestionReading()  # nothing will be looked up
    single = len(analysis.items) == 1
    asked = catalog.resolve(question).state if single else ItemState()
    names = [_read_name(item, question if single else None, catalog) for item in analysis.items]
    return QuestionReading(state=asked, items=names)


def _read_name(item: DetectedItem, question: str | None, catalog: Any) -> NameReading | None:
    if item.item_id and item.item_id in catalog:
        return None  # looked up by id
    if item.match == "category" and item.official_category:
        return None  # category-level on purpose ("음식물 쓰레기 어떻게 버려요?")
    texts = [item.name, f"{item.name} {item.description}".strip()]
    if question:
        texts.append(question)
    hint: str | None = None
    for text in dict.fromkeys(texts):
        res = catalog.resolve(text)
        best = res.best
        if best is not None and best.item_id and not res.ambiguous:
            disagrees = bool(item.official_category) and best.official_category != item.official_category
            fuzzy = best.match == "fuzzy"
            return NameReading(item_id=best.item_id, name=best.name, official_category=best.official_category,
                               match="fuzzy" if fuzzy else "alias", disagrees=disagrees and fuzzy)
        hint = hint or res.category_hint
    return NameReading(official_category=hint, match="category" if hint else "none")
