"""The offline provider: text-only analysis and the deterministic Korean answer."""

from __future__ import annotations

import pytest

from streams.contracts import DetectedItem, VisionAnalysis
from streams.offline import ASK_NAME, PHOTO_NOT_ANALYSED, analyse_text, write_answer
from streams.rules import RulesCatalog
from streams.stages.rag import lookup
from tests.unit.rules.test_rag import make_query


async def answer(catalog: RulesCatalog, question: str, *, image: bool = False) -> str:
    ctx = await lookup(make_query(question, [], analysis=analyse_text(question, catalog)), catalog=catalog)
    return write_answer(ctx, image_attached=image)


class TestAnalyseText:
    def test_named_item(self, catalog: RulesCatalog) -> None:
        a = analyse_text("뚜껑 닫힌 생수병은 어떻게 버려요?", catalog)
        assert not a.saw_image and a.method == "text" and not a.needs_clarification
        (item,) = a.items
        assert item.item_id == "water_pet_bottle" and item.match == "exact" and item.confidence == 1.0
        assert item.state.lid == "closed" and a.confidence == 1.0

    def test_fuzzy_confidence_is_the_score(self, catalog: RulesCatalog) -> None:
        (item,) = analyse_text("페트볍", catalog).items  # one wrong letter
        assert item.match == "fuzzy" and 0.7 < item.confidence < 0.9

    def test_no_item_asks_for_the_name(self, catalog: RulesCatalog) -> None:
        a = analyse_text("이거 어떻게 버려요?", catalog)
        assert a.needs_clarification and a.items == [] and a.clarification is not None
        assert "이름" in a.clarification.question

    def test_ambiguous_lists_the_candidates(self, catalog: RulesCatalog) -> None:
        a = analyse_text("장갑 어디에 버려요", catalog)
        assert a.needs_clarification and a.clarification is not None
        cats = {c.official_category for c in a.clarification.candidates}
        assert len(a.clarification.candidates) >= 3 and len(cats) >= 2
        assert all(c.name in a.clarification.question for c in a.clarification.candidates)

    def test_category_only(self, catalog: RulesCatalog) -> None:
        (item,) = analyse_text("플라스틱 용기 같은데", catalog).items
        assert item.item_id is None and item.match == "category" and item.official_category == "플라스틱류"

    def test_several_items(self, catalog: RulesCatalog) -> None:
        a = analyse_text("생수병이랑 우유팩 어떻게 버려요", catalog)
        assert [i.item_id for i in a.items] == ["water_pet_bottle", "milk_carton"]


class TestWriteAnswer:
    async def test_the_bin_comes_first_in_everyday_words(self, catalog: RulesCatalog) -> None:
        text = await answer(catalog, "생수병 어떻게 버려요?")
        assert text.startswith("생수병은 투명 페트병 수거함에 내요.")
        assert "\n1. " in text and PHOTO_NOT_ANALYSED not in text and "무색페트병" not in text

    async def test_not_recyclable_is_said_plainly(self, catalog: RulesCatalog) -> None:
        text = await answer(catalog, "영수증은 종이로 버리나요?")
        assert text.startswith("아니요,") and "영수증은 재활용되지 않아 일반 종량제 봉투에 버려요." in text

    async def test_state_changes_the_answer(self, catalog: RulesCatalog) -> None:
        text = await answer(catalog, "기름 묻은 피자박스")
        # the state that decided it comes with the name
        assert text.startswith("오염된 피자 박스는 재활용되지 않아 일반 종량제 봉투에 버려요.")

    async def test_photo_not_analysed_is_one_sentence(self, catalog: RulesCatalog) -> None:
        text = await answer(catalog, "우유팩", image=True)
        assert PHOTO_NOT_ANALYSED in text.splitlines() and text.count("사진") == 1
        assert text.startswith("우유팩은")  # the verdict still comes first

    async def test_photo_sentence_only_when_no_model_looked(self, catalog: RulesCatalog) -> None:
        seen = VisionAnalysis(items=[DetectedItem(item_id="milk_carton", name="우유팩")], saw_image=True)
        ctx = await lookup(make_query("이거요", [], analysis=seen), catalog=catalog)
        assert PHOTO_NOT_ANALYSED not in write_answer(ctx, image_attached=True)

    async def test_clarification(self, catalog: RulesCatalog) -> None:
        assert await answer(catalog, "이거 어떻게 버려요?") == ASK_NAME
        text = await answer(catalog, "이거 어떻게 버려요?", image=True)
        assert text.splitlines() == [PHOTO_NOT_ANALYSED, ASK_NAME]

    async def test_a_guessed_name_is_said_without_machine_words(self, catalog: RulesCatalog) -> None:
        text = await answer(catalog, "페트볍 버리는 법")
        assert "생수병" in text.splitlines()[0] and "알아듣고" not in text
        assert "'페트볍'" in text  # says what it read the word as

    @pytest.mark.parametrize("question", ["종이 어떻게 버려요?", "플라스틱", "비닐", "전지", "대형폐기물",
                                          "음식물 쓰레기 어떻게 버려요?"])
    async def test_category_word_gets_the_category_guidance(self, catalog: RulesCatalog, question: str) -> None:
        text = await answer(catalog, question)
        assert "이름을 알려" not in text and "어떤 물건인지" not in text
        assert "해당하는 것:" in text and "\n1. " in text

    async def test_several_items_get_a_short_block_each(self, catalog: RulesCatalog) -> None:
        text = await answer(catalog, "생수병이랑 우유팩")
        assert "2가지" in text and "생수병은 투명 페트병 수거함에 내요." in text
        assert "우유팩은 종이팩 수거함에 내요." in text and "\n4. " not in text


def test_fallback_answer_does_not_claim_offline_mode(catalog) -> None:  # type: ignore[no-untyped-def]
    import uuid
    from datetime import timedelta

    from streams import contracts as c
    from streams.offline import PHOTO_FALLBACK

    now = c.utcnow()
    env = c.Envelope(query_id=uuid.uuid4(), created_at=now, deadline=now + timedelta(seconds=30))
    analysis = analyse_text("생수병 어떻게 버려요", catalog)
    item = analysis.items[0]
    ctx = c.RuleContext(envelope=env, question="생수병 어떻게 버려요", analysis=analysis,
                        provider={"gpt5": "offline (fallback)"},
                        guidance=[catalog.apply(item.item_id, item.state, match=item.match)])
    text = write_answer(ctx, image_attached=True)
    assert PHOTO_FALLBACK in text.splitlines() and "오프라인" not in text
