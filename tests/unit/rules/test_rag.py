"""The rag stage handler, called directly (no Kafka)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

from streams.contracts import (
    AnalysedQuery,
    Clarification,
    DetectedItem,
    Envelope,
    ItemState,
    ModelUsage,
    PreparedImage,
    Usage,
    VisionAnalysis,
)
from streams.rules import RulesCatalog
from streams.stages.rag import lookup, merge_state


def make_query(question: str, items: list[DetectedItem], **overrides: Any) -> AnalysedQuery:
    now = datetime.now(UTC)
    fields: dict[str, Any] = {
        "envelope": Envelope(query_id=uuid4(), created_at=now, deadline=now + timedelta(seconds=30)),
        "question": question,
        "analysis": VisionAnalysis(items=items, saw_image=True, method="vision", confidence=0.9),
        "timings_ms": {"preprocess": 3.0, "gpt5": 900.0},
        "provider": {"gpt5": "gpt-5"},
        "usage": Usage().add(ModelUsage(stage="gpt5", model="gpt-5", calls=1, input_tokens=10)),
        "warnings": ["earlier warning"],
        "use_cache": False,
    }
    fields.update(overrides)
    return AnalysedQuery(**fields)


async def test_known_item_id_is_exact(catalog: RulesCatalog) -> None:
    item = DetectedItem(item_id="water_pet_bottle", name="생수병", state=ItemState(lid="closed"))
    ctx = await lookup(make_query("이거 어떻게 버려요?", [item]), catalog=catalog)
    (g,) = ctx.guidance
    assert g.item_id == "water_pet_bottle" and g.match == "exact" and g.official_category == "무색페트병"
    assert ctx.rules_version == catalog.version
    assert "[water_pet_bottle:step:1]" in ctx.context and "무색페트병" in ctx.context


async def test_envelope_and_bookkeeping_are_copied(catalog: RulesCatalog) -> None:
    image = PreparedImage(key="images/" + "a" * 64 + ".jpg", sha256="a" * 64, width=10, height=10, size=100)
    msg = make_query("생수병", [DetectedItem(item_id="water_pet_bottle", name="생수병")], image=image,
                     degraded=True)
    ctx = await lookup(msg, catalog=catalog)
    assert ctx.envelope == msg.envelope and ctx.question == msg.question and ctx.image == image
    assert ctx.provider == msg.provider and ctx.usage == msg.usage and ctx.degraded and not ctx.use_cache
    assert ctx.analysis == msg.analysis and ctx.warnings[0] == "earlier warning"
    assert ctx.timings_ms["gpt5"] == 900.0 and "rag" in ctx.timings_ms


async def test_unknown_id_is_resolved_by_name(catalog: RulesCatalog) -> None:
    item = DetectedItem(item_id="pet_bottle_water", name="생수 페트병", official_category="무색페트병")
    (g,) = (await lookup(make_query("이거요", [item]), catalog=catalog)).guidance
    assert g.item_id == "water_pet_bottle" and g.match == "alias"


async def test_typo_in_name_is_fuzzy(catalog: RulesCatalog) -> None:
    item = DetectedItem(name="페트볍", official_category="무색페트병")
    (g,) = (await lookup(make_query("이거요", [item]), catalog=catalog)).guidance
    assert g.item_id == "water_pet_bottle" and g.match == "fuzzy"


async def test_unknown_item_falls_back_to_its_category(catalog: RulesCatalog) -> None:
    item = DetectedItem(name="정체불명 물건", official_category="플라스틱류")
    ctx = await lookup(make_query("이거 뭐예요", [item]), catalog=catalog)
    (g,) = ctx.guidance
    assert g.item_id is None and g.match == "category" and g.official_category == "플라스틱류"
    assert "[plastic:common:1]" in ctx.context


async def test_no_rule_and_no_category(catalog: RulesCatalog) -> None:
    ctx = await lookup(make_query("이거 뭐예요", [DetectedItem(name="정체불명 물건")]), catalog=catalog)
    (g,) = ctx.guidance
    assert g.match == "none" and g.official_category is None
    assert any("no rule" in w for w in ctx.warnings)


async def test_question_state_fills_unknown_fields(catalog: RulesCatalog) -> None:
    item = DetectedItem(item_id="pizza_box", name="피자 박스", state=ItemState(lid="none"))
    ctx = await lookup(make_query("기름 묻은 피자 박스는요?", [item]), catalog=catalog)
    assert ctx.guidance[0].official_category == "일반종량제폐기물"
    # The analysis wins where it knows the state.
    merged = merge_state(ItemState(contaminated=False), ItemState(contaminated=True, broken=True))
    assert merged.contaminated is False and merged.broken is True


async def test_several_items(catalog: RulesCatalog) -> None:
    items = [DetectedItem(item_id="water_pet_bottle", name="생수병"),
             DetectedItem(item_id="milk_carton", name="우유팩")]
    ctx = await lookup(make_query("둘 다 어떻게 버려요", items), catalog=catalog)
    assert [g.item_id for g in ctx.guidance] == ["water_pet_bottle", "milk_carton"]
    assert "## 1. 생수병" in ctx.context and "## 2. 우유팩" in ctx.context


async def test_clarification_passes_through(catalog: RulesCatalog) -> None:
    analysis = VisionAnalysis(saw_image=True, needs_clarification=True,
                              clarification=Clarification(question="무엇인가요?"))
    ctx = await lookup(make_query("이거 뭐예요", [], analysis=analysis), catalog=catalog)
    assert ctx.guidance == [] and ctx.context == "" and ctx.analysis.needs_clarification
    assert ctx.rules_version == catalog.version
