"""Each class of the reviewer's complaints, pinned with an example (issue: answers a person wants to read)."""

from __future__ import annotations

import re

import pytest

from streams.compose import MAX_STEPS, read_question, select_steps
from streams.compose.quality import CODES_IN_PROSE
from streams.contracts import ItemGuidance, ItemState
from streams.rules.lint import near_duplicates


def steps_of(text: str) -> list[str]:
    return [m.group(1) for m in re.finditer(r"^\d+\. (.+)$", text, re.MULTILINE)]


class TestQuestionKinds:
    @pytest.mark.parametrize(("question", "kind", "bin_"), [
        ("피자 박스 종이로 버려도 되나요?", "yesno", "종이"),
        ("이거 플라스틱 맞죠?", "yesno", "플라스틱류"),
        ("치킨뼈 음식물 쓰레기 맞아요?", "yesno", "음식물류폐기물"),
        ("영수증 일반쓰레기예요?", "yesno", "일반종량제폐기물"),
        ("생수병 어떻게 버려요?", "how", None),
        ("건전지", "how", None),
    ])
    def test_kind_and_proposed_bin(self, question: str, kind: str, bin_: str | None) -> None:
        asked = read_question(question)
        assert (asked.kind, asked.bin) == (kind, bin_)

    def test_action_and_recycling_questions(self) -> None:
        assert read_question("라벨 떼야 하나요?").action == "label"
        assert read_question("부탄가스 구멍 뚫어야 돼요?").action == "puncture"
        assert read_question("영수증 재활용 돼요?").recycle


class TestVerdictFirst:
    async def test_yes_no_about_the_right_bin_starts_with_yes(self, answer) -> None:  # type: ignore[no-untyped-def]
        assert (await answer("우유팩 종이팩으로 버려도 되나요?")).startswith("네, 우유팩은 종이팩 수거함")

    async def test_yes_no_about_a_wrong_bin_starts_with_no_and_names_the_right_one(self, answer) -> None:  # type: ignore[no-untyped-def]
        text = await answer("영수증 종이로 버려도 돼요?")
        assert text.startswith("아니요,") and "일반 종량제 봉투" in text.splitlines()[0]

    async def test_recycling_question(self, answer) -> None:  # type: ignore[no-untyped-def]
        assert (await answer("영수증 재활용 돼요?")).startswith("아니요, 영수증은 재활용되지 않아")
        assert (await answer("참치캔 재활용 되나요?")).startswith("네, 재활용돼요.")

    async def test_where_question_starts_with_the_bin(self, answer) -> None:  # type: ignore[no-untyped-def]
        assert (await answer("참치캔 어떻게 버려요")).startswith("참치캔은 캔·고철 수거함에 내요.")

    async def test_special_collection_is_not_called_not_recyclable(self, answer) -> None:  # type: ignore[no-untyped-def]
        text = await answer("소파 버리려고요")
        assert "재활용되지 않" not in text and text.startswith("소파는 대형폐기물로 신고")


class TestOnlyWhatApplies:
    async def test_a_step_already_done_is_not_a_task(self, answer) -> None:  # type: ignore[no-untyped-def]
        assert not any("라벨" in s for s in steps_of(await answer("라벨 뗀 생수병 어떻게 버려요")))
        assert any("라벨" in s for s in steps_of(await answer("생수병 어떻게 버려요")))

    async def test_a_broken_bottle_is_not_told_to_claim_the_deposit(self, answer) -> None:  # type: ignore[no-untyped-def]
        text = await answer("깨진 소주병 어떻게 버려요")
        assert "불연성 마대" in text.splitlines()[0]
        assert not any("반환" in s and "않" not in s and "말고" not in s for s in steps_of(text))

    def test_repeated_steps_are_said_once_and_at_most_five(self) -> None:
        g = ItemGuidance(item_id="x", name="x", official_category="플라스틱류", steps=[
            "내용물을 비우고 물로 헹굽니다.", "내용물을 비우고 물로 헹궈요.", "라벨을 뗍니다.", "뚜껑을 닫습니다.",
            "눌러서 부피를 줄입니다.", "플라스틱류로 냅니다.", "투명 봉투에 모읍니다."])
        steps = select_steps(g, ItemState())
        assert len(steps) == MAX_STEPS and not near_duplicates((str(i), s) for i, s in enumerate(steps))


class TestNaturalKorean:
    @pytest.mark.parametrize("question", ["헌옷 어떻게 버려요", "깨진 유리컵", "폐의약품 어디에", "노트북 버려요",
                                          "음식물 쓰레기 어떻게 버려요?", "리모델링하고 나온 타일 한 트럭"])
    async def test_no_category_codes_in_prose(self, answer, question: str) -> None:  # type: ignore[no-untyped-def]
        text = await answer(question)
        assert not [c for c in CODES_IN_PROSE if c in text], text
        assert "알아듣고" not in text

    async def test_sources_in_words_on_the_last_line(self, answer) -> None:  # type: ignore[no-untyped-def]
        last = (await answer("생수병 어떻게 버려요")).splitlines()[-1]
        assert last.startswith("출처: ") and "분리배출 누리집" in last


class TestSafetyFirst:
    async def test_the_warning_is_the_second_line(self, catalog, answer) -> None:  # type: ignore[no-untyped-def]
        # any item in a state whose document carries a warning: the warning follows the verdict at once
        question = "가스 남은 부탄가스 어떻게 버려요"
        res = catalog.resolve(question)
        g = catalog.apply(res.best.item_id, res.state)
        text = await answer(question)
        if g.safety:
            assert text.splitlines()[1] == f"⚠ {g.safety[0]}"
        else:
            pytest.fail(f"{res.best.item_id} with gas left has no warning in the knowledge base")


async def test_several_items_each_once(answer) -> None:  # type: ignore[no-untyped-def]
    text = await answer("생수병이랑 생수병이랑 우유팩")
    assert text.count("생수병은 투명 페트병 수거함에 내요.") == 1 and "2가지" in text


async def test_the_model_path_check_accepts_every_offline_draft(catalog) -> None:  # type: ignore[no-untyped-def]
    """The answer model gets the offline answer as its draft: the check must not refuse the rules' own words
    (it did, for a quoted step "재활용할 수 있는 포장재나 부품이 있으면…", and for "폐가전으로 내요")."""
    from streams.offline import analyse_text, write_answer
    from streams.rules.evaluate import load_labelled
    from streams.stages.gpt4o_prompt import verify_answer
    from streams.stages.rag import lookup
    from tests.unit.rules.conftest import LABELLED_DIR
    from tests.unit.rules.test_rag import make_query

    refused = []
    for case in load_labelled(LABELLED_DIR)[::3]:
        analysis = analyse_text(case.question, catalog)
        if analysis.needs_clarification:
            continue
        ctx = await lookup(make_query(case.question, [], analysis=analysis), catalog=catalog)
        problems = verify_answer(write_answer(ctx, image_attached=False), ctx.guidance, case.question)
        if problems:
            refused.append((case.question, problems))
    assert not refused, refused[:5]
