"""The answer, for one district: its overrides applied, one district line per item, the generic note gone.

For each item's guidance, with the user's 시·군·구 known:

1. the district's overrides (``rules/regions/{code}.json``) that apply to the item or its category: the
   national steps they contradict go and the district's sentence takes their place; an override that
   sends the item elsewhere changes its bin (and so the verdict); every one is a rule with its source;
2. one district line (``ItemGuidance.district``), the first that exists of: the district's own schedule
   override for the stream; the day, time and place from the official data
   (:class:`~streams.regions.guide.RegionalGuide`, fetched once per query and cached per district); where
   to look it up on the ministry's portal — never a guess;
3. the item's generic "지역마다 달라요" note is dropped: the district line replaces it.

A guide that fails (timeout, refused key) costs only the schedule: the portal line is shown, the answer is
marked ``degraded`` (so it is not cached) and a warning says why. Nothing finer than the 시·군·구 is used.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from streams.contracts import Clarification, ItemGuidance, RegionRef, RuleUsed
from streams.regions.guide import RegionalDataError, RegionalGuide
from streams.regions.overrides import RegionDoc, RegionOverride
from streams.regions.reading import Housing, read_housing, read_region
from streams.regions.schedule import STREAM_OF_CATEGORY, DistrictData, describe
from streams.regions.table import District, district_table
from streams.rules.apply import route_recyclable
from streams.rules.model import DEFAULT_ROUTE
from streams.rules.render import step_rule_ids
from streams.rules.text import josa

__all__ = ["PORTAL_URL", "WARN_SCHEDULE_UNAVAILABLE", "Localised", "Localiser", "clarify", "make_localiser", "where"]

logger = logging.getLogger(__name__)

PORTAL_URL = "https://www.xn--oy2b29bd3a601b.kr/front/region/region.do"
WARN_SCHEDULE_UNAVAILABLE = "행정안전부 배출 정보를 지금 불러오지 못해, 확인할 수 있는 곳을 알려 드려요."
_MIN_BUDGET_S = 0.2


@dataclass
class Localised:
    guidance: list[ItemGuidance]
    warnings: list[str] = field(default_factory=list)
    degraded: bool = False


@dataclass(frozen=True)
class Localiser:
    """What the rag stage needs to write for a district (built once per worker by the wiring).

    Args:
        guide: The official data source, or None (no service key): the portal line instead.
        portal_url: The ministry portal's regional page, named when there is no schedule.
        timeout_s: At most this long for one query's lookup.
        reserve_s: Seconds of the deadline kept for the answer stage (at most a quarter of what is left).
    """

    guide: RegionalGuide | None = None
    portal_url: str = PORTAL_URL
    timeout_s: float = 4.0
    reserve_s: float = 3.0

    async def localise(self, guidance: list[ItemGuidance], region: RegionRef, *, catalog: Any, question: str,
                       deadline: datetime, now: datetime) -> Localised:
        """``guidance`` written for ``region`` (see the module docstring)."""
        district = district_table().get(region.code)
        if district is None:  # a code from a newer table than this worker's: answer nationally
            return Localised(list(guidance), [f"rag: region {region.code} is not in this worker's table"])
        doc: RegionDoc | None = catalog.documents("regions").get(region.code)
        housing = read_housing(question)
        applied = [_apply_overrides(g, doc, housing, district, catalog) if g.official_category else (g, None)
                   for g in guidance]
        wanted = any(line is None and STREAM_OF_CATEGORY.get(g.official_category or "") for g, line in applied)
        out = Localised([])
        data = await self._fetch(district, deadline, now, out) if wanted else None
        for (g, line), original in zip(applied, guidance, strict=True):
            out.guidance.append(self._finish(g, line, original, district, data, catalog))
        return out

    async def _fetch(self, district: District, deadline: datetime, now: datetime,
                     out: Localised) -> DistrictData | None:
        if self.guide is None:
            return None
        left = (deadline - now).total_seconds()
        budget = min(self.timeout_s, left - min(self.reserve_s, left / 4))
        if budget < _MIN_BUDGET_S:
            logger.info("regions: no time left for district %s's schedule", district.code)
            return None
        try:
            return await self.guide.district(district, budget_s=budget)
        except RegionalDataError as exc:
            logger.warning("regions: district %s's schedule unavailable from %s: %s", district.code,
                           self.guide.name, exc)
            out.warnings.append(WARN_SCHEDULE_UNAVAILABLE)
            out.degraded = True
            return None

    def _finish(self, g: ItemGuidance, line: RuleUsed | None, original: ItemGuidance, district: District,
                data: DistrictData | None, catalog: Any) -> ItemGuidance:
        if g.official_category is None:
            return g
        owner = _owner(g)
        stream = STREAM_OF_CATEGORY.get(g.official_category)
        if line is None and stream and data is not None:
            text = describe(data, district, stream)
            if text:
                ref = catalog.refs(("MOIS-WASTE",))[0].model_copy(update={"checked": _date(data.base_date)})
                line = RuleUsed(item_id=owner, rule_id=f"region:{district.code}:schedule:{stream}", kind="note",
                                text=text, sources=[ref])
        if line is None and (stream or original.region_note):
            ref = catalog.refs(("MOE-GUIDE",))[0].model_copy(update={"url": self.portal_url})
            line = RuleUsed(item_id=owner, rule_id=f"region:{district.code}:portal", kind="note",
                            text=_pointer(district, bool(stream), self.portal_url), sources=[ref])
        rules = [r for r in g.rules if not r.rule_id.endswith(":region")]
        return g.model_copy(update={"region_note": None, "district": line.text if line else None,
                                    "rules": rules + ([line] if line else [])})


def _apply_overrides(g: ItemGuidance, doc: RegionDoc | None, housing: Housing | None, district: District,
                     catalog: Any) -> tuple[ItemGuidance, RuleUsed | None]:
    """The guidance with the district's overrides applied, and the schedule override's rule, if one applies."""
    if doc is None:
        return g, None
    chosen = [o for o in doc.overrides if o.applies_to(g.item_id, g.official_category)
              and (o.housing is None or housing is None or o.housing == housing)]
    if not chosen:
        return g, None
    owner = _owner(g)
    pairs = list(zip(g.steps, step_rule_ids(g), strict=True))
    replaced: set[str] = set()
    rules: list[RuleUsed] = []
    update: dict[str, Any] = {}
    line: RuleUsed | None = None
    for o in chosen:
        rule_id = f"region:{district.code}:{o.id}"
        sources = catalog.refs(o)
        # A rule for one kind of housing replaces the national step only when the question says it is theirs.
        gone = set(o.replaces) if o.housing is None or o.housing == housing else set()
        at = next((i for i, (_, rid) in enumerate(pairs) if rid in gone), len(pairs))
        pairs = [p for p in pairs if p[1] not in gone]
        replaced |= gone
        if o.schedule:
            line = line or RuleUsed(item_id=owner, rule_id=rule_id, kind="note", text=o.text, sources=sources)
            continue
        pairs.insert(min(at, len(pairs)), (o.text, rule_id))
        if o.official_category and "official_category" not in update:
            update |= _moved(o, g)
            rules.append(RuleUsed(item_id=owner, rule_id=rule_id, kind="condition",
                                  text=f"{o.text} → {o.official_category} ({update['channel']})", sources=sources))
        else:
            rules.append(RuleUsed(item_id=owner, rule_id=rule_id, kind="step", text=o.text, sources=sources))
    kept = [r for r in g.rules if r.rule_id not in replaced]
    applied = [*g.applied_conditions, *(f"region:{district.code}:{o.id}" for o in chosen if not o.schedule)]
    return g.model_copy(update={**update, "steps": [s for s, _ in pairs], "rules": kept + rules,
                                "applied_conditions": applied}), line


def _owner(g: ItemGuidance) -> str:
    """The ``item_id`` its rules are filed under (a category's slug for category-level guidance)."""
    return g.item_id or (g.rules[0].item_id if g.rules else g.name)


def _moved(o: RegionOverride, g: ItemGuidance) -> dict[str, Any]:
    category = o.official_category
    assert category is not None
    route = DEFAULT_ROUTE[category]
    return {"official_category": category, "channel": o.channel or g.channel, "route": route,
            "recyclable": route_recyclable(route), "cases": []}


def _pointer(district: District, scheduled: bool, url: str) -> str:
    what = "배출 요일·시간·장소" if scheduled else "수거함 위치와 배출 방법"
    pick = district.sido + (f" → {josa(district.sigungu, '을/를')}" if district.sigungu else "를")
    return (f"{district.short}의 {josa(what, '은/는')} 분리배출 누리집 '지역별 분리배출 안내'에서 "
            f"{pick} 고르면 볼 수 있어요: {url}")


def _date(text: str) -> str | None:
    digits = "".join(ch for ch in text if ch.isdigit())
    return f"{digits[:4]}-{digits[4:6]}-{digits[6:8]}" if len(digits) == 8 else None


def clarify(choices: list[RegionRef]) -> Clarification:
    """The question that asks which district an ambiguous region is ("중구": which 시·도), with the choices."""
    table = district_table()
    districts = [d for d in (table.get(c.code) for c in choices) if d is not None]
    lasts = {d.sigungu.split()[-1] if d.sigungu else d.sido for d in districts}
    sidos = {d.sido for d in districts}
    if len(lasts) == 1 and len(sidos) > 1:
        name = lasts.pop()
        places = [d.name.removesuffix(name).strip() for d in districts]
        question = (f"{josa(name, '은/는')} 여러 시·도에 있어요. 어느 시·도의 {name}인가요? "
                    f"{', '.join(places)} 중에서 '서울 {name}'처럼 알려 주세요.")
    elif len(sidos) == 1 and districts:
        cities = {d.sigungu.split()[0] for d in districts if len(d.sigungu.split()) > 1}
        where = f"{districts[0].sido} {cities.pop()}" if len(cities) == 1 else districts[0].sido
        names = [d.sigungu.split()[-1] if d.sigungu else d.sido for d in districts]
        question = f"{where}의 어느 시·군·구인가요? {', '.join(names)} 중에서 알려 주세요."
    else:
        question = f"어느 곳인가요? {', '.join(d.name for d in districts)} 중에서 알려 주세요."
    note = table.note_for(d.code for d in districts)
    if note:
        question += f" ({note})"
    return Clarification(question=question, regions=list(choices))


def where(region: RegionRef | None, choices: list[RegionRef], question: str) -> tuple[RegionRef | None,
                                                                                      list[RegionRef]]:
    """The query's district: the request's (settled or to ask), else the one the question names, else none."""
    if region is not None or choices:
        return region, list(choices)
    found = read_region(question)
    if found is None:
        return None, []
    if found.settled is not None:
        return found.settled.ref("question"), []
    return None, [d.ref("question") for d in found.districts]


def make_localiser(settings: Any, store: Any) -> Localiser:
    """The rag stage's :class:`Localiser` from :class:`~streams.settings.PublicDataSettings` (once per worker)."""
    from streams.regions.guide import make_guide

    return Localiser(guide=make_guide(settings, store), portal_url=settings.portal_url, timeout_s=settings.timeout_s)
