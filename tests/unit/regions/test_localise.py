"""The answer for a district: overrides applied, one district line, the generic note gone — and nothing
changes without a region."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from streams.compose import compose
from streams.contracts import DetectedItem, ItemState, RuleContext
from streams.offline import analyse_text, write_answer
from streams.regions.fake import FakeMoisApi
from streams.regions.guide import RegionalDataError
from streams.regions.localise import PORTAL_URL, WARN_SCHEDULE_UNAVAILABLE, Localiser
from streams.regions.mois import MoisClient
from streams.regions.schedule import DistrictData
from streams.regions.table import District, district_table
from streams.rules import RulesCatalog
from streams.stages.rag import lookup
from tests.unit.rules.test_rag import make_query

TABLE = district_table()


def region(code: str, given: str = "request"):  # type: ignore[no-untyped-def]
    return TABLE.get(code).ref(given)  # type: ignore[union-attr]


async def ask(catalog: RulesCatalog, question: str, *, code: str | None = None, regions: Localiser | None = None,
              **overrides: object) -> RuleContext:
    analysis = analyse_text(question, catalog)
    fields: dict[str, object] = {"analysis": analysis}
    if code:
        fields["region"] = region(code)
    fields.update(overrides)
    return await lookup(make_query(question, [], **fields), catalog=catalog, regions=regions)


async def test_gangnam_detached_pet_is_thursday_with_the_source(catalog: RulesCatalog) -> None:
    ctx = await ask(catalog, "단독주택인데 투명 페트병 언제 내요?", code="11680")
    (g,) = ctx.guidance
    assert g.district is not None and g.district.startswith("강남구 단독주택") and "목요일" in g.district
    assert "투명 페트병 전용 수거함이나 투명 봉투에 넣습니다." not in g.steps  # the national step it replaces
    assert g.region_note is None and not any(r.rule_id.endswith(":region") for r in g.rules)
    line = next(r for r in g.rules if r.text == g.district)
    assert line.rule_id == "region:11680:pet_vinyl_thursday" and line.sources[0].key == "GANGNAM"
    text = write_answer(ctx, image_attached=False)
    assert text.splitlines()[1] == g.district  # right after the verdict
    assert "지역마다 달라요" not in text and "목요일" in text
    assert "강남구" in text.splitlines()[-1]  # the district's source is named
    assert ctx.region is not None and ctx.region.code == "11680"
    assert "[region:11680:pet_vinyl_thursday]" in ctx.context


async def test_housing_unsaid_shows_the_district_rule_but_keeps_the_national_step(catalog: RulesCatalog) -> None:
    (g,) = (await ask(catalog, "투명 페트병 어떻게 버려요?", code="11680")).guidance
    assert g.district is not None and "목요일" in g.district
    assert "투명 페트병 전용 수거함이나 투명 봉투에 넣습니다." in g.steps  # an apartment's bin still applies


async def test_an_apartment_does_not_get_the_detached_rule(catalog: RulesCatalog) -> None:
    (g,) = (await ask(catalog, "아파트인데 투명 페트병 어떻게 버려요?", code="11680")).guidance
    assert g.district is not None and "목요일" not in g.district and PORTAL_URL in g.district


async def test_an_override_replaces_the_step_it_contradicts(catalog: RulesCatalog) -> None:
    (national,) = (await ask(catalog, "과자 봉지 어떻게 버려요?")).guidance
    (g,) = (await ask(catalog, "과자 봉지 어떻게 버려요?", code="27110")).guidance
    said = "색깔이나 재질(PE·PP 등)은 나누지 않아도 됩니다."
    assert said in national.steps and said not in g.steps
    assert "대구 중구는 비닐봉투를 색깔 있는 것과 무색인 것으로 나눠서 내놓아요." in g.steps
    assert g.district is not None and g.district.startswith("대구 중구는 재활용품을")
    assert "region:27110:vinyl_colour_split" in g.applied_conditions


async def test_an_override_can_send_the_item_to_another_bin(catalog: RulesCatalog) -> None:
    question = "색깔 있는 스티로폼 트레이 어떻게 버려요?"
    item = DetectedItem(item_id="colored_foam_tray", name="유색·무늬 스티로폼 용기", official_category="발포합성수지",
                        state=ItemState(), confidence=0.9, match="exact")
    ctx = await ask(catalog, question, code="11350", analysis=make_query(question, [item]).analysis)
    (g,) = ctx.guidance
    assert g.official_category == "일반종량제폐기물" and g.recyclable is False and g.route == "dispose"
    assert g.steps[0].startswith("노원구 안내는 순백색 스티로폼만")  # where the replaced steps were
    assert not any("스티로폼 수거 장소" in step for step in g.steps)
    text = write_answer(ctx, image_attached=False)
    assert text.startswith("유색·무늬 스티로폼 용기는 재활용되지 않아 일반 종량제 봉투에 버려요.")


async def test_without_a_region_nothing_changes(catalog: RulesCatalog) -> None:
    question = "단독주택인데 생수병 언제 내요?"
    ctx = await ask(catalog, question)
    (g,) = ctx.guidance
    assert ctx.region is None and g.district is None and g.region_note is not None
    assert not any(r.rule_id.startswith("region:") for r in g.rules)
    assert "지역마다 달라요" in write_answer(ctx, image_attached=False)


async def test_no_key_points_to_the_portal_instead_of_guessing(catalog: RulesCatalog) -> None:
    (g,) = (await ask(catalog, "우유팩 어떻게 버려요?", code="11440")).guidance  # 마포구: no override
    assert g.district == ("마포구의 배출 요일·시간·장소는 분리배출 누리집 '지역별 분리배출 안내'에서 서울특별시 → "
                          f"마포구를 고르면 볼 수 있어요: {PORTAL_URL}")
    assert any(r.rule_id == "region:11440:portal" and r.sources[0].url == PORTAL_URL for r in g.rules)


async def test_the_official_schedule_is_the_district_line(catalog: RulesCatalog, fake_api: FakeMoisApi) -> None:
    regions = Localiser(guide=MoisClient(service_key="test-key", base_url=fake_api.url))
    ctx = await ask(catalog, "우유팩 어떻게 버려요?", code="11440", regions=regions)
    (g,) = ctx.guidance
    assert g.district is not None and g.district.startswith("마포구 재활용품: 월·수 18:00~24:00")
    assert any(r.rule_id == "region:11440:schedule:recycle" and r.sources[0].key == "MOIS-WASTE" for r in g.rules)
    assert "행정안전부" in write_answer(ctx, image_attached=False).splitlines()[-1]
    assert not ctx.degraded


class Failing:
    name = "broken"

    async def district(self, district: District, *, budget_s: float) -> DistrictData | None:
        raise RegionalDataError("timed out")


async def test_a_failing_source_degrades_to_the_portal(catalog: RulesCatalog) -> None:
    ctx = await ask(catalog, "우유팩 어떻게 버려요?", code="11440", regions=Localiser(guide=Failing()))
    (g,) = ctx.guidance
    assert g.district is not None and PORTAL_URL in g.district
    assert ctx.degraded and WARN_SCHEDULE_UNAVAILABLE in ctx.warnings  # not cached as a good answer


class Recording:
    name = "recording"

    def __init__(self) -> None:
        self.budgets: list[float] = []

    async def district(self, district: District, *, budget_s: float) -> DistrictData | None:
        self.budgets.append(budget_s)
        return None


async def test_the_lookup_stays_within_the_query_deadline(catalog: RulesCatalog) -> None:
    guide = Recording()
    now = datetime.now(UTC)
    query = make_query("우유팩", [], analysis=analyse_text("우유팩", catalog), region=region("11440"))
    late = query.model_copy(update={"envelope": query.envelope.model_copy(
        update={"deadline": now + timedelta(seconds=2)})})
    await lookup(late, catalog=catalog, regions=Localiser(guide=guide, timeout_s=4, reserve_s=3))
    assert guide.budgets and guide.budgets[0] <= 1.6  # 2 s left, a quarter kept for the answer stage
    over = late.model_copy(update={"envelope": late.envelope.model_copy(update={"deadline": now})})
    await lookup(over, catalog=catalog, regions=Localiser(guide=guide))
    assert len(guide.budgets) == 1  # no time left: no call at all


async def test_items_without_a_collection_day_get_no_schedule(catalog: RulesCatalog) -> None:
    (g,) = (await ask(catalog, "보조배터리 어떻게 버려요?", code="11440")).guidance
    assert g.official_category == "전지"
    if g.district is not None:  # only an item that varies by district gets a line: where to look
        assert "수거함 위치와 배출 방법은" in g.district


async def test_an_ambiguous_region_is_asked_back(catalog: RulesCatalog) -> None:
    choices = [d.ref() for d in TABLE.resolve("중구").districts]
    ctx = await ask(catalog, "페트병 언제 내요?", region_choices=choices)
    assert ctx.guidance == [] and ctx.analysis.needs_clarification
    clar = ctx.analysis.clarification
    assert clar is not None and clar.question.startswith("중구는 여러 시·도에 있어요. 어느 시·도의 중구인가요?")
    assert "서울특별시, 부산광역시, 대구광역시, 대전광역시, 울산광역시" in clar.question
    assert "인천광역시 중구는 지금 제물포구·영종구예요." in clar.question
    assert [r.code for r in clar.regions] == [c.code for c in choices]


async def test_a_region_in_the_question(catalog: RulesCatalog) -> None:
    ctx = await ask(catalog, "강남구 사는데 우유팩 어떻게 버려요?")
    assert ctx.region is not None and ctx.region.code == "11680" and ctx.region.given == "question"
    assert ctx.guidance[0].district is not None and ctx.guidance[0].district.startswith("강남구")
    asked = await ask(catalog, "동구 사는데 우유팩 어떻게 버려요?")
    assert asked.analysis.needs_clarification and asked.region_choices


async def test_compose_puts_the_district_line_after_safety(catalog: RulesCatalog) -> None:
    ctx = await ask(catalog, "부탄가스 어떻게 버려요? 가스가 남았어요", code="11440")
    lines = compose(ctx).splitlines()
    warn = [i for i, line in enumerate(lines) if line.startswith("⚠")]
    district = lines.index(ctx.guidance[0].district) if ctx.guidance[0].district else None
    assert district is not None and (not warn or district == warn[-1] + 1)
