"""Measures of an answer's composition, for ``bench/answer_quality.py`` and the tests.

Each measure is one of the reviewer's complaint classes, made countable: a repeated step, a yes/no question
not answered in the first sentence, category codes written into the prose, a step the item's rules did not
select (boilerplate), and length. They read the answer *text*, so they judge a model's answer the same way
as the offline writer's.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from streams.compose.question import read_question
from streams.contracts import ItemGuidance
from streams.rules.lint import near_duplicates

__all__ = ["CODES_IN_PROSE", "answered_directly", "boilerplate_steps", "codes_in_prose", "has_repeated_step",
           "numbered_steps"]

#: Official codes that no one says in a sentence ("의류및원단으로 분리배출합니다"). 플라스틱류, 비닐류, 금속류,
#: 전기전자제품 and 조명제품 are everyday Korean as well as codes, and are not counted.
CODES_IN_PROSE = ("무색페트병", "발포합성수지", "의류및원단", "음식물류폐기물", "일반종량제폐기물",
                  "불연성종량제폐기물",
                  "공사장생활폐기물", "생활계유해폐기물")
_STEP = re.compile(r"^\s*\d+[.)]\s*(.+)$", re.MULTILINE)
_DIRECT = re.compile(r"^\s*(?:네|예|아니요|아니오|아뇨|안 돼|안 됩니다|안돼)")


def numbered_steps(text: str) -> list[str]:
    """The numbered steps of an answer ("1. …")."""
    return _STEP.findall(text)


def has_repeated_step(text: str) -> bool:
    """Two steps of the answer say the same thing (the similarity check of ``bunri rules check``)."""
    steps = numbered_steps(text)
    return bool(near_duplicates((str(i), s) for i, s in enumerate(steps)))


def answered_directly(text: str, question: str) -> bool | None:
    """For a yes/no question: does the first sentence start with 네/아니요? None for other questions."""
    if read_question(question).kind != "yesno":
        return None
    return bool(_DIRECT.match(text))


def codes_in_prose(text: str) -> int:
    """How many times an official code stands in the prose."""
    return sum(text.count(code) for code in CODES_IN_PROSE)


def boilerplate_steps(text: str, guidance: Sequence[ItemGuidance]) -> list[str]:
    """Steps of the answer that none of the items' selected rule steps says."""
    selected = [s for g in guidance for s in g.steps]
    out = []
    for step in numbered_steps(text):
        if not any(near_duplicates([("a", step), ("b", s)]) for s in selected):
            out.append(step)
    return out
