"""Settling an unclear reading without asking back, when the question itself already tells.

The resolver reports a mention with several close candidates, or a bare container word ("접시"), as
needing a clarification. Three readings settle it from what the user wrote:

- :func:`same_bin_anyway`: the close candidates all end in the same bin in the stated state
  ("스프레이 반 남음": any spray with that much left is hazardous waste);
- :func:`broken_generic`: a broken container of no stated material is one that shatters
  ("깨진 접시" is ceramic, "깨진 컵" glass): plastic and paper crack, they do not break into shards;
- :func:`food_container`: a food's tub, bag or box is the everyday kind ("고추장 통": a plastic tub);
- :func:`meal_leftover`: what is left of a meal is the food ("먹다 남은 치킨": the chicken, not its box).

Each answers with a modest confidence (``SETTLED``): the reading is a likely one, not a named item.
"""

from __future__ import annotations

import re
from dataclasses import replace

from streams.rules.catalog import RulesCatalog
from streams.rules.resolution import Candidate, Mention, Resolution
from streams.rules.text import compact
from streams.rules.vocab import BRITTLE, GENERIC_CONTAINERS

__all__ = ["SETTLED", "settle_unclear"]

SETTLED = 0.7  # below the 0.9 that gpt5's text path trusts: a configured model gets to look again
_FOOD = "음식물류폐기물"
_FOOD_KINDS = frozenset({"통", "용기", "봉지", "상자", "박스"})
# "먹다 남은", "먹고 남은", "남긴", "먹던": the rest of something eaten.
_MEAL = re.compile(r"먹다\s*(?:가\s*)?남|먹고\s*남|먹던|남긴|먹다\s*만|먹다\s*버린|식은")


def _answer(res: Resolution, top: Candidate, text: str) -> Resolution:
    top = replace(top, score=min(top.score, SETTLED))
    mention = Mention(text, 0, 0, (top,))
    return replace(res, candidates=(top,), mentions=(mention,), ambiguous=False, needs_clarification=False,
                   generic=None)


def same_bin_anyway(res: Resolution, catalog: RulesCatalog) -> Resolution | None:
    mention = res.unclear_mention
    if mention is None or mention.conflict:
        return None
    items = [c for c in mention.candidates if c.item_id]
    if len(items) < 2 or len(items) != len(mention.candidates):
        return None
    bins = {catalog.apply(c.item_id, res.state_for(c.official_category)).official_category  # type: ignore[arg-type]
            for c in items}
    return _answer(res, items[0], mention.text) if len(bins) == 1 else None


def broken_generic(res: Resolution, catalog: RulesCatalog) -> Resolution | None:
    if res.generic is None or res.state.broken is not True:
        return None
    for kind in GENERIC_CONTAINERS[res.generic]:
        if compact(kind).startswith(BRITTLE) and (best := catalog.resolve(kind).best) and best.item_id:
            return _answer(res, best, res.generic)
    return None


def food_container(res: Resolution, catalog: RulesCatalog) -> Resolution | None:
    """"고추장 통", "떡 봉지": a food's tub, tray, bag or box is the everyday kind (plastic tub, plastic
    tray, plastic bag, paper box); bottles and cups of food come in glass, PET and paper alike and stay asked."""
    if res.generic not in _FOOD_KINDS or res.content != _FOOD:
        return None
    best = catalog.resolve(GENERIC_CONTAINERS[res.generic][0]).best  # an item, or the material's category
    return _answer(res, best, res.generic) if best is not None else None


def meal_leftover(res: Resolution, catalog: RulesCatalog) -> Resolution | None:
    mention = res.unclear_mention
    if mention is None or not _MEAL.search(res.text):
        return None
    food = [c for c in mention.candidates if c.official_category == _FOOD]
    return _answer(res, food[0], mention.text) if len(food) == 1 else None


def settle_unclear(res: Resolution, catalog: RulesCatalog) -> Resolution:
    """``res`` settled by the first reading that applies, or unchanged."""
    if not res.needs_clarification:
        return res
    for reading in (broken_generic, food_container, meal_leftover, same_bin_anyway):
        if (settled := reading(res, catalog)) is not None:
            return settled
    return res
