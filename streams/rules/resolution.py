"""What the resolver read: ranked candidates per mention, the state, and whether to ask back.

Kept apart from :mod:`streams.rules.resolver` so the readers of a resolution (the offline analysis, the
answer writer, the evaluation) need not import the resolver's machinery.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from streams.contracts import ItemState
from streams.rules.states import settle

__all__ = ["CLOSE", "Candidate", "CandidateMatch", "Mention", "Resolution"]

CandidateMatch = Literal["exact", "alias", "fuzzy", "category"]
CLOSE = 0.05  # candidates closer than this are a tie


@dataclass(frozen=True)
class Candidate:
    """One possible reading: an item (item_id set) or a whole category (item_id None)."""

    item_id: str | None
    name: str
    official_category: str
    score: float
    match: CandidateMatch


@dataclass(frozen=True)
class Mention:
    """One place in the text that names something, with its candidates best first."""

    text: str
    start: int
    end: int
    candidates: tuple[Candidate, ...]
    conflict: bool = False

    @property
    def top(self) -> Candidate:
        return self.candidates[0]

    @property
    def ambiguous(self) -> bool:
        """The two best readings are close and go to different categories (or a material contradicts)."""
        if self.conflict:
            return True
        top = self.candidates[0]
        return any(top.score - c.score < CLOSE and c.official_category != top.official_category
                   for c in self.candidates[1:])


@dataclass(frozen=True)
class Resolution:
    """The resolver's reading of one text. ``candidates`` is ranked best first.

    Example::

        res = catalog.resolve("뚜껑 닫힌 생수병은 어떻게 버려요?")
        res.candidates[0].item_id   # "water_pet_bottle"
        res.state.lid               # "closed"
    """

    text: str
    candidates: tuple[Candidate, ...]
    state: ItemState
    category_hint: str | None
    ambiguous: bool
    needs_clarification: bool
    mentions: tuple[Mention, ...] = ()
    washable: bool = False  # the only contamination read is a stain that rinses off hard materials
    unknown: str | None = None  # a thing we have no document for, named after a known one ("노트북 파우치")
    generic: str | None = None  # only a container word of no material was named ("컵", "통")
    content: str | None = None  # the category of what that container held ("고추장 통": 음식물류폐기물)

    def state_for(self, category: str | None) -> ItemState:
        """The state as it applies to an item of ``category`` (``state`` is settled for the best one)."""
        return settle(self.state, category, washable=self.washable)

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None

    @property
    def unclear_mention(self) -> Mention | None:
        """The first ambiguous mention, whose candidates a clarification question should list."""
        return next((m for m in self.mentions if m.ambiguous), None)
